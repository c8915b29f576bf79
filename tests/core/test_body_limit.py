"""The request body limit: 1 MiB unless a route declares more (photo uploads); refused while streaming."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from app.core.config import settings
from app.core.errors import BodyTooLarge, body_too_large_response
from app.core.middleware import BODY_LIMIT_KEY, BodyLimitMiddleware
from app.members.router import MAX_PHOTO_BODY
from tests.factories import World

API = "/api/v1"
MiB = 1024 * 1024


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        chunk = b"a" * min(size, total - sent)
        sent += len(chunk)
        yield chunk


def _assert_api_413(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 413, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "body_too_large"
    assert "提交的内容太大" in body["detail"]
    assert "1 MB" in body["detail"]
    assert r.headers["x-request-id"]  # answered inside the request context: headers and log line
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_default_limit_is_one_mib() -> None:
    assert settings.max_body_bytes == MiB


def test_a_json_body_over_the_limit_is_413(client: TestClient, world: World) -> None:
    r = client.post(f"{API}/units", json={"name": "x" * (MiB + 10)}, headers=world.committee_admin.headers)
    _assert_api_413(r)


def test_an_anonymous_form_over_the_limit_is_413(client: TestClient) -> None:
    r = client.post(f"{API}/auth/token", data={"username": "13800000000", "password": "x" * (MiB + 10)})
    _assert_api_413(r)


def test_a_chunked_body_is_cut_off_at_the_limit(client: TestClient, world: World) -> None:
    r = client.post(
        f"{API}/units",
        content=_chunks(5 * MiB),
        headers={**world.committee_admin.headers, "Content-Type": "application/json"},
    )
    _assert_api_413(r)


def test_a_declared_length_over_the_limit_is_refused_before_reading(client: TestClient, world: World) -> None:
    r = client.post(
        f"{API}/units",
        content=b"{}",
        headers={**world.committee_admin.headers, "Content-Type": "application/json", "Content-Length": str(2 * MiB)},
    )
    _assert_api_413(r)


def test_a_member_photo_may_be_larger(client: TestClient, world: World) -> None:
    files = {"photo": ("photo.jpg", b"\xff\xd8\xff" + b"\0" * (3 * MiB), "image/jpeg")}
    r = client.put(f"{API}/members/{world.member.member_id}/photo", files=files, headers=world.member.headers)
    assert r.json()["code"] != "body_too_large"  # the picture itself is refused, not the body
    files = {"photo": ("photo.jpg", b"\xff\xd8\xff" + b"\0" * MAX_PHOTO_BODY, "image/jpeg")}
    r = client.put(f"{API}/members/{world.member.member_id}/photo", files=files, headers=world.member.headers)
    assert r.status_code == 413
    assert r.json()["code"] == "body_too_large"
    assert "11 MB" in r.json()["detail"]


def test_an_anonymous_upload_to_a_photo_route_is_also_cut_off(client: TestClient, world: World) -> None:
    files = {"photo": ("photo.jpg", b"\0" * (MAX_PHOTO_BODY + 1), "image/jpeg")}
    r = client.put(f"{API}/members/{world.member.member_id}/photo", files=files)
    assert r.status_code == 413


def test_route_limits_are_published(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert paths["/api/v1/members/{member_id}/photo"]["put"][BODY_LIMIT_KEY] == MAX_PHOTO_BODY
    progress = paths["/api/v1/pledges/{pledge_id}/progress"]["post"][BODY_LIMIT_KEY]
    assert progress > 90 * MiB


def test_a_public_form_over_the_limit_answers_with_a_page(client: TestClient) -> None:
    r = client.post("/b/some-board/suggest", data={"text": "x" * (2 * MiB)})
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")  # the boards' own error page
    assert 'lang="zh-CN"' in r.text


def test_elsewhere_a_bare_chinese_page() -> None:
    request = Request({"type": "http", "method": "POST", "path": "/upload", "headers": [], "query_string": b""})
    r = body_too_large_response(request, BodyTooLarge(MiB))
    assert r.status_code == 413
    assert r.media_type == "text/html"
    assert "提交的内容太大（最多 1 MB）" in bytes(r.body).decode()


def test_the_middleware_answers_a_read_outside_any_route() -> None:
    """A body read where no exception handler runs (e.g. by another middleware) still gets the 413."""

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        size, more = 0, True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        await PlainTextResponse(str(size))(scope, receive, send)

    c = TestClient(BodyLimitMiddleware(echo, default=1000))  # no lifespan: a bare ASGI app
    assert c.post("/echo", content=b"a" * 1000).text == "1000"
    r = c.post("/echo", content=_chunks(5000, 100))
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "1000" not in r.text
