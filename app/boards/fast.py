"""The boards' responders for core's fast lane (core.fastlane): a repeat of a board page or a star
board this process keeps (PageMemo, boards.public_routes) is answered before the app's middleware
and routing — the same bytes, headers, 304s and view counting as the route, from `shared_page`.

The public ranking (`/r/{token}`, boards.ranking) too, from the same memo (no view count: it is no
board). The pledge page (`/b/{token}/p/{id}`) too, with the visitor's own form token put in and the device
cookie set as the route does (`form_page`). Only these plain addresses (with nothing or `big=1` as
their query) are taken; anything else — a miss, another query, another path under the board — goes
through the app, which also answers every error.
"""

from __future__ import annotations

from functools import lru_cache

from anyio import to_thread
from starlette.requests import cookie_parser
from starlette.types import Scope

from app.boards import service
from app.boards.public_routes import GZIP_ONLY, HTML, count_view, form_page, remembered, shared_page
from app.boards.ranking import memo_key
from app.core.fastlane import Answer
from app.core.http import accepted
from app.evaluations import dependencies as guard

BOARD_ROUTE = "/b/{token}"
STAR_ROUTE = "/s/{token}"
PLEDGE_ROUTE = "/b/{token}/p/{pledge_id:int}"  # as the route names it
RANKING_ROUTE = "/r/{token}"


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
    if big is None:
        return None
    if "/" in token:
        return await _pledge(scope, token, big) if kind == "b" else None
    if not token:
        return None
    encoding = accepted(scope)
    found = await remembered((kind, token, big, encoding))
    if found is None:
        return None
    page, board = found
    if page is None:
        return None
    status, headers, body = shared_page(_header(scope, b"if-none-match"), encoding, page)
    after = _flush_views if board is not None and count_view(board) else None
    return Answer(status, _raw_headers(tuple(headers.items()), status == 200), body, route, after)


async def _shared(scope: Scope, key: tuple[object, ...], encoding: str | None, route: str) -> Answer | None:
    """A shared page without a view count (the ranking) from the memo, as the route answers it."""
    found = await remembered(key)
    if found is None or found[0] is None:
        return None
    status, headers, body = shared_page(_header(scope, b"if-none-match"), encoding, found[0])
    return Answer(status, _raw_headers(tuple(headers.items()), status == 200), body, route)


async def _pledge(scope: Scope, path: str, big: bool) -> Answer | None:
    token, _, rest = path.partition("/p/")
    if not token or "/" in token or not rest.isascii() or not rest.isdigit() or len(rest) > 18:
        return None
    gzip = accepted(scope, GZIP_ONLY) is not None
    if not gzip and accepted(scope) is not None:  # a phone that takes only brotli: the app compresses
        return None
    found = await remembered(("p", token, int(rest), big))
    if found is None:
        return None
    page = found[0]
    if page is None:
        return None
    device = guard.device_in(cookie_parser(_header(scope, b"cookie") or "").get(guard.DEVICE_COOKIE, ""))
    headers, body = form_page(page, int(rest), device, gzip=gzip, secure=scope.get("scheme") == "https")
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return Answer(200, [*raw, (b"content-type", HTML.encode())], body, PLEDGE_ROUTE)


async def board(scope: Scope) -> Answer | None:
    """GET /b/{token} (and ?big=1) and its pledge pages /b/{token}/p/{id}, when this process keeps
    the page."""
    return await _answer(scope, "b", BOARD_ROUTE)


async def star_board(scope: Scope) -> Answer | None:
    """GET /s/{token} (and ?big=1), when this process keeps the page."""
    return await _answer(scope, "s", STAR_ROUTE)


async def ranking(scope: Scope) -> Answer | None:
    """GET /r/{token} (and ?big=1), when this process keeps the page."""
    token, big = scope["path"][3:], _big(scope)
    if big is None or not token or "/" in token:
        return None
    encoding = accepted(scope)
    return await _shared(scope, memo_key(token, big, encoding), encoding, RANKING_ROUTE)
