"""Loaders for board routes: `VisibleBoard` (the secretaries' API: 404 outside the caller's scope) and
`ResolvedBoard` / `ResolvedStarBoard` (the public pages: the board behind a token, or the Chinese
404/410 page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.boards import service, stars
from app.boards.models import BOARD_KIND_LABELS, Board, BoardKind
from app.boards.pages import PageError, board_not_found
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.members.dependencies import ActorDep
from app.org import service as org_service
from app.org.models import OrgUnit


def visible_board(board_id: int, session: SessionDep, actor: ActorDep) -> Board:
    return service.visible_board(session, actor, board_id)[0]


VisibleBoard = Annotated[Board, Depends(visible_board)]


def who_to_ask(session: SessionDep, unit: OrgUnit) -> str:
    """The branch whose secretary answers for a unit's public pages (the unit itself when it is one)."""
    branch = org_service.branch_of(session, unit)
    return branch.name if branch is not None else unit.name


def gone_page(session: SessionDep, gone: service.BoardGone, kind: BoardKind = BoardKind.pledges) -> PageError:
    """410: the board taken down, or its QR code replaced — with whom to ask."""
    unit = org_service.get_unit(session, gone.unit_id)
    who = who_to_ask(session, unit)
    name = BOARD_KIND_LABELS[kind]
    if gone.taken_down:
        lines = [f"“{unit.name}”的这块{name}已撤下。", f"如有疑问，请向{who}书记询问。"]
        return PageError(410, f"{name}已撤下", lines, code="board_taken_down")
    lines = [
        f"“{unit.name}”的{name}已更换了新的二维码，这个旧二维码不再使用。",
        f"请扫描墙上新张贴的二维码，或向{who}书记询问。",
    ]
    return PageError(410, f"{name}已搬家", lines, code="board_moved")


def resolved_board(session: SessionDep, token: str) -> service.Resolved:
    try:
        return service.resolve(session, token)
    except service.BoardGone as gone:
        raise gone_page(session, gone) from None
    except NotFound:
        raise board_not_found() from None


ResolvedBoard = Annotated[service.Resolved, Depends(resolved_board)]
"""The board behind the `{token}` of a public path, or the Chinese 404 / 410 page."""


def star_board_not_found() -> PageError:
    lines = ["请检查二维码是否完整，或向村（社区）党组织询问。"]
    return PageError(404, "未找到该创星榜", lines, code="star_board_not_found")


def resolved_star_board(session: SessionDep, token: str) -> service.Resolved:
    try:
        return stars.resolve(session, token)
    except service.BoardGone as gone:
        raise gone_page(session, gone, BoardKind.stars) from None
    except NotFound:
        raise star_board_not_found() from None


ResolvedStarBoard = Annotated[service.Resolved, Depends(resolved_star_board)]
"""The star board behind the `{token}` of a /s/ path, or the Chinese 404 / 410 page."""
