"""Delivery (issue 9): text answers compressed on one path — brotli where accepted, else gzip — with
Vary: Accept-Encoding; never tiny bodies, HEAD, images or what is already encoded; the boards' cached
pages sent as their stored bytes (with ETag and 304 intact); pre-compressed static files served as
they are; favicon and robots.txt; the benchmark's ceiling route only when its setting is on."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import brotli
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

from app.core import http
from app.core.config import settings
from app.core.http import CompressionMiddleware, negotiate
from app.core.http_static import PrecompressedStaticFiles
from app.main import create_app
from tests.factories import World

BR = {"Accept-Encoding": "gzip, deflate, br"}
GZ = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


def raw(client: TestClient, path: str, headers: dict[str, str], method: str = "GET") -> tuple[httpx.Response, bytes]:
    """The answer and its bytes as sent (not decoded by the client)."""
    with client.stream(method, path, headers=headers) as r:
        return r, b"".join(r.iter_raw())


def decoded(response: httpx.Response, body: bytes) -> bytes:
    encoding = response.headers.get("content-encoding")
    if encoding == "br":
        return bytes(brotli.decompress(body))
    if encoding == "gzip":
        return gzip.decompress(body)
    assert encoding is None, encoding
    return body


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("", None),
        ("identity", None),
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("br;q=0, gzip", "gzip"),
        ("gzip;q=0.5, br;q=0.4", "gzip"),
        ("GZIP", "gzip"),
        ("*", "br"),
        ("*;q=0", None),
        ("deflate", None),
        ("x-gzip", "gzip"),
        ("br;q=bogus, gzip", "gzip"),
    ],
)
def test_negotiate(header: str, chosen: str | None) -> None:
    assert negotiate(header) == chosen


# ---------------------------------------------------------------- the API


def test_api_json_above_a_kilobyte_is_compressed(client: TestClient, world: World) -> None:
    path = "/api/v1/pledges/vocabulary"
    plain = client.get(path, headers=world.member.headers | IDENTITY)
    assert plain.status_code == 200
    assert len(plain.content) > http.MINIMUM_SIZE, "pick a larger answer for this test"
    assert "content-encoding" not in plain.headers
    assert "accept-encoding" in plain.headers["vary"].lower()
    for headers, encoding in ((BR, "br"), (GZ, "gzip")):
        r, body = raw(client, path, world.member.headers | headers)
        assert r.headers["content-encoding"] == encoding
        assert "accept-encoding" in r.headers["vary"].lower()
        assert int(r.headers["content-length"]) == len(body) < len(plain.content)
        assert json.loads(decoded(r, body)) == plain.json()
        # everything else every answer carries is still there
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == plain.headers["cache-control"]
        assert r.headers["x-request-id"]
        assert r.headers["etag"] == plain.headers["etag"]


def test_small_answers_and_head_go_as_they_are(client: TestClient, world: World) -> None:
    r, body = raw(client, "/healthz", BR)
    assert "content-encoding" not in r.headers
    assert json.loads(body) == {"status": "ok"}
    problem, body = raw(client, "/api/v1/auth/me", BR)
    assert problem.status_code == 401
    assert "content-encoding" not in problem.headers
    assert json.loads(body)["code"]


# ---------------------------------------------------------------- the middleware on its own


def _tiny_app() -> Starlette:
    big = "亮诺承诺公示 " * 400

    async def page(_request: object) -> Response:
        return PlainTextResponse(big)

    async def streamed(_request: object) -> Response:
        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(5):
                yield big.encode()

        return StreamingResponse(chunks(), media_type="text/html; charset=utf-8")

    async def png(_request: object) -> Response:
        return Response(b"\x89PNG" + b"\0" * 5000, media_type="image/png")

    async def no_transform(_request: object) -> Response:
        return PlainTextResponse(big, headers={"Cache-Control": "no-transform"})

    async def encoded(_request: object) -> Response:
        return Response(gzip.compress(big.encode()), media_type="text/plain", headers={"Content-Encoding": "gzip"})

    async def varied(_request: object) -> Response:
        return PlainTextResponse(big, headers={"Vary": "Cookie"})

    routes = [
        Route("/page", page),
        Route("/streamed", streamed),
        Route("/png", png),
        Route("/no-transform", no_transform),
        Route("/encoded", encoded),
        Route("/varied", varied),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(CompressionMiddleware)
    return app


def test_the_middleware_on_its_own() -> None:
    big = ("亮诺承诺公示 " * 400).encode()
    with TestClient(_tiny_app()) as c:
        for headers, encoding in ((BR, "br"), (GZ, "gzip")):
            r, body = raw(c, "/page", headers)
            assert r.headers["content-encoding"] == encoding
            assert decoded(r, body) == big
            r, body = raw(c, "/streamed", headers)
            assert r.headers["content-encoding"] == encoding
            assert "content-length" not in r.headers
            assert decoded(r, body) == big * 5
        r, body = raw(c, "/png", BR)
        assert "content-encoding" not in r.headers
        assert len(body) == 5004
        assert "vary" not in r.headers
        r, body = raw(c, "/no-transform", BR)
        assert "content-encoding" not in r.headers
        assert body == big
        r, body = raw(c, "/encoded", BR)  # already encoded: its bytes as they are, never twice
        assert r.headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == big
        r, body = raw(c, "/varied", BR)
        assert r.headers["vary"] == "Cookie, Accept-Encoding"
        r, body = raw(c, "/page", BR, method="HEAD")
        assert "content-encoding" not in r.headers
        assert body == b""
        r, body = raw(c, "/page", IDENTITY)
        assert "content-encoding" not in r.headers
        assert body == big
        assert r.headers["vary"] == "Accept-Encoding"


# ---------------------------------------------------------------- pre-compressed static files


def test_precompressed_files_are_served_as_stored(tmp_path: Path) -> None:
    script = ("console.log('亮诺');\n" * 300).encode()
    (tmp_path / "app.js").write_bytes(script)
    (tmp_path / "app.js.br").write_bytes(brotli.compress(script))
    (tmp_path / "app.js.gz").write_bytes(gzip.compress(script))
    (tmp_path / "plain.css").write_bytes(b"body{color:red}\n" * 200)  # no sibling: compressed on the fly
    app = Starlette(routes=[Mount("/", PrecompressedStaticFiles(directory=tmp_path))])
    app.add_middleware(CompressionMiddleware)
    with TestClient(app) as c:
        r, body = raw(c, "/app.js", BR)
        assert r.headers["content-encoding"] == "br"
        assert r.headers["content-type"].startswith("text/javascript")
        assert body == (tmp_path / "app.js.br").read_bytes()
        assert r.headers["vary"] == "Accept-Encoding"
        etag_br = r.headers["etag"]
        again, empty = raw(c, "/app.js", BR | {"If-None-Match": etag_br})
        assert (again.status_code, empty) == (304, b"")
        r, body = raw(c, "/app.js", GZ)
        assert r.headers["content-encoding"] == "gzip"
        assert body == (tmp_path / "app.js.gz").read_bytes()
        assert r.headers["etag"] != etag_br
        r, body = raw(c, "/app.js", IDENTITY)
        assert "content-encoding" not in r.headers
        assert body == script
        r, body = raw(c, "/plain.css", BR)
        assert r.headers["content-encoding"] == "br"
        assert decoded(r, body) == b"body{color:red}\n" * 200


def test_the_built_app_shell_is_served_precompressed(client: TestClient) -> None:
    from app.main import FRONTEND_DIST

    if not (FRONTEND_DIST / "index.html.br").exists():
        pytest.skip("the PWA is not built (cd frontend && npm run build)")
    r, body = raw(client, "/", BR | {"Accept": "text/html"})
    assert r.headers["content-encoding"] == "br"
    assert r.headers["cache-control"] == "no-cache"
    assert b"<html" in decoded(r, body)
    assets = sorted(p.name for p in (FRONTEND_DIST / "assets").glob("*.js.br"))
    asset = assets[0].removesuffix(".br")
    r, _ = raw(client, f"/assets/{asset}", BR)
    assert r.headers["content-encoding"] == "br"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"


# ---------------------------------------------------------------- favicon, robots.txt


def test_favicon_and_robots(client: TestClient) -> None:
    from app.main import FRONTEND_DIST

    if not (FRONTEND_DIST / "robots.txt").exists():
        pytest.skip("the PWA is not built (cd frontend && npm run build)")
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 200
    assert favicon.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert favicon.content[:4] == b"\0\0\1\0"
    robots = client.get("/robots.txt")
    assert robots.status_code == 200
    assert robots.headers["content-type"].startswith("text/plain")
    lines = robots.text.splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /api/" in lines
    # the boards stay crawlable so that their noindex is read (a leaked address is never listed)
    assert not any(line.startswith(("Disallow: /b", "Disallow: /s")) for line in lines)
    board = client.get("/b/nosuchtoken-000000000000000000000000")
    assert board.headers["x-robots-tag"] == "noindex, nofollow"


# ---------------------------------------------------------------- the benchmark's ceiling


def test_the_ceiling_route_exists_only_under_its_setting(
    tmp_path: Path, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.bench_ceiling_file is None
    with TestClient(create_app(check_schema_on_start=False)) as c:
        assert c.get("/_bench/ceiling").status_code == 404
    stored = tmp_path / "ceiling.html"
    stored.write_bytes(gzip.compress(b"<p>board</p>" * 500))
    (tmp_path / "ceiling.html.encoding").write_text("gzip")
    monkeypatch.setattr(settings, "bench_ceiling_file", stored)
    app: FastAPI = create_app(check_schema_on_start=False)
    with TestClient(app) as c:
        r, body = raw(c, "/_bench/ceiling", GZ)
        assert r.status_code == 200
        assert r.headers["content-encoding"] == "gzip"
        assert body == stored.read_bytes()
        assert "x-request-id" not in r.headers  # before the app's middleware: the bare stack's cost


@pytest.mark.parametrize(
    "middle", [b"", b"1733400000.0123456789abcdef0123456789abcdef", "承诺".encode() * 300, bytes(range(256)) * 255]
)
def test_a_gzip_splice_is_one_valid_gzip_member_of_the_whole_text(middle: bytes) -> None:
    """GzipSplice: compressed once around the hole, filled per request without compressing."""
    prefix = ("<html><body>" + "党员公开承诺 " * 900).encode()
    suffix = ("</form>" + "页脚 " * 1200 + "</body></html>").encode()
    splice = http.GzipSplice(prefix, suffix)
    out = splice.fill(middle)
    assert gzip.decompress(out) == prefix + middle + suffix
    one = zlib.decompressobj(31)  # exactly one member, nothing after it
    assert one.decompress(out) == prefix + middle + suffix
    assert one.eof
    assert one.unused_data == b""
    assert len(out) < len(prefix + suffix) // 5 + len(middle) + 64  # the page itself stays compressed


def test_a_gzip_splice_refuses_a_middle_over_one_stored_block() -> None:
    with pytest.raises(ValueError, match="65,535"):
        http.GzipSplice(b"a", b"b").fill(b"x" * 65_536)
