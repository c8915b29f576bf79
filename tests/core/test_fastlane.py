"""The fast lane (app/core/fastlane.py): what a responder knows goes out before the app runs, with the
headers every answer carries and one access-log line; anything else — a miss, another method, a
responder that fails — goes through the app untouched."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from app.core import logging as app_logging
from app.core.config import settings
from app.core.fastlane import Answer, FastLane


class Inner:
    """The app behind the lane: answers 418 and remembers what reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b"app", "more_body": False})


def call(app: Any, path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> list[dict]:
    sent: list[dict] = []
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": headers or [],
        "scheme": "http",
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    async def run() -> None:
        await app(scope, receive, send)
        await asyncio.sleep(0)  # the `after` work starts once the answer is out

    asyncio.run(run())
    return sent


def lane(inner: Inner, after_runs: list[str]) -> FastLane:
    async def alive(scope: Scope) -> Answer:
        return Answer(200, [(b"content-type", b"application/json")], b'{"ok":1}', "/alive")

    async def boards(scope: Scope) -> Answer | None:
        token = scope["path"][3:]
        if token == "known":

            async def after() -> None:
                after_runs.append(token)

            return Answer(200, [(b"content-type", b"text/html")], b"<p>board</p>", "/b/{token}", after)
        if token == "not-modified":
            return Answer(304, [(b"etag", b'"1"')], b"ignored", "/b/{token}")
        if token == "broken":
            raise RuntimeError("a responder that fails")
        return None

    return FastLane(inner, exact={"/alive": alive}, prefixes={"/b/": boards})


def headers_of(message: dict) -> dict[bytes, bytes]:
    return dict(message["headers"])


def test_a_known_answer_goes_out_without_the_app_with_the_usual_headers() -> None:
    inner, after_runs = Inner(), []
    app = lane(inner, after_runs)
    start, body = call(app, "/b/known")
    assert inner.paths == []
    assert start["status"] == 200
    assert body["body"] == b"<p>board</p>"
    h = headers_of(start)
    assert h[b"content-length"] == b"12"
    assert h[b"x-content-type-options"] == b"nosniff"
    assert b"content-security-policy" in h
    assert len(h[b"x-request-id"]) == 16
    assert after_runs == ["known"]
    # a client's own safe request id is kept, as the app keeps it
    start, _ = call(app, "/alive", headers=[(b"x-request-id", b"req-abcdef12")])
    assert headers_of(start)[b"x-request-id"] == b"req-abcdef12"


def test_a_304_has_no_body_and_no_length() -> None:
    start, body = call(lane(Inner(), []), "/b/not-modified")
    assert start["status"] == 304
    assert body["body"] == b""
    assert b"content-length" not in headers_of(start)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/b/unknown", "GET"),  # the responder does not know it
        ("/b/broken", "GET"),  # the responder failed: the app answers (and its errors)
        ("/b/known", "POST"),  # only GETs
        ("/b/known", "HEAD"),
        ("/alive/more", "GET"),  # an exact path is exact
        ("/bb/known", "GET"),  # a prefix is a whole first segment
        ("/", "GET"),
        ("", "GET"),
    ],
)
def test_everything_else_goes_through_the_app(path: str, method: str) -> None:
    inner = Inner()
    start, body = call(lane(inner, []), path, method)
    assert inner.paths == [path]
    assert (start["status"], body["body"]) == (418, b"app")


def test_one_access_line_per_answer_with_the_route_template(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    app_logging.configure_logging("INFO", True)
    try:
        assert app_logging._writer is not None
        monkeypatch.setattr(app_logging._writer, "stream", stream)
        call(lane(Inner(), []), "/b/known")
        app_logging._writer.stop()
    finally:
        app_logging.configure_logging(settings.log_level, settings.log_json)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 1
    line = lines[0]
    assert (line["logger"], line["method"], line["route"], line["status"]) == (
        "liangnuo.access",
        "GET",
        "/b/{token}",
        200,
    )
    assert line["account_id"] is None
    assert len(line["request_id"]) == 16
    assert isinstance(line["duration_ms"], float)


def test_the_direct_access_line_is_the_line_a_record_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    """access() skips the LogRecord while the app's writer is the only handler: its line must be
    the JsonFormatter's line for the same request, key for key (and masked all the same)."""
    stream = io.StringIO()
    app_logging.configure_logging("INFO", True)
    try:
        assert app_logging._writer is not None
        monkeypatch.setattr(app_logging._writer, "stream", stream)
        app_logging.access("GET", "/api/v1/units/{unit_id}", 200, 0.0, 7, "req-13800138000")
        app_logging._writer.stop()
    finally:
        app_logging.configure_logging(settings.log_level, settings.log_json)
    direct = json.loads(stream.getvalue())
    record = logging.LogRecord("liangnuo.access", logging.INFO, __file__, 1, "request", None, None)
    record.__dict__.update(
        {"request_id": "req-13800138000", "method": "GET", "route": "/api/v1/units/{unit_id}", "status": 200}
    )
    record.__dict__.update({"duration_ms": direct["duration_ms"], "account_id": 7})
    formatted = json.loads(app_logging.JsonFormatter().format(record))
    assert list(direct) == list(formatted)
    assert {k: v for k, v in direct.items() if k != "time"} == {k: v for k, v in formatted.items() if k != "time"}
    assert "13800138000" not in stream.getvalue()  # a phone in a client's request id is masked
