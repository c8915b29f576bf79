"""The AppError family and the one handler that turns every error into application/problem+json.

`detail` is Simplified Chinese for the person; `code` is a stable English identifier for programs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

log = logging.getLogger("liangnuo.errors")

PROBLEM_JSON = "application/problem+json"

# Pages read by people, not programs (the public boards under /b/): a higher domain registers a
# renderer for its path prefix at start-up, and every error under it is answered by that renderer
# (status, Chinese detail) instead of problem+json. Core never imports the domain.
HtmlErrorPage = Callable[[Request, int, str], Response]
_html_error_pages: dict[str, HtmlErrorPage] = {}


def register_html_errors(prefix: str, render: HtmlErrorPage) -> None:
    """Answer errors under `prefix` (e.g. "/b/") with `render(request, status, detail)`."""
    _html_error_pages[prefix] = render


def html_error_page(request: Request, status: int, detail: str) -> Response | None:
    for prefix, render in _html_error_pages.items():
        if request.url.path.startswith(prefix):
            return render(request, status, detail)
    return None


class AppError(Exception):
    status = 400
    code = "bad_request"
    title = "请求有误"

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        commit: bool = False,
    ) -> None:
        self.detail = detail or self.title
        # True when the writes made before the error must still be kept (e.g. a failed-login record)
        self.commit = commit
        if code:
            self.code = code
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.detail)


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "请先登录"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "您没有权限进行此操作"


class NotFound(AppError):
    status, code, title = 404, "not_found", "未找到该内容，或不在您的管理范围内"


class Conflict(AppError):
    status, code, title = 409, "conflict", "当前状态不允许此操作"


class Gone(AppError):
    status, code, title = 410, "gone", "该内容已不再提供"


class PreconditionFailed(AppError):
    status, code, title = 412, "stale_version", "内容已被他人修改，请刷新后重试"


class PayloadTooLarge(AppError):
    status, code, title = 413, "too_large", "文件太大"


class BodyTooLarge(StarletteHTTPException):
    """A request body over the size limit (raised by core.middleware.BodyLimitMiddleware while the
    body streams in). An HTTPException, so FastAPI's body parsing passes it on instead of a 400."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(413, detail=f"提交的内容太大（最多 {_megabytes(limit)}），请压缩或减少后重试")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "不支持的文件类型"


class Unprocessable(AppError):
    status, code, title = 422, "invalid", "提交的内容有误"


class PreconditionRequired(AppError):
    status, code, title = 428, "if_match_required", "请求缺少 If-Match 版本号，请刷新后重试"


class TooManyRequests(AppError):
    status, code, title = 429, "too_many_requests", "操作过于频繁，请稍后再试"


_STATUS_TITLES = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "您没有权限进行此操作"),
    404: ("not_found", "未找到该页面或内容"),
    405: ("method_not_allowed", "不支持该请求方法"),
    413: ("too_large", "提交的内容太大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("too_many_requests", "操作过于频繁，请稍后再试"),
    500: ("internal_error", "服务器出了点问题，请稍后再试"),
}

_FIELD_MESSAGES = {
    "missing": "必填",
    "string_too_long": "太长了（最多 {max_length} 个字符）",
    "string_too_short": "太短了（至少 {min_length} 个字符）",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "必须大于 {gt}",
    "less_than": "必须小于 {lt}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是/否",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式有误",
    "enum": "取值应为：{expected}",
    "literal_error": "取值应为：{expected}",
    "string_pattern_mismatch": "格式不正确",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "格式不正确",
    "dict_type": "格式不正确",
    "list_type": "应为列表",
    "too_long": "太多了（最多 {max_length} 项）",
    "extra_forbidden": "不认识的字段",
    "value_error": "{msg}",
}


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
        "title": title or _STATUS_TITLES.get(status, (code, detail))[1],
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form")]
        template = _FIELD_MESSAGES.get(err.get("type", ""), "格式不正确")
        ctx = dict(err.get("ctx") or {})
        msg = str(err.get("msg", ""))
        if msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        try:
            message = template.format(msg=msg, **{k: v for k, v in ctx.items() if k != "msg"})
        except (KeyError, IndexError):
            message = template
        out.append({"field": ".".join(loc) or "body", "message": message, "type": err.get("type")})
    return out


# SQLSTATEs of a value the database cannot hold
_NUMERIC_OUT_OF_RANGE = "22003"
_STRING_TOO_LONG = "22001"


def database_value_error(exc: BaseException) -> AppError | None:
    """The client error behind the database refusing a value, or None when it is a real fault.

    The safety net under the `Id` type (app.core.validation) and the schemas' max_length, for every
    route that does not use them: an id too large for its column (sqlite3 raises OverflowError,
    PostgreSQL "integer out of range") can name nothing, so it is a 404 like any missing id; a text
    too long for its column (PostgreSQL only) is a 422."""
    if isinstance(exc, OverflowError):
        return NotFound(code="not_found") if "SQLite INTEGER" in str(exc) else None
    if isinstance(exc, DataError):
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        if state == _NUMERIC_OUT_OF_RANGE:
            return NotFound(code="not_found")
        if state == _STRING_TOO_LONG:
            return Unprocessable("填写的内容太长了", code="value_too_long")
    return None


def app_error_response(request: Request, exc: AppError) -> Response:
    if exc.status in (401, 403, 429):
        log.warning(
            "security event",
            extra={"event": exc.code, "status": exc.status, "route": request.url.path},
        )
    page = html_error_page(request, exc.status, exc.detail)
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
        return problem(413, "body_too_large", str(exc.detail), title="提交的内容太大")
    page = html_error_page(request, 413, str(exc.detail))
    if page is not None:
        return page
    body = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>提交的内容太大</title></head>'
        f"<body><h1>提交的内容太大</h1><p>{exc.detail}</p></body></html>"
    )
    return HTMLResponse(body, status_code=413)


def install_error_handlers(app: FastAPI) -> None:
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
            return internal_error_response()
        return app_error_response(request, error)

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = field_errors(exc)
        fields = "、".join(e["field"] for e in errors[:5])
        page = html_error_page(request, 422, "提交的内容有误")
        if page is not None:
            return page
        return problem(422, "validation_error", f"提交的内容有误：{fields}", title="提交的内容有误", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code, title = _STATUS_TITLES.get(exc.status_code, ("http_error", "请求有误"))
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else title
        page = html_error_page(request, exc.status_code, detail)
        if page is not None:
            return page
        return problem(exc.status_code, code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # normally RequestContextMiddleware answers first (with headers); this is the last resort
        log.error("unhandled error", exc_info=exc, extra={"route": request.url.path})
        return internal_error_response()


def internal_error_response() -> JSONResponse:
    code, title = _STATUS_TITLES[500]
    return problem(500, code, title)
