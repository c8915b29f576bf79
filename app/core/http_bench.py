"""The in-memory ceiling for bench/board.py: a trivial async FastAPI route answering stored bytes.

Only installed when `settings.bench_ceiling_file` is set (the benchmark sets it for its own server);
never in production routing. It is dispatched before the app's own middleware, so it measures what
uvicorn and a bare FastAPI route cost — the ceiling the real routes are compared with in one run.

The file is read on the first request (the benchmark writes it after the server started, from the
board's own answer, as sent); the Content-Encoding it was sent with is read from `<file>.encoding`
beside it, when there is one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

CEILING_PATH = "/_bench/ceiling"


def ceiling_app(file: Path) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    stored: list[tuple[bytes, dict[str, str]]] = []

    @app.get(CEILING_PATH)
    async def ceiling() -> Response:
        if not stored:
            sidecar = file.with_name(file.name + ".encoding")
            encoding = sidecar.read_text().strip() if sidecar.exists() else ""
            headers = {"Content-Encoding": encoding, "Vary": "Accept-Encoding"} if encoding else {}
            stored.append((file.read_bytes(), headers))
        body, headers = stored[0]
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
