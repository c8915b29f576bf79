"""The Chinese pages a villager gets instead of the one asked for: `PageError` and the renderer of
every error under the public prefixes (/b/, /s/), registered with core's HTML error registry.

A public route, or a dependency such as `ResolvedBoard`, raises `PageError` (or any `AppError`); the
app's one error handler finds this renderer by the path's prefix and answers a page a person can
read — never problem+json — with the public pages' security headers and `no-store`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.boards.render import PUBLIC_HEADERS, render
from app.core.errors import AppError


class PageError(AppError):
    """An error answered with a Chinese page: `page_title`, `lines`, and a link back when there is one."""

    def __init__(
        self,
        status: int,
        page_title: str,
        lines: list[str],
        *,
        code: str,
        link: str | None = None,
        link_text: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(page_title, code=code, headers=headers)
        self.status = status
        self.page_title = page_title
        self.lines = lines
        self.link = link
        self.link_text = link_text


def board_not_found() -> PageError:
    return PageError(
        404, "未找到该公示牌", ["请检查二维码是否完整，或向村（社区）党组织询问。"], code="board_not_found"
    )


def public_headers(**extra: str) -> dict[str, str]:
    return {**PUBLIC_HEADERS, **extra}


def big_text(request: Request) -> bool:
    """Whether the large-text version (大字版, `?big=1`) was asked for."""
    return request.query_params.get("big") == "1"


FIRST_BOARD_YEAR = 2000


def board_year(request: Request, current: int) -> int | None:
    """A past year asked for (`?year=2025`: 往年承诺), or None for the current one (no `year`, or this
    year). A year that is not a past year of the calendar is the Chinese 404 page."""
    raw = request.query_params.get("year")
    if raw is None or raw == str(current):
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4 and FIRST_BOARD_YEAR <= int(raw) < current):
        raise PageError(
            404,
            "没有这一年度的公示",
            [f"往年承诺可以查看 {FIRST_BOARD_YEAR}–{current - 1} 年。"],
            code="board_year_not_found",
        )
    return int(raw)


def message(
    status: int,
    title: str,
    lines: list[str],
    *,
    link: str | None = None,
    link_text: str = "",
    big: bool = False,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A short page: a title, a few lines and a link (errors, and the thank-you page)."""
    html = render("message.html", title=title, lines=lines, link=link, link_text=link_text, big=big)
    extra: dict[str, Any] = {"Cache-Control": "no-store", **(headers or {})}
    return HTMLResponse(html, status_code=status, headers=public_headers(**extra))


def _back_link(path: str) -> str:
    """The board or star board a public path belongs to (only a plausible token; never echo anything else)."""
    parts = path.split("/")
    token = parts[2] if len(parts) > 2 else ""
    plausible = 20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()
    return f"/{parts[1]}/{token}" if plausible else ""


_GENERIC = {
    404: ("未找到该页面", ["请检查二维码或网址是否完整，或向村（社区）党组织询问。"]),
    405: ("请从公示牌打开这一页", ["这个地址只用于提交表单。"]),
    413: ("内容太长", ["提交的内容太长了。意见建议请写在 200 字以内，再提交一次。"]),
    422: ("提交的内容有误", ["请返回上一页，重新填写后再提交。"]),
}


def error_page(request: Request, status: int, detail: str, error: AppError | None = None) -> HTMLResponse:
    """Any error under a public prefix: the page a `PageError` describes, or one for the status (a
    malformed URL or form, a wrong method, a body too large, anything else)."""
    if isinstance(error, PageError):
        return message(
            error.status,
            error.page_title,
            error.lines,
            link=error.link,
            link_text=error.link_text,
            headers=error.headers,
        )
    link = _back_link(request.url.path) or None
    title, lines = _GENERIC.get(status, ("出了点问题", [detail, "请稍后再试。"]))
    if status == 422 and request.method in ("GET", "HEAD"):  # a malformed URL, e.g. ?size=abc
        status, title, lines = 400, "网址有误", ["请检查网址是否完整，或重新扫描二维码。"]
    status = status if 400 <= status < 600 else 400
    back = "返回创星榜" if request.url.path.startswith("/s/") else "返回公示牌"
    return message(status, title, lines, link=link, link_text=back if link else "")
