"""Boards as the people on them find them (see `boards.mine`): my boards, a unit's boards."""

from __future__ import annotations

from fastapi import APIRouter

from app.boards import mine
from app.boards.schemas_mine import BoardLink, MyBoards
from app.core.db import SessionDep
from app.core.pagination import Page, PageDep
from app.core.validation import Id
from app.members.dependencies import ActorDep

router = APIRouter(tags=["boards"])


@router.get("/my-boards", response_model=MyBoards)
def my_boards(session: SessionDep, actor: ActorDep) -> MyBoards:
    """我的公示牌：我所在党小组、党支部的公示牌和创星榜的地址、二维码，以及公示牌上我的样子。"""
    return mine.my_boards(session, actor=actor)


@router.get("/units/{unit_id}/boards", response_model=Page[BoardLink])
def unit_boards(session: SessionDep, actor: ActorDep, paging: PageDep, unit_id: Id) -> Page[BoardLink]:
    """本组织的党员所在的公示牌（本组织及上级的公示牌、创星榜，近的在前）：公开地址和二维码。"""
    return mine.unit_boards(session, actor=actor, unit_id=unit_id, params=paging)
