"""The AppError family and the one handler that turns every error into application/problem+json.

`detail` is Simplified Chinese for the person; `code` is a stable English identifier for programs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from enum import Enum
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

# {label}: the field's Chinese name (register_labels), else the field as sent
_FIELD_MESSAGES = {
    "missing": "请填写{label}",
    "string_too_long": "{label}太长了（最多 {max_length} 个字）",
    "string_too_short": "{label}太短了（至少 {min_length} 个字）",
    "greater_than_equal": "{label}不能小于 {ge}",
    "less_than_equal": "{label}不能大于 {le}",
    "greater_than": "{label}必须大于 {gt}",
    "less_than": "{label}必须小于 {lt}",
    "int_parsing": "{label}应为整数",
    "int_type": "{label}应为整数",
    "int_from_float": "{label}应为整数",
    "float_parsing": "{label}应为数字",
    "float_type": "{label}应为数字",
    "bool_parsing": "{label}应为“是”或“否”",
    "bool_type": "{label}应为“是”或“否”",
    "string_type": "{label}应为文字",
    "date_from_datetime_parsing": "{label}应为日期，如 2026-12-31",
    "date_from_datetime_inexact": "{label}应为日期，如 2026-12-31",
    "date_parsing": "{label}应为日期，如 2026-12-31",
    "date_type": "{label}应为日期，如 2026-12-31",
    "datetime_parsing": "{label}的时间格式不正确",
    "datetime_from_date_parsing": "{label}的时间格式不正确",
    "enum": "{label}应为{expected}",
    "literal_error": "{label}应为{expected}",
    "string_pattern_mismatch": "{label}的格式不正确",
    "json_invalid": "提交的内容不是有效的 JSON",
    "model_attributes_type": "{label}的格式不正确",
    "model_type": "{label}的格式不正确",
    "dict_type": "{label}的格式不正确",
    "list_type": "{label}应为一组值",
    "too_long": "{label}太多了（最多 {max_length} 项）",
    "too_short": "{label}太少了（至少 {min_length} 项）",
    "extra_forbidden": "不认识的内容：{field}",
    "value_error": "{msg}",
    "assertion_error": "{msg}",
}
_ID_RANGE = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")

# ---------------------------------------------------------------- Chinese names in validation messages

# path prefix ("" for everywhere) → field name → its Chinese name
_FIELD_LABELS: dict[str, dict[str, str]] = {
    "": {"body": "提交的内容", "page": "页码", "size": "每页条数", "q": "搜索词"},
}
# the set of an enum's values → value → its Chinese name
_VALUE_LABELS: dict[frozenset[str], dict[str, str]] = {}
_ANY_VALUE_LABELS: dict[str, str] = {}


def register_labels(
    fields: Mapping[str, str] | None = None, *, values: Mapping[Any, str] | None = None, prefix: str = ""
) -> None:
    """Give request fields, and the values of enums, the Chinese names validation messages use.

    Each domain registers its own when its schemas are imported (core knows no domain). `fields`
    maps a field name (as sent: "title", "due_date", "member_ids") to its name ("标题"); where one
    name means different things, register the rarer one with a path `prefix` ("/api/v1/units" for
    an org unit's "name"). `values` maps enum members to their names ({PledgeCategory.post_duty:
    "岗位职责", …}): a wrong value is answered with the choices by name ("类别应为岗位职责、…或其他").
    """
    if fields:
        _FIELD_LABELS.setdefault(prefix, {}).update(fields)
    for member, label in (values or {}).items():
        value = str(member.value if isinstance(member, Enum) else member)
        if isinstance(member, Enum):
            choices = frozenset(str(m.value) for m in type(member))
            _VALUE_LABELS.setdefault(choices, {})[value] = label
        _ANY_VALUE_LABELS.setdefault(value, label)


def field_label(field: str, path: str = "") -> str:
    """The Chinese name of a field for a request to `path` (the field itself when none is known)."""
    for prefix in sorted(_FIELD_LABELS, key=len, reverse=True):
        if path.startswith(prefix) and field in _FIELD_LABELS[prefix]:
            return _FIELD_LABELS[prefix][field]
    return field


def _choices(expected: str) -> str:
    """pydantic's "'a', 'b' or 'c'" as "甲、乙或丙" where the values have names."""
    values = re.findall(r"'((?:[^'\\]|\\.)*)'", expected)
    if not values:
        return expected
    table = _VALUE_LABELS.get(frozenset(values), {})
    names = [table.get(v) or _ANY_VALUE_LABELS.get(v) or v for v in values]
    return names[0] if len(names) == 1 else "、".join(names[:-1]) + "或" + names[-1]


def field_errors(exc: RequestValidationError, path: str = "") -> list[dict[str, Any]]:
    """Each error as {field, label, message, type}: `field` as sent (for programs), the message in
    Chinese naming the field by its label."""
    out = []
    for err in exc.errors():
        kind = str(err.get("type", ""))
        parts = [p for p in err.get("loc", ()) if p not in ("body", "query", "path", "header", "form", "cookie")]
        field = ".".join(str(p) for p in parts) if kind != "json_invalid" else ""
        name = next((str(p) for p in reversed(parts) if isinstance(p, str)), "")
        label = field_label(name, path) if name else "提交的内容"
        ctx = dict(err.get("ctx") or {})
        msg = str(err.get("msg", "")).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if kind in ("enum", "literal_error") and "expected" in ctx:
            ctx["expected"] = _choices(str(ctx["expected"]))
        if kind in _ID_RANGE and name.endswith(("_id", "_ids")):
            message = f"{label}编号不正确"
        elif kind == "string_too_short" and ctx.get("min_length") == 1:
            message = f"请填写{label}"
        else:
            template = _FIELD_MESSAGES.get(kind, "{label}的格式不正确")
            try:
                message = template.format(
                    label=label, field=field, msg=msg, **{k: v for k, v in ctx.items() if k not in ("msg", "label")}
                )
            except (KeyError, IndexError, ValueError):
                message = f"{label}的格式不正确"
        out.append({"field": field or "body", "label": label, "message": message, "type": kind})
    return out


def validation_detail(errors: list[dict[str, Any]]) -> str:
    """One error: its message ("请填写原因"); several: the fields by name ("提交的内容有误：标题、内容")."""
    if len(errors) == 1:
        return str(errors[0]["message"])
    labels = list(dict.fromkeys(str(e["label"]) for e in errors))
    shown = "、".join(labels[:5]) + ("等" if len(labels) > 5 else "")
    return f"提交的内容有误：{shown}"


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
        errors = field_errors(exc, request.url.path)
        page = html_error_page(request, 422, "提交的内容有误")
        if page is not None:
            return page
        return problem(422, "validation_error", validation_detail(errors), title="提交的内容有误", errors=errors)

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
