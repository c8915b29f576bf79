from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.boards import service
from app.boards.models import Board
from app.core.db import SessionDep
from app.org.dependencies import ActorDep


def visible_board(board_id: int, session: SessionDep, actor: ActorDep) -> Board:
    return service.visible_board(session, actor, board_id)[0]


VisibleBoard = Annotated[Board, Depends(visible_board)]
