"""The one handler that turns every error into application/problem+json (or, under a registered
prefix, the page a person reads): AppError, framework HTTP errors, validation errors, database
refusals of a value, and anything unexpected (500).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.core.errors.classes import (
    AppError,
    BodyTooLarge,
    InputRefused,
    InternalError,
    Unprocessable,
    for_status,
)
from app.core.errors.database import database_value_error
from app.core.errors.html import html_error_page
from app.core.errors.methods import allowed_methods
from app.core.errors.validation import field_errors, field_label, validation_detail

log = logging.getLogger("liangnuo.errors")

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://liangnuo.local/problems/{code}",
        "title": title or _title_of(status, detail),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _title_of(status: int, default: str) -> str:
    kind = for_status(status)
    return kind.title if kind is not None else default


def _path_errors(request: Request) -> RequestValidationError | None:
    """The route's path parameters checked as FastAPI would: a dependency that answers first (the
    If-Match check's 428) must not hide that the address itself is wrong (422)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return None
    fields, seen, stack = [], set(), [dependant]
    while stack:
        dep = stack.pop()
        for field in dep.path_params:
            if field.alias not in seen:
                seen.add(field.alias)
                fields.append(field)
        stack.extend(dep.dependencies)
    _, errors = request_params_to_args(fields, request.path_params)
    return RequestValidationError(errors) if errors else None


def app_error_response(request: Request, exc: AppError) -> Response:
    if exc.status == 428:
        path_error = _path_errors(request)
        if path_error is not None:
            return validation_response(request, path_error)
    if exc.status in (401, 403, 429):
        log.warning(
            "security event",
            extra={"event": exc.code, "status": exc.status, "route": request.url.path},
        )
    page = html_error_page(request, exc.status, exc.detail, exc)
    if page is not None:
        return page
    return problem(
        exc.status,
        exc.code,
        exc.detail,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


def body_too_large_response(request: Request, exc: BodyTooLarge) -> Response:
    """413 as problem+json under /api/, else the page a person reads: the registered HTML error page
    of the path (the public boards), or a bare Chinese one."""
    if request.url.path.startswith("/api/"):
        return problem(413, exc.code, str(exc.detail), title=exc.title)
    page = html_error_page(request, 413, str(exc.detail))
    if page is not None:
        return page
    body = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{exc.title}</title></head>'
        f"<body><h1>{exc.title}</h1><p>{exc.detail}</p></body></html>"
    )
    return HTMLResponse(body, status_code=413)


def input_refused_response(request: Request, exc: InputRefused) -> Response:
    """422 for text with control characters: each place named (`in` path/query/body, `field`),
    problem+json, or the registered page under its prefix (the public boards)."""
    errors = []
    for place in exc.errors:
        field = str(place.get("field") or "body")
        name = field.rsplit(".", 1)[-1]
        label = field_label(name, request.url.path) if place.get("in") == "body" else "网址"
        label = "提交的内容" if label == name else label
        errors.append({**place, "label": label, "message": f"{label}{exc.message}", "type": "control_character"})
    detail = errors[0]["message"] if errors else str(exc.detail)
    page = html_error_page(request, 422, detail)
    if page is not None:
        return page
    return problem(422, exc.code, detail, title=exc.title, errors=errors)


def validation_response(request: Request, exc: RequestValidationError) -> Response:
    errors = field_errors(exc, request.url.path)
    page = html_error_page(request, 422, Unprocessable.title)
    if page is not None:
        return page
    detail = validation_detail(errors)
    return problem(422, "validation_error", detail, title=Unprocessable.title, errors=errors)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputRefused)
    def _input_refused(request: Request, exc: InputRefused) -> Response:
        return input_refused_response(request, exc)

    @app.exception_handler(BodyTooLarge)
    def _body_too_large(request: Request, exc: BodyTooLarge) -> Response:
        return body_too_large_response(request, exc)

    @app.exception_handler(AppError)
    def _app_error(request: Request, exc: AppError) -> Response:
        return app_error_response(request, exc)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    def _database_value(request: Request, exc: Exception) -> Response:
        error = database_value_error(exc)
        if error is None:
            log.error("unhandled error", exc_info=exc, extra={"route": request.url.path})
            return internal_error_response(request)
        return app_error_response(request, error)

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError) -> Response:
        return validation_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        kind = for_status(exc.status_code)
        code, title = (kind.code, kind.title) if kind is not None else ("http_error", AppError.title)
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else title
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        page = html_error_page(request, exc.status_code, detail)
        if page is not None:
            if "Allow" in headers:
                page.headers["Allow"] = headers["Allow"]
            return page
        return problem(exc.status_code, code, detail, headers=headers or None)

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> Response:
        # normally RequestContextMiddleware answers first (with headers); this is the last resort
        log.error("unhandled error", exc_info=exc, extra={"route": request.url.path})
        return internal_error_response(request)


def internal_error_response(request: Request | None = None) -> Response:
    """The 500 answer: the Chinese page of the path's registered renderer (a villager on /b/ never
    gets JSON, even for a fault nobody foresaw), else problem+json."""
    if request is not None:
        page = html_error_page(request, 500, InternalError.title)
        if page is not None:
            return page
    return problem(500, InternalError.code, InternalError.title)
