"""The public 比学赶超 ranking (PK台) at /r/{token}: a town's branches in order of the year's score,
with their star level, tier, pledge coverage, kept rate and villagers' 满意度 — figures only, never a
person (app/appraisal/ranking.py builds the view). Published only while the committee's decision
stands: an unknown or withdrawn token is the Chinese 404 page.

On the boards' path (boards.public_routes): one thread-pool call with a session of its own, the
rendered page kept by (token, the publication's version, the sum of content_version over the town's
subtree — tiers, levels, pledges and ratings touch their branches, big), and the answer memoised in
this process while the content generation every worker reads stays the same (`memoized`; a publish
or a withdrawal is a commit that moves it, so the next request everywhere sees it), a repeat answered
by the fast lane before the app (boards.fast.ranking); a strong ETag that also carries the
publication's version (a republish is a new ETag even when the figures are the same), 304, brotli or
gzip as stored, HEAD answered like GET without the body, no script, large text at ?big=1, every error
under /r/ a Chinese HTML page.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.appraisal import ranking as appraisal_ranking
from app.boards import qr
from app.boards.pages import PageError, big_text, error_page
from app.boards.public_routes import cached_response, memoized, qr_response
from app.boards.render import PageCache, Rendered, render
from app.boards.stars import subtree_version
from app.core import db
from app.core.config import settings
from app.core.errors import register_html_errors
from app.core.http import accepted

ranking_router = APIRouter(include_in_schema=False)
register_html_errors("/r/", error_page)

ranking_cache = PageCache(size=32)


def not_found() -> PageError:
    return PageError(
        404,
        "未找到该排行榜",
        ["排行榜可能尚未公布或已撤下。请检查二维码是否完整，或向镇（乡）党委询问。"],
        code="ranking_not_found",
    )


def memo_key(token: str, big: bool, encoding: str | None) -> tuple[object, ...]:
    """The page's key in the process memo (the route's and the fast lane's)."""
    return ("r", token, big, encoding)


def _etag(page: Rendered, version: int) -> str:
    """The content's digest with the publication's version in it: a republish is a new ETag."""
    body = hashlib.sha256(page.body + f"\0ranking:{version}".encode()).hexdigest()[:32]
    return f'"{body}"'


def ranking_page(token: str, big: bool, encoding: str | None) -> tuple[Rendered, None]:
    """The page for the current versions, from the cache or rendered once (one session, read only)."""
    with db.new_session(read_only=True) as session:
        found = appraisal_ranking.public_by_token(session, token)
        if found is None:
            raise not_found()
        publication, committee = found
        key = (token, publication.version, subtree_version(session, committee.id or 0), big)
        page = ranking_cache.get(key)
        if page is None:
            view = appraisal_ranking.view(session, committee, publication.year, publication.title)
            base = f"/r/{token}"
            html = render(
                "ranking.html", r=view, base=base, big=big, title=view.title, published_at=publication.published_at
            )
            page = Rendered.of(html)
            page = replace(page, etag=_etag(page, publication.version))
            ranking_cache.put(key, page)
        page.encoded(encoding)  # compressed here once, not on the event loop
        return page, None


@ranking_router.api_route("/r/{token}", methods=["GET", "HEAD"])
async def ranking_public(request: Request, token: str) -> Response:
    """比学赶超排行榜（公开，无需登录）；HEAD 与 GET 相同，只是没有正文。"""
    big, encoding = big_text(request), accepted(request.scope)
    page, _ = await memoized(memo_key(token, big, encoding), partial(ranking_page, token, big, encoding))
    assert page is not None
    return cached_response(request, page)


def _published_url(token: str) -> str:
    with db.new_session(read_only=True) as session:
        if appraisal_ranking.public_by_token(session, token) is None:
            raise not_found()
    return f"{settings.public_base_url.rstrip('/')}/r/{token}"


@ranking_router.get("/r/{token}/qr.svg")
def ranking_qr_svg(token: str) -> Response:
    return qr_response(qr.svg(_published_url(token)), "image/svg+xml")


@ranking_router.api_route("/r/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def no_ranking_here(request: Request, rest: str) -> HTMLResponse:
    """Anything else under /r/: the Chinese 404 page."""
    return error_page(request, 404, "")


def clear_caches() -> None:
    ranking_cache.clear()
