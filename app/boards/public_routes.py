"""The public pages villagers reach by QR code: pledge boards (/b/…) and star boards (/s/…), thin
routes over `ResolvedBoard` / `ResolvedStarBoard`, `public` and `stars` (the pages) and `forms` (the
two villagers' forms).

They answer HTML (Simplified Chinese), never JSON: a villager in WeChat's browser must always see a page
a person can read, including for "not found", "moved" (410) and "too many" — every error under /b/ and
/s/ is rendered by `pages.error_page`, registered here for the prefixes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Annotated, Any, TypeVar

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from starlette.background import BackgroundTask

from app.boards import forms, public, qr, service, stars, verify
from app.boards.dependencies import ResolvedBoard, ResolvedStarBoard, resolved_board, resolved_star_board
from app.boards.models import BoardKind
from app.boards.pages import big_text, board_not_found, board_year, error_page, message, public_headers
from app.boards.render import Rendered, if_none_match
from app.core import db
from app.core import generation as content_generation
from app.core.config import settings
from app.core.db import SessionDep
from app.core.errors import register_html_errors
from app.core.http import accepted
from app.core.middleware import body_limit
from app.core.storage import content_type_of, get_storage, is_key
from app.evaluations import dependencies as guard

public_router = APIRouter(include_in_schema=False)

register_html_errors("/b/", error_page)
register_html_errors("/s/", error_page)

FormText = Annotated[str, Form()]


HTML = "text/html; charset=utf-8"


def shared_page(
    if_none_match_header: str | None, encoding: str | None, page: Rendered
) -> tuple[int, dict[str, str], bytes]:
    """A shared page's answer: ETag (If-None-Match → 304), a minute in caches, brotli or gzip when
    accepted — the bytes stored with the page (core's CompressionMiddleware passes an encoded answer
    through). The one definition for the route and for the fast lane (boards.fast)."""
    headers = public_headers(ETag=page.etag, **{"Cache-Control": "public, max-age=60", "Vary": "Accept-Encoding"})
    if if_none_match(if_none_match_header, page.etag):
        return 304, headers, b""
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return 200, headers, page.encoded(encoding)


def body_or_head(request: Request, body: bytes, headers: dict[str, str]) -> Response:
    """GET: the page; HEAD: GET's headers, its length included, without the body."""
    if request.method == "HEAD":
        return Response(media_type=HTML, headers={**headers, "Content-Length": str(len(body))})
    return Response(body, media_type=HTML, headers=headers)


def cached_response(request: Request, page: Rendered) -> Response:
    status, headers, body = shared_page(request.headers.get("if-none-match"), accepted(request.scope), page)
    if status == 304:
        return Response(status_code=304, headers=headers)
    return body_or_head(request, body, headers)


def qr_response(data: str | bytes, media_type: str) -> Response:
    return Response(data, media_type=media_type, headers=public_headers(**{"Cache-Control": "public, max-age=86400"}))


def _image(key: str, *, shown: bool) -> Response:
    """A photo the page shows (any other key: the Chinese 404 page)."""
    path = get_storage().path(key) if shown and is_key(key) else None
    if path is None:
        raise board_not_found()
    headers = public_headers(**{"Cache-Control": "public, max-age=31536000, immutable"})
    return FileResponse(path, media_type=content_type_of(key), headers=headers)


# The public pages' work in the thread pool, a few at a time: more threads than the connection pool
# holds would open and close a database connection per request, and a single process gains nothing
# from more threads fighting over the GIL.
PAGE_THREADS = CapacityLimiter(8)


class PageMemo:
    """The public pages this process answered lately, by (kind, token, …): a repeat is answered on
    the event loop — no thread, no query of its own — while two things hold:

    - the content generation (core.generation) is the one read before the page was: any commit that
      wrote, through any worker, server or the CLI, moves it (Redis or PostgreSQL: one GET or one
      trivial query per request, on the loop), so a change shows on the next request everywhere;
      on the single-worker SQLite default it lives in this process, and a change made by another
      process (the CLI) shows within `public_recheck_seconds`;
    - the page is at most `settings.public_recheck_seconds` old (0: no memo, the database every time).

    Any write in this process (a flush, a bulk statement, a commit that wrote) also forgets them all
    at once. A page read while a write was under way is not kept (the generation moved on meanwhile)."""

    def __init__(self) -> None:
        # the page and what its route needs beside it (a board's `Resolved`, for its view count)
        self._items: dict[tuple[object, ...], tuple[float, int, Rendered | None, Any]] = {}
        self.generation = 0

    def get(self, key: tuple[object, ...], shared: int | None) -> tuple[Rendered | None, Any] | None:
        item = self._items.get(key)
        if item is None or shared is None or item[1] != shared:
            return None
        if time.monotonic() - item[0] > settings.public_recheck_seconds:
            return None
        return item[2], item[3]

    def put(
        self,
        key: tuple[object, ...],
        generation: int,
        shared: int | None,
        page: Rendered | None,
        board: Any,
    ) -> None:
        if generation != self.generation or shared is None or settings.public_recheck_seconds <= 0:
            return
        if len(self._items) >= 4096:
            self._items.clear()
        self._items[key] = (time.monotonic(), shared, page, board)

    def forget(self) -> None:
        self.generation += 1
        self._items.clear()


page_memo = PageMemo()
_STALE = "liangnuo.public_pages_stale"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    session.info[_STALE] = True
    page_memo.forget()


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_STALE] = True
        page_memo.forget()


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # forgotten again once the write is visible: a page read between the flush and the commit saw
    # the old state
    if session.info.pop(_STALE, False):
        page_memo.forget()


async def remembered(key: tuple[object, ...]) -> tuple[Rendered | None, Any] | None:
    """The page this process keeps for `key`, when it is still good (see PageMemo); else None."""
    if settings.public_recheck_seconds <= 0:
        return None
    return page_memo.get(key, await content_generation.current())


Beside = TypeVar("Beside")


async def memoized(
    key: tuple[object, ...], work: Callable[[], tuple[Rendered | None, Beside]]
) -> tuple[Rendered | None, Beside]:
    """The page for `key` from this process's memo, or `work()` in the thread pool (then kept): the
    one path of the boards, the star boards and the ranking (boards.ranking); the fast lane
    (boards.fast) answers a repeat from the same memo."""
    shared = await content_generation.current() if settings.public_recheck_seconds > 0 else None
    found = page_memo.get(key, shared)
    if found is not None:
        return found
    generation = page_memo.generation
    page, board = await to_thread.run_sync(work, limiter=PAGE_THREADS)
    page_memo.put(key, generation, shared, page, board)
    return page, board


def count_view(board: service.Resolved) -> bool:
    """Count one view of the board; True when the counts are due to be written (after the answer)."""
    return service.view_counter.record(board.board_id)


def counted(request: Request, response: Response, board: service.Resolved) -> Response:
    """A villager's view counted (a HEAD, e.g. a chat app's link preview, is not a view)."""
    if request.method == "GET" and count_view(board):
        # after the response is sent, in a transaction of its own (see ViewCounter)
        response.background = BackgroundTask(service.view_counter.flush)
    return response


def _board_page(token: str, big: bool, encoding: str | None, year: int | None) -> tuple[Rendered, service.Resolved]:
    """The board and its page in one trip to the thread pool with a session of its own: one indexed
    query (the token with both versions) when the page is cached. `year`: a past year's (往年承诺)."""
    with db.new_session(read_only=True) as session:
        board = resolved_board(session, token)
        if year is not None:
            board = replace(board, year=year)
        page = public.board_page(session, board, board.token, big=big)
        page.encoded(encoding)  # compressed here once, not on the event loop
        return page, board


@public_router.api_route("/b/{token}", methods=["GET", "HEAD"])
async def board_page(request: Request, token: str) -> Response:
    # async, with the work in one thread-pool call (none for a repeat, see PageMemo): a sync route
    # with sync dependencies would hop to the pool four times (the session's start and end, the
    # board, the route), each costing more than the cached page itself
    big, encoding = big_text(request), accepted(request.scope)
    year = board_year(request, service.current_year())
    key = ("b", token, big, encoding) if year is None else ("b", token, big, encoding, year)
    page, board = await memoized(key, partial(_board_page, token, big, encoding, year))
    assert page is not None
    return counted(request, cached_response(request, page), board)


@public_router.get("/b/{token}/qr.svg")
def qr_svg(board: ResolvedBoard) -> Response:
    return qr_response(qr.svg(service.public_url_of_token(board.token)), "image/svg+xml")


QrSize = Annotated[int | None, Query(ge=1, le=10_000)]


def _sized_board(session: SessionDep, token: str, size: QrSize = None) -> tuple[service.Resolved, int]:
    """The board and the QR size; the size is checked first (a malformed address is 400, whatever the token)."""
    return resolved_board(session, token), qr.clamp_size(size)


@public_router.get("/b/{token}/qr.png")
def qr_png(sized: Annotated[tuple[service.Resolved, int], Depends(_sized_board)]) -> Response:
    board, size = sized
    return qr_response(qr.png(service.public_url_of_token(board.token), size), "image/png")


@public_router.get("/b/{token}/img/{key}")
def board_image(session: SessionDep, board: ResolvedBoard, key: str) -> Response:
    return _image(key, shown=key in public.model_for(session, board).view.image_keys)


@public_router.get("/b/{token}/p/{pledge_id:int}/img/{key}")
def pledge_image(session: SessionDep, board: ResolvedBoard, pledge_id: int, key: str) -> Response:
    shown = key in public.model_for(session, board).view.image_keys
    if not shown:
        page = public.pledge_page(session, board, pledge_id, big=False)
        shown = page is not None and key in page.image_keys
    return _image(key, shown=shown)


def _pledge_page(token: str, pledge_id: int, big: bool) -> tuple[Rendered | None, service.Resolved]:
    with db.new_session(read_only=True) as session:
        board = resolved_board(session, token)
        return public.pledge_page(session, board, pledge_id, big=big), board


@public_router.api_route("/b/{token}/p/{pledge_id:int}", methods=["GET", "HEAD"])
async def pledge_page(request: Request, token: str, pledge_id: int) -> Response:
    """Cached like the board (see board_page); the device's form token is put in here."""
    big = big_text(request)
    page, board = await memoized(("p", token, pledge_id, big), partial(_pledge_page, token, pledge_id, big))
    if page is None:
        raise forms.pledge_not_found(board.token)
    gzip = accepted(request.scope, GZIP_ONLY) is not None
    headers, body = form_page(
        page, pledge_id, guard.device_of(request), gzip=gzip, secure=request.url.scheme == "https"
    )
    return body_or_head(request, body, headers)


GZIP_ONLY = ("gzip",)


def form_page(
    page: Rendered, pledge_id: int, device: guard.Device, *, gzip: bool, secure: bool
) -> tuple[dict[str, str], bytes]:
    """A pledge page with the device's own form token put in: never cached (private, no-store), the
    device's cookie set when it is new. Compressed once around the token (core.http.GzipSplice): gzip
    whenever the phone takes it, as every phone does — no compression per request. The one
    definition for the route and for the fast lane (boards.fast)."""
    token = guard.form_token(device, f"rate:{pledge_id}").encode()
    headers = public_headers(**{"Cache-Control": "private, no-store", "Vary": "Accept-Encoding"})
    splice = page.gzip_around(public.CSRF_SENTINEL) if gzip else None
    if splice is not None:
        headers["Content-Encoding"] = "gzip"
        body = splice.fill(token)
    else:
        body = page.body.replace(public.CSRF_SENTINEL.encode(), token)
    if device.is_new:
        headers["Set-Cookie"] = guard.device_cookie(device, secure=secure)
    return headers, body


@public_router.get("/b/{token}/p/{pledge_id:int}/verify")
def pledge_verify_page(request: Request, session: SessionDep, board: ResolvedBoard, pledge_id: int) -> Response:
    """The pledge's hash chain, for anyone to check (docs/history.md)."""
    html = verify.verify_page(session, board, pledge_id, big=big_text(request))
    if html is None:
        raise forms.pledge_not_found(board.token)
    return HTMLResponse(html, headers=public_headers(**{"Cache-Control": "no-store"}))


@public_router.post("/b/{token}/p/{pledge_id:int}/rate", openapi_extra=body_limit(forms.MAX_FORM_BODY))
def rate_pledge(
    request: Request,
    session: SessionDep,
    board: ResolvedBoard,
    pledge_id: int,
    choice: FormText = "",
    suggestion: FormText = "",
    csrf: FormText = "",
    website: FormText = "",
) -> Response:
    form = forms.Feedback(pledge_id=pledge_id, choice=choice, text=suggestion, csrf=csrf, honeypot=website)
    return forms.take(request, session, board, form)


@public_router.get("/b/{token}/p/{pledge_id:int}/rate")
def rate_reopened(request: Request, token: str, pledge_id: int) -> Response:
    """The form's address opened as a page (a reload, a shared link): the pledge's page."""
    return RedirectResponse(f"/b/{token}/p/{pledge_id}{'?big=1' if big_text(request) else ''}", status_code=303)


@public_router.get("/b/{token}/suggest")
def suggest_page(request: Request, session: SessionDep, board: ResolvedBoard) -> Response:
    device = guard.device_of(request)
    csrf = guard.form_token(device, f"suggest:{board.board_id}")
    html = public.suggest_page(public.model_for(session, board), board.token, csrf=csrf, big=big_text(request))
    return forms.form_response(request, html, device)


@public_router.post("/b/{token}/suggest", openapi_extra=body_limit(forms.MAX_FORM_BODY))
def suggest(
    request: Request,
    session: SessionDep,
    board: ResolvedBoard,
    text: FormText = "",
    csrf: FormText = "",
    website: FormText = "",
) -> Response:
    return forms.take(request, session, board, forms.Feedback(text=text, csrf=csrf, honeypot=website))


@public_router.get("/b/{token}/thanks")
def thanks(request: Request, board: ResolvedBoard, back: str = "") -> Response:
    link = f"/b/{board.token}"
    if back.startswith("p") and back[1:].isdigit():
        link = f"/b/{board.token}/p/{back[1:]}"
    if big_text(request):
        link += "?big=1"
    lines = ["我们已收到。满意度评价满 5 人后公布；意见建议经党支部审核后公开。"]
    return message(200, "感谢您的评价和监督", lines, link=link, link_text="返回", big=big_text(request))


@public_router.api_route("/b/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def nothing_here(request: Request, rest: str) -> HTMLResponse:
    """Anything else under /b/ (a mistyped or cut-off address): the Chinese 404 page, whatever the method
    and whether or not the PWA is mounted at /."""
    return error_page(request, 404, "")


# ---------------------------------------------------------------- star boards (创星榜)


def _star_page(token: str, big: bool, encoding: str | None) -> tuple[Rendered, service.Resolved]:
    with db.new_session(read_only=True) as session:
        board = resolved_star_board(session, token)
        page = stars.star_page(session, board, big=big)
        page.encoded(encoding)  # compressed here once, not on the event loop
        return page, board


@public_router.api_route("/s/{token}", methods=["GET", "HEAD"])
async def star_board_page(request: Request, token: str) -> Response:
    """As the board: one thread-pool call and one query when the page is cached, none for a repeat."""
    big, encoding = big_text(request), accepted(request.scope)
    page, board = await memoized(("s", token, big, encoding), partial(_star_page, token, big, encoding))
    assert page is not None
    return counted(request, cached_response(request, page), board)


@public_router.get("/s/{token}/qr.svg")
def star_qr_svg(board: ResolvedStarBoard) -> Response:
    return qr_response(qr.svg(service.public_url_of_token(board.token, BoardKind.stars)), "image/svg+xml")


def _sized_star_board(session: SessionDep, token: str, size: QrSize = None) -> tuple[service.Resolved, int]:
    return resolved_star_board(session, token), qr.clamp_size(size)


@public_router.get("/s/{token}/qr.png")
def star_qr_png(sized: Annotated[tuple[service.Resolved, int], Depends(_sized_star_board)]) -> Response:
    board, size = sized
    return qr_response(qr.png(service.public_url_of_token(board.token, BoardKind.stars), size), "image/png")


@public_router.api_route("/s/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def no_star_board_here(request: Request, rest: str) -> HTMLResponse:
    """Anything else under /s/: the Chinese 404 page."""
    return error_page(request, 404, "")
