"""The boards' responders for core's fast lane (core.fastlane): a repeat of a board page or a star
board this process keeps (PageMemo, boards.public_routes) is answered before the app's middleware
and routing — the same bytes, headers, 304s and view counting as the route, from `shared_page`.

Only the plain address (`/b/{token}`, `/s/{token}`, with nothing or `big=1` as its query) is taken;
anything else — a miss, another query, a path under the board — goes through the app, which also
answers every error. The pledge page is not here: it carries each visitor's own form token.
"""

from __future__ import annotations

from functools import lru_cache

from anyio import to_thread
from starlette.types import Scope

from app.boards import service
from app.boards.public_routes import HTML, count_view, remembered, shared_page
from app.core.fastlane import Answer
from app.core.http import accepted

BOARD_ROUTE = "/b/{token}"
STAR_ROUTE = "/s/{token}"


def _big(scope: Scope) -> bool | None:
    query: bytes = scope.get("query_string", b"")
    if not query:
        return False
    return True if query == b"big=1" else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


@lru_cache(maxsize=1024)
def _raw_headers(items: tuple[tuple[str, str], ...], with_type: bool) -> list[tuple[bytes, bytes]]:
    """A page's headers as ASGI wants them, made once per (version, encoding, status)."""
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items]
    if with_type:
        raw.append((b"content-type", HTML.encode()))
    return raw


async def _flush_views() -> None:
    await to_thread.run_sync(service.view_counter.flush)


async def _answer(scope: Scope, kind: str, route: str) -> Answer | None:
    token = scope["path"][3:]
    big = _big(scope)
    if not token or "/" in token or big is None:
        return None
    encoding = accepted(scope)
    found = await remembered((kind, token, big, encoding))
    if found is None:
        return None
    page, board = found
    if page is None:
        return None
    status, headers, body = shared_page(_header(scope, b"if-none-match"), encoding, page)
    after = _flush_views if count_view(board) else None
    return Answer(status, _raw_headers(tuple(headers.items()), status == 200), body, route, after)


async def board(scope: Scope) -> Answer | None:
    """GET /b/{token} (and ?big=1), when this process keeps the page."""
    return await _answer(scope, "b", BOARD_ROUTE)


async def star_board(scope: Scope) -> Answer | None:
    """GET /s/{token} (and ?big=1), when this process keeps the page."""
    return await _answer(scope, "s", STAR_ROUTE)
