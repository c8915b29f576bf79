"""Pages read by people, not programs (the public boards under /b/): a higher domain registers a
renderer for its path prefix at start-up, and every error under it is answered by that renderer
instead of problem+json. Core never imports the domain."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from starlette.responses import Response

from app.core.errors.classes import AppError

# (request, status, Chinese detail, the AppError when there is one) → the page
HtmlErrorPage = Callable[[Request, int, str, AppError | None], Response]
_html_error_pages: dict[str, HtmlErrorPage] = {}


def register_html_errors(prefix: str, render: HtmlErrorPage) -> None:
    """Answer errors under `prefix` (e.g. "/b/") with `render(request, status, detail, error)`."""
    _html_error_pages[prefix] = render


def html_error_page(request: Request, status: int, detail: str, error: AppError | None = None) -> Response | None:
    for prefix, render in _html_error_pages.items():
        if request.url.path.startswith(prefix):
            return render(request, status, detail, error)
    return None
