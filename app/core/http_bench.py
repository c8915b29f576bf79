"""The in-memory ceiling for bench/board.py: a trivial async FastAPI route answering stored bytes.

Only installed when `settings.bench_ceiling_file` is set (the benchmark sets it for its own server);
never in production routing. It is dispatched before the app's own middleware, so it measures what
uvicorn and a bare FastAPI route cost — the ceiling the real routes are compared with in one run.

The file is read on the first request (the benchmark writes it after the server started, from the
board's own answer); a name ending in `.gz` or `.br` is answered with that Content-Encoding.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

CEILING_PATH = "/_bench/ceiling"


def ceiling_app(file: Path) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    cached: dict[str, bytes] = {}
    encoding = {".gz": "gzip", ".br": "br"}.get(file.suffix)
    headers = {"Content-Encoding": encoding, "Vary": "Accept-Encoding"} if encoding else {}

    @app.get(CEILING_PATH)
    async def ceiling() -> Response:
        body = cached.get("body")
        if body is None:
            body = cached["body"] = file.read_bytes()
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)

    return app


class BenchCeilingMiddleware:
    """Sends CEILING_PATH to the bare ceiling app, everything else to the real one."""

    def __init__(self, app: ASGIApp, *, file: Path) -> None:
        self.app = app
        self.ceiling = ceiling_app(file)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == CEILING_PATH:
            await self.ceiling(scope, receive, send)
            return
        await self.app(scope, receive, send)
