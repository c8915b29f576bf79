"""Loaders for board routes: `VisibleBoard` (the secretaries' API: 404 outside the caller's scope) and
`ResolvedBoard` (the public pages: the board behind a token, or the Chinese 404/410 page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.boards import service
from app.boards.models import Board
from app.boards.pages import PageError, board_not_found
from app.core.db import SessionDep
from app.core.errors import NotFound
from app.org import service as org_service
from app.org.dependencies import ActorDep
from app.org.models import OrgUnit


def visible_board(board_id: int, session: SessionDep, actor: ActorDep) -> Board:
    return service.visible_board(session, actor, board_id)[0]


VisibleBoard = Annotated[Board, Depends(visible_board)]


def who_to_ask(session: SessionDep, unit: OrgUnit) -> str:
    """The branch whose secretary answers for a unit's public pages (the unit itself when it is one)."""
    branch = org_service.branch_of(session, unit)
    return branch.name if branch is not None else unit.name


def gone_page(session: SessionDep, gone: service.BoardGone) -> PageError:
    """410: the board taken down, or its QR code replaced — with whom to ask."""
    unit = org_service.get_unit(session, gone.unit_id)
    who = who_to_ask(session, unit)
    if gone.taken_down:
        lines = [f"“{unit.name}”的这块公示牌已撤下。", f"如有疑问，请向{who}书记询问。"]
        return PageError(410, "公示牌已撤下", lines, code="board_taken_down")
    lines = [
        f"“{unit.name}”的公示牌已更换了新的二维码，这个旧二维码不再使用。",
        f"请扫描墙上新张贴的二维码，或向{who}书记询问。",
    ]
    return PageError(410, "公示牌已搬家", lines, code="board_moved")


def resolved_board(session: SessionDep, token: str) -> service.Resolved:
    try:
        return service.resolve(session, token)
    except service.BoardGone as gone:
        raise gone_page(session, gone) from None
    except NotFound:
        raise board_not_found() from None


ResolvedBoard = Annotated[service.Resolved, Depends(resolved_board)]
"""The board behind the `{token}` of a public path, or the Chinese 404 / 410 page."""
