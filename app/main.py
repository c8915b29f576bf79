"""create_app(): middleware, error handlers, routers, health checks, the static frontend."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from app import models  # noqa: F401  (all tables registered)
from app.api import api_router
from app.appraisal.public_routes import public_router as appraisal_public_router
from app.boards import fast as boards_fast
from app.boards import service as boards_service
from app.boards import static_files as static_boards
from app.boards.public_routes import public_router as boards_public_router
from app.boards.ranking import ranking_router as boards_ranking_router
from app.core import db, idempotency
from app.core.config import PROJECT_ROOT, settings
from app.core.errors import install_error_handlers, problem
from app.core.fastlane import Answer, FastLane
from app.core.http import CompressionMiddleware
from app.core.http_bench import BenchCeilingMiddleware
from app.core.http_static import PrecompressedStaticFiles
from app.core.hygiene import InputHygieneMiddleware
from app.core.logging import configure_logging
from app.core.middleware import BodyLimitMiddleware, RequestContextMiddleware
from app.core.openapi import install_openapi
from app.core.schema import schema_state
from app.pledges import jobs as pledge_jobs

log = logging.getLogger("liangnuo")

FRONTEND_DIST = PROJECT_ROOT / "frontend" / "dist"


class SchemaNotReady(RuntimeError):
    pass


class SpaStaticFiles(PrecompressedStaticFiles):
    """The built PWA; an unknown page path that asks for HTML gets index.html (the app routes it).

    Never for /api/, /b/ or /s/ (the API and the public boards answer their own 404s), nor for files.
    Files compressed at build time are sent as stored (`.br`/`.gz` beside them, core.http_static).
    """

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except StarletteHTTPException as exc:
            if exc.status_code != 404 or not _is_app_page(path, scope):
                raise
            response = await super().get_response("index.html", scope)
        if not path.startswith("assets/"):
            # the shell, sw.js and the manifest must be revalidated so a new release reaches phones;
            # hashed files under assets/ may be cached for good
            response.headers.setdefault("cache-control", "no-cache")
        else:
            response.headers.setdefault("cache-control", "public, max-age=31536000, immutable")
        return response


def _is_app_page(path: str, scope: Scope) -> bool:
    first = path.lstrip("./").split("/", 1)[0]
    if first in ("api", "b", "s", "r", "t", "assets") or "." in path.rsplit("/", 1)[-1]:
        return False
    accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
    return "text/html" in accept


ALIVE = b'{"status":"ok"}'
_ALIVE_HEADERS = [(b"content-type", b"application/json")]


async def _alive(scope: Scope) -> Answer:
    return Answer(200, _ALIVE_HEADERS, ALIVE, "/healthz")


def check_schema() -> None:
    state = schema_state(db.engine)
    if not state.at_head:
        raise SchemaNotReady(
            f"数据库结构不是最新（当前 {state.current or '空库'}，应为 {state.head}）。"
            "请先运行 `liangnuo migrate`。 / Database schema is not migrated: run `liangnuo migrate`."
        )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if app.state.check_schema:
        check_schema()
    # daily due-date reminders (tests and extra workers may switch it off)
    daily = pledge_jobs.start() if settings.scheduler_enabled else None
    static_boards.renderer.changed()  # a first round (boards as static files, when their directory is set)
    yield
    if daily is not None:
        await pledge_jobs.stop(daily)
    # the views this worker counted since its last flush: several workers' counts add up in the
    # database, and a restart (a new release, a worker recycled) loses none of them
    await run_in_threadpool(boards_service.view_counter.flush)


def create_app(*, check_schema_on_start: bool = True) -> FastAPI:
    configure_logging(settings.log_level, settings.log_json)
    app = FastAPI(
        title="亮诺 Liangnuo",
        version="0.1.0",
        description="党员公开承诺（报诺、定诺、亮诺、践诺、销诺）与三评星级评定",
        lifespan=lifespan,
        docs_url="/api/docs" if settings.docs_enabled else None,
        redoc_url=None,
        openapi_url="/api/openapi.json" if settings.docs_enabled else None,
    )
    app.state.check_schema = check_schema_on_start
    install_openapi(app)  # problem+json responses per kind of route, If-Match required where it is
    install_error_handlers(app)
    idempotency.install(app)  # replays the stored response of a repeated Idempotency-Key
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
            expose_headers=["ETag"],
        )
    # control characters in paths, queries and text bodies: refused inside the body limit (what it
    # buffers is bounded by the route's limit)
    app.add_middleware(InputHygieneMiddleware)
    # inside the request context (a 413 gets the headers and the access-log line), outside everything else
    app.add_middleware(BodyLimitMiddleware, default=settings.max_body_bytes)
    # brotli/gzip for text answers not already encoded (app/core/http.py); inside the request context,
    # whose headers and access-log line then describe the answer as sent
    app.add_middleware(CompressionMiddleware)
    app.add_middleware(RequestContextMiddleware)
    # outermost: what is already known (the liveness answer, a public page this process keeps) is
    # sent before any of the above runs (app/core/fastlane.py); everything else passes through
    app.add_middleware(
        FastLane,
        exact={"/healthz": _alive},
        prefixes={"/b/": boards_fast.board, "/s/": boards_fast.star_board, "/r/": boards_fast.ranking},
    )
    if settings.bench_ceiling_file is not None:  # bench/board.py's in-memory ceiling, never in production
        app.add_middleware(BenchCeilingMiddleware, file=settings.bench_ceiling_file)

    # Routes are matched in order, one after another (FastAPI does not skip an included router by its
    # prefix): the probes and the villagers' pages come first so they never wait on the API's ~200
    # patterns; their paths share nothing with /api/v1, so the order changes no answer.
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        """Liveness: the process answers (no database, no thread). Answered by the fast lane (`_alive`);
        the route stays for the methods it refuses and for an app built without the lane."""
        return Response(ALIVE, media_type="application/json")

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        try:
            with db.new_session() as session:
                conn = session.connection()
                conn.execute(text("SELECT 1"))
                state = schema_state(conn)
        except Exception:
            log.exception("readiness check failed")
            return problem(503, "database_unavailable", "数据库无法连接")
        if not state.at_head:
            return problem(503, "schema_outdated", "数据库结构不是最新，请运行 liangnuo migrate")
        return JSONResponse({"status": "ready", "schema": state.current})

    app.include_router(boards_public_router)  # the public boards at /b/{token} and /s/{token}, outside /api/v1
    app.include_router(appraisal_public_router)  # the representatives' slip forms at /t/…
    app.include_router(boards_ranking_router)  # the public 比学赶超 ranking at /r/{token}
    app.include_router(api_router)

    if (FRONTEND_DIST / "index.html").exists():
        app.mount("/", SpaStaticFiles(directory=FRONTEND_DIST, html=True), name="frontend")
    return app
