"""A bad-input corpus over every route: NUL and other controls, lone surrogates, 1 MB strings, huge and
negative ids, wrong types, duplicate parameters, traversal in media keys — in paths, queries and
bodies, anonymous and signed in. Never a 5xx; every error under /api/ problem+json, every error under
/b/ and /s/ a Chinese HTML page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from app.core.ratelimit import limiter
from tests.boards.conftest import _fresh_process_state  # noqa: F401
from tests.factories import World

PATH_VALUES = [
    "%00",
    "a%01b",
    "%1B%5B31m",
    "%ED%A0%80",  # a lone surrogate, UTF-8 encoded
    "99999999999999999999999",
    "-1",
    "0",
    "1.5",
    "..%2F..%2Fetc%2Fpasswd",
    "..%5C..%5Cwindows",
    "%2e%2e",
    "x" * 3000,
]
# httpx refuses a URL over 64 KB (and the server caps heads at 32 KB)
QUERY_VALUES = ["%00", "%7F", "%ED%A0%80", "-1", "99999999999999999999999", "abc", "x" * 30_000, "[]"]
BODY_VALUES: list[Any] = ["\u0000", "a\u0001b", "x" * (1024 * 1024), -1, 10**30, [], {"a": 1}, None, True]
RAW_BODIES = [b'{"title": "\\ud800"}', b'{"text": "\\u0000"}', b"\x00\x01", b"[" * 5000, b'{"a":1,"a":2}']


def _routes(app) -> Iterator[tuple[str, str, list[str]]]:  # type: ignore[no-untyped-def]
    for route in iter_route_contexts(app.router.routes):
        path, methods = route.path, route.methods
        if not path or not methods or path.startswith(("/api/docs", "/docs")) or path == "/api/openapi.json":
            continue
        params = re.findall(r"\{([^}:]+)(?::[^}]+)?\}", path)
        for method in sorted(methods - {"HEAD"}):
            yield method, path, params


def _fill(path: str, value: str, params: list[str]) -> str:
    out = path
    for name in params:
        out = re.sub(r"\{" + re.escape(name) + r"(?::[^}]+)?\}", value, out)
    return out


def _query_params(app, path: str, method: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(name, its schema as JSON) of each query parameter the route declares."""
    op = app.openapi()["paths"].get(path, {}).get(method.lower(), {})
    return [
        (p["name"], json.dumps(p.get("schema"), sort_keys=True)) for p in op.get("parameters", []) if p["in"] == "query"
    ]


def _typed(schema: str) -> bool:
    """A parameter FastAPI validates before the route runs (not free text): a number, a boolean, an enum."""
    return '"type": "string"' not in schema or '"enum"' in schema or '"format"' in schema


def _body_names(app, path: str, method: str) -> list[str]:  # type: ignore[no-untyped-def]
    op = app.openapi()["paths"].get(path, {}).get(method.lower(), {})
    content = op.get("requestBody", {}).get("content", {})
    schema = next(iter(content.values()), {}).get("schema", {})
    if "$ref" in schema:
        schema = app.openapi()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return list(schema.get("properties", {})) or ["title", "text", "name"]


# the content type of an error under each first path segment
_ERROR_TYPE = {"api": "application/problem+json", "b": "text/html", "s": "text/html"}


class Corpus:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.sent = 0
        self.bad: list[tuple[str, str, int, str]] = []

    def send(self, method: str, url: str, **kw: Any) -> None:
        limiter.reset()
        r = self.client.request(method, url, **kw)
        self.sent += 1
        kind = r.headers.get("content-type", "")
        path = url.split("?", 1)[0]
        if r.status_code >= 500:
            self.bad.append((method, url[:120], r.status_code, r.text[:200]))
        elif r.status_code >= 400 and not kind.startswith(_ERROR_TYPE.get(path.split("/", 2)[1], "")):
            self.bad.append((method, url[:120], r.status_code, kind))


# thousands of requests per persona over every route: its own time bound, above the suite's 300 s
@pytest.mark.timeout(900)
@pytest.mark.parametrize("persona", ["anonymous", "committee_admin"])
def test_bad_input_corpus(client: TestClient, app_instance, world: World, persona: str) -> None:  # type: ignore[no-untyped-def]
    headers = dict(getattr(world, persona).headers)
    corpus = Corpus(client)
    seen: set[tuple[str, str]] = set()
    for method, path, params in _routes(app_instance):
        for value in PATH_VALUES if params else [""]:
            corpus.send(method, _fill(path, value, params), headers=headers)
        url = _fill(path, "1", params)
        declared = _query_params(app_instance, path, method)
        for name, schema in declared:
            # a typed parameter is refused by validation alike wherever it appears: every value once
            # per (name, schema) over the app, then the worst two on each further route
            values = QUERY_VALUES if not _typed(schema) or (name, schema) not in seen else QUERY_VALUES[:1]
            seen.add((name, schema))
            for value in values:
                corpus.send(method, f"{url}?{name}={value}", headers=headers)
            corpus.send(method, f"{url}?{name}=1&{name}=2&{name}=%00", headers=headers)
        if not declared:  # undeclared parameters only reach the middleware: all the values in one query
            hostile = "&".join(f"q{i}={value}" for i, value in enumerate(QUERY_VALUES))
            corpus.send(method, f"{url}?{hostile}&page=1&page=%00", headers=headers)
        if method in ("POST", "PUT", "PATCH"):
            write = {**headers, "If-Match": '"1"'}
            for name in _body_names(app_instance, path, method)[:6]:
                for value in BODY_VALUES:
                    corpus.send(method, url, json={name: value}, headers=write)
                corpus.send(method, url, data={name: "\x00"}, headers=write)
            for raw in RAW_BODIES:
                corpus.send(method, url, content=raw, headers={**write, "Content-Type": "application/json"})
            plain = {**write, "Content-Type": "text/plain"}
            corpus.send(method, url, content=json.dumps([1, 2]).encode(), headers=plain)
    print(f"\nbad-input corpus, {persona}: {corpus.sent} requests, {len(corpus.bad)} wrong")  # the figure (-s)
    assert corpus.sent > 2000
    assert not corpus.bad, (len(corpus.bad), corpus.bad[:15])
