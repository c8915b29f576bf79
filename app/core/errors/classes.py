"""The AppError family: one class per problem type, each with its status, stable `code` and Chinese
`title` — the one place a problem's title is written (framework errors such as a 404 route or a 405
method are answered through the class of their status, see `for_status`).

`detail` is Simplified Chinese for the person; `code` is a stable English identifier for programs.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException


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


class MethodNotAllowed(AppError):
    status, code, title = 405, "method_not_allowed", "不支持该请求方法"


class Conflict(AppError):
    status, code, title = 409, "conflict", "当前状态不允许此操作"


class PreconditionFailed(AppError):
    status, code, title = 412, "stale_version", "内容已被他人修改，请刷新后重试"


class PayloadTooLarge(AppError):
    status, code, title = 413, "too_large", "文件太大"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported_media_type", "不支持的文件类型"


class Unprocessable(AppError):
    status, code, title = 422, "invalid", "提交的内容有误"


class PreconditionRequired(AppError):
    status, code, title = 428, "if_match_required", "请求缺少 If-Match 版本号，请刷新后重试"


class TooManyRequests(AppError):
    status, code, title = 429, "too_many_requests", "操作过于频繁，请稍后再试"


class InternalError(AppError):
    status, code, title = 500, "internal_error", "服务器出了点问题，请稍后再试"


class ServiceUnavailable(AppError):
    """A store the request needs (the shared Redis, say) did not answer; the client may retry."""

    status, code, title = 503, "service_unavailable", "服务暂时繁忙，请稍后再试"


_BY_STATUS: dict[int, type[AppError]] = {
    cls.status: cls
    for cls in (
        AppError,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        Unprocessable,
        PreconditionRequired,
        TooManyRequests,
        InternalError,
        ServiceUnavailable,
    )
}


def for_status(status: int) -> type[AppError] | None:
    """The problem type of an HTTP status (None for one the app never answers by itself)."""
    return _BY_STATUS.get(status)


class BodyTooLarge(StarletteHTTPException):
    """A request body over the size limit (raised by core.middleware.BodyLimitMiddleware while the
    body streams in). An HTTPException, so FastAPI's body parsing passes it on instead of a 400."""

    code, title = "body_too_large", "提交的内容太大"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(413, detail=f"提交的内容太大（最多 {_megabytes(limit)}），请压缩或减少后重试")


class InputRefused(StarletteHTTPException):
    """Text holding a control character (NUL, ESC, …) or a lone surrogate, found by
    core.hygiene in a path, a query string or a body. An HTTPException, so FastAPI's body parsing
    passes it on (it is raised while the body is read) instead of turning it into a 400."""

    code, title = "invalid_characters", "提交的内容有误"
    message = "含有无法识别的控制字符，请删除后重试"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(422, detail=f"提交的内容{self.message}")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"
