"""Pure-ASGI middleware: request ids, security headers and one access-log line per request; the
request body size limit."""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import BodyTooLarge, body_too_large_response, internal_error_response
from app.core.logging import access, request_id_var

error_log = logging.getLogger("liangnuo.errors")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
APP_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'; manifest-src 'self'; worker-src 'self'"
)


def _security_headers(csp: str, secure: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"content-security-policy", csp.encode()),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", b"geolocation=(), camera=(self), microphone=()"),
        (b"x-frame-options", b"DENY"),
    ]
    if secure:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    return headers


# made once: (API or not, HTTPS or not) → the headers every answer carries unless it set its own
_BOTH = (False, True)
_DEFAULTS = {(api, secure): _security_headers(API_CSP if api else APP_CSP, secure) for api in _BOTH for secure in _BOTH}
_NO_STORE = (b"cache-control", b"no-store")


def finish_headers(
    headers: list[tuple[bytes, bytes]], scope: Scope, request_id: str, authenticated: bool
) -> list[tuple[bytes, bytes]]:
    """What every answer carries, added to the app's own headers (those it set itself win): the
    security headers, `no-store` for the API and anything signed in, and the request id."""
    path: str = scope["path"]
    api = path.startswith("/api/")
    present = {k.lower() for k, _ in headers}
    out = list(headers)
    out.extend(h for h in _DEFAULTS[api, scope.get("scheme") == "https"] if h[0] not in present)
    if b"cache-control" not in present and (authenticated or api):
        out.append(_NO_STORE)
    out.append((b"x-request-id", request_id.encode()))
    return out


_ID_PREFIX = secrets.token_hex(4)  # this process's own: ids of several workers never collide
_id_counter = itertools.count(1)


def _new_request_id() -> str:
    """16 hex characters, unique per process start (a random prefix and a counter): no system call
    per request, as uuid4 makes for its random bytes."""
    return f"{_ID_PREFIX}{next(_id_counter) & 0xFFFFFFFF:08x}"


def request_id_of(scope: Scope) -> str:
    """The client's X-Request-ID when it is a safe one, else a new id."""
    for key, value in scope["headers"]:
        if key == b"x-request-id":
            incoming = value.decode("latin-1")
            return incoming if _SAFE_REQUEST_ID.match(incoming) else _new_request_id()
    return _new_request_id()


def is_authenticated(scope: Scope) -> bool:
    return any(k == b"authorization" for k, _ in scope["headers"])


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        token = request_id_var.set(request_id)
        path: str = scope["path"]
        authenticated = is_authenticated(scope)
        started = time.perf_counter()
        status_holder: dict[str, Any] = {"status": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message["headers"] = finish_headers(list(message.get("headers", [])), scope, request_id, authenticated)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            # Answer here rather than in Starlette's outermost error middleware, so a 500 still carries
            # the security headers and request id, and its traceback is logged scrubbed (a database
            # error's parameters can hold a phone number) instead of raw by the server.
            error_log.error("unhandled error", exc_info=exc, extra={"route": _route_template(scope, path)})
            if status_holder["started"]:
                raise
            await internal_error_response(Request(scope))(scope, receive, send_wrapper)
        finally:
            state = scope.get("state") or {}
            access(
                scope["method"],
                _route_template(scope, path),
                status_holder["status"],
                started,
                state.get("account_id"),
                request_id,
            )
            request_id_var.reset(token)


def _route_template(scope: Scope, path: str) -> str:
    """The matched route's template ("/api/v1/units/{unit_id}"): ids and tokens in paths stay out of logs."""
    # FastAPI ≥ 0.16x keeps included routers nested: scope["route"] holds the path without the prefix,
    # the effective route context the full one.
    context = (scope.get("fastapi") or {}).get("effective_route_context")
    template = getattr(context, "path", None) or getattr(scope.get("route"), "path", None)
    if template:
        return str(template)
    return "/b/…" if path.startswith("/b/") else "-"


BODY_LIMIT_KEY = "x-max-body-size"


def body_limit(max_bytes: int) -> dict[str, Any]:
    """`openapi_extra` for a route that takes a larger (or smaller) body than the app-wide limit:

        @router.put("/members/{member_id}/photo", openapi_extra=body_limit(11 * 1024 * 1024))

    The limit is also published in the OpenAPI document, as `x-max-body-size`."""
    return {BODY_LIMIT_KEY: max_bytes}


def _route_limit(scope: Scope, default: int) -> int:
    extra = getattr(scope.get("route"), "openapi_extra", None) or {}
    return int(extra.get(BODY_LIMIT_KEY, default))


def _declared_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """413 for a request body over the limit, refused while it streams in: by its Content-Length
    before a byte is read, or (chunked) as soon as the count passes the limit. Nothing upstream
    of this (multipart parsing, spooling files to disk, JSON decoding) ever sees more.

    The limit is `default` unless the matched route declares its own (`body_limit()`); the route is
    known once routing has run, which is before anything reads the body. Starlette limits neither
    the size of a multipart file nor the number of bytes a form is made of, so without this anyone
    could stream unlimited data to an upload or to the public forms, before sign-in is even checked.
    """

    def __init__(self, app: ASGIApp, *, default: int) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            # once the answer is on its way, a read is only a wait for the client to disconnect
            limit = None if started else _route_limit(scope, self.default)
            if limit is not None and declared is not None and declared > limit:
                raise BodyTooLarge(limit)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if limit is not None and received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, send_wrapper)
        except BodyTooLarge as exc:
            # normally the app's handler for BodyTooLarge has answered; this is for a body read
            # outside any route (by another middleware)
            if started:
                raise
            await body_too_large_response(Request(scope), exc)(scope, receive, send)
