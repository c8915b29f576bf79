"""Input hygiene, the one place every text input passes: control characters (NUL and the other C0
controls, DEL) and lone surrogates are refused in path parameters, query strings, JSON and form
bodies and multipart text fields, with a 422 (problem+json, or the registered page under /b/).

PostgreSQL refuses a NUL in text (a `DataError`, i.e. a 500 if it gets that far) and SQLite would
store it; a lone surrogate cannot be encoded at all. Tab, newline and carriage return are text in a
body (a textarea sends them); in a path or query string nothing allows them.

A pure-ASGI wrapper: the path and query are checked before the app runs; a body is checked when the
app first reads it (after routing, so the route's body-size limit still bounds what is buffered),
and only a body whose content type carries text (JSON, url-encoded or multipart forms). Uploaded
files in a multipart body are bytes and are not looked at.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import InputRefused, input_refused_response

# C0 controls but tab, newline and carriage return; DEL; lone surrogates (Python keeps them in str)
_BODY_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_LINE_BAD = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
# the ways a control or a surrogate reaches a JSON string: escaped, or a raw DEL (a raw C0 control
# is invalid JSON, refused by the app's parser)
_JSON_ESCAPE = re.compile(rb"\\u(?:00[01][0-9a-fA-F]|007[fF]|[dD][89a-fA-F][0-9a-fA-F]{2})|\x7f")
_PERCENT_CONTROL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF])|[\x00-\x1f\x7f]")


def is_clean(text: str, *, multiline: bool = True) -> bool:
    """True when `text` holds no control character (tab/newline allowed if `multiline`) and no lone
    surrogate."""
    return (_BODY_BAD if multiline else _LINE_BAD).search(text) is None


def _error(where: str, field: str) -> InputRefused:
    return InputRefused([{"in": where, "field": field}])


def check_target(scope: Scope) -> InputRefused | None:
    """The path and the query string: no control characters at all."""
    path: str = scope.get("path", "")
    if not is_clean(path, multiline=False):
        return _error("path", "path")
    query: bytes = scope.get("query_string", b"")
    if query and _PERCENT_CONTROL.search(query):
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if not (is_clean(name, multiline=False) and is_clean(value, multiline=False)):
                return _error("query", name if is_clean(name, multiline=False) else "query")
        return _error("query", "query")
    return None


def _json_field(value: Any, loc: str = "") -> str | None:
    if isinstance(value, str):
        return None if is_clean(value) else (loc or "body")
    if isinstance(value, dict):
        for key, item in value.items():
            if not is_clean(str(key)):
                return loc or "body"
            found = _json_field(item, f"{loc}.{key}" if loc else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _json_field(item, f"{loc}.{index}" if loc else str(index))
            if found:
                return found
    return None


def check_body(content_type: str, body: bytes) -> InputRefused | None:
    """A body of text: the first field holding a control character or a lone surrogate."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        if not _JSON_ESCAPE.search(body):
            return None  # a raw control is invalid JSON: the app's parser answers that 422
        try:
            field = _json_field(json.loads(body))
        except ValueError:
            return None
        return _error("body", field) if field else None
    if kind == "application/x-www-form-urlencoded":
        return _check_form(body)
    if kind == "multipart/form-data":
        return _check_multipart(content_type, body)
    return None


def _check_form(body: bytes) -> InputRefused | None:
    if not _PERCENT_CONTROL.search(body):
        return None
    for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8"):
        if not is_clean(name):
            return _error("body", "body")
        if not is_clean(value):
            return _error("body", name)
    return None


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PART_NAME = re.compile(rb'name="([^"]*)"', re.IGNORECASE)


def _check_multipart(content_type: str, body: bytes) -> InputRefused | None:
    match = _BOUNDARY.search(content_type)
    if match is None:
        return None  # the app's parser refuses it
    for part in body.split(b"--" + match.group(1).encode("latin-1")):
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep or b"filename=" in head.lower():
            continue  # a file's bytes are the file's business
        text = content.removesuffix(b"\r\n").decode("utf-8", errors="replace")
        if not is_clean(text):
            name = _PART_NAME.search(head)
            return _error("body", unquote(name.group(1).decode("utf-8", "replace")) if name else "body")
    return None


def _content_type(scope: Scope) -> str:
    for key, value in scope["headers"]:
        if key == b"content-type":
            return value.decode("latin-1")
    return ""


_TEXT_BODIES = ("json", "x-www-form-urlencoded", "multipart/form-data")


class InputHygieneMiddleware:
    """Refuses control characters in the path and query before the app runs, and in a text body as
    soon as the app reads it (InputRefused, answered by the app's error handler)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = check_target(scope)
        if refused is not None:
            await input_refused_response(Request(scope), refused)(scope, receive, send)
            return
        content_type = _content_type(scope)
        if not any(kind in content_type.lower() for kind in _TEXT_BODIES):
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        checked = False

        async def checked_receive() -> Message:
            nonlocal checked
            if not checked:
                checked = True
                while True:
                    message = await receive()
                    buffered.append(message)
                    if message["type"] != "http.request" or not message.get("more_body", False):
                        break
                body = b"".join(m.get("body", b"") for m in buffered if m["type"] == "http.request")
                refused = check_body(content_type, body)
                if refused is not None:
                    raise refused
            if buffered:
                return buffered.pop(0)
            return await receive()

        await self.app(scope, checked_receive, send)


__all__ = ["InputHygieneMiddleware", "InputRefused", "check_body", "check_target", "is_clean"]
