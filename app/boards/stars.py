"""The public star board (创星榜, /s/{token}) and the star levels on pledge boards, read from ratings.

Boards know ratings only through `Ratings` below (what `app.ratings.public` provides): published
levels only, no score, no part, no peer data. A star board's page is cached by (board id, token,
board version, the sum of `content_version` over its unit's subtree): ratings touch the branches and
groups concerned when levels are published or corrected and when 十佳 are selected, so the sum moves
and the page with it (a committee's own content_version never moves; see org_service.touch).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.boards import service
from app.boards.models import Board, BoardKind
from app.boards.render import PageCache, Rendered, render
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import history
from app.ratings import public as ratings_public
from app.ratings.schemas import LevelPublic, StarBoardPublic


class Ratings(Protocol):
    """What boards read of ratings."""

    def member_levels(self, session: Session, member_ids: Iterable[int]) -> dict[int, LevelPublic]: ...

    def unit_levels(self, session: Session, unit_ids: Iterable[int]) -> dict[int, LevelPublic]: ...

    def star_board(self, session: Session, unit: OrgUnit) -> StarBoardPublic: ...


ratings: Ratings = ratings_public

TREND_MARKS = {"up": "↑", "down": "↓"}
TREND_WORDS = {"up": "晋星", "down": "降星"}
LONG_LIST = 100  # a level with more names shows them folded (<details>: no script needed)

star_cache = PageCache(size=64)


def subtree_version(session: Session, unit_id: int) -> int:
    """The sum of content_version over a unit's subtree: it moves whenever anything a board below shows
    changes (touch() bumps only groups and branches), so a star board high in the tree sees it too."""
    top = aliased(OrgUnit)
    stmt = (
        select(func.coalesce(func.sum(col(OrgUnit.content_version)), 0))
        .select_from(OrgUnit)
        .join(top, col(top.id) == unit_id)
        .where(col(OrgUnit.path).startswith(col(top.path)))
    )
    return int(session.execute(stmt).scalar_one())


def resolve(session: Session, token: str) -> service.Resolved:
    """The star board behind a token with the versions its page depends on (two queries); BoardGone
    (410) or NotFound (404) as for a pledge board."""
    found = service.resolve(session, token, BoardKind.stars)
    return replace(found, content_version=subtree_version(session, found.unit_id))


def star_page(session: Session, resolved: service.Resolved, *, big: bool) -> Rendered:
    """The star board's page for this version, from the cache or rendered once."""
    digest = history.digest_line(session, resolved.unit_id)  # 记录校验码 (docs/history.md)
    key = ("stars", resolved.board_id, resolved.token, resolved.version, resolved.content_version, big, digest)
    page = star_cache.get(key)
    if page is not None:
        return page
    board = service.get_board(session, resolved.board_id)
    unit = org_service.get_unit(session, board.unit_id)
    base = service.public_path(resolved.token, BoardKind.stars)
    view = ratings.star_board(session, unit)
    html = render(
        "stars.html", s=view, b=board, base=base, big=big, title=board.title, long_list=LONG_LIST, digest=digest
    )
    page = Rendered.of(html)
    star_cache.put(key, page)
    return page


def star_board_view(session: Session, board: Board) -> StarBoardPublic:
    """What a star board shows now (for its poster)."""
    return ratings.star_board(session, org_service.get_unit(session, board.unit_id))


def clear_caches() -> None:
    star_cache.clear()
