"""What of a board the history (变更记录, app/core/changes.py) records, at boards.service's write
points: kind, unit, title, note, the members chosen one by one, a new address (the action alone: the
token is never recorded) and taking it down."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.boards.models import Board, BoardMember
from app.core import changes
from app.core.changes import ChangeKind
from app.core.permissions import Actor

FIELDS = ("kind", "unit_id", "title", "note", "selected_members")


def state(session: Session, board: Board) -> dict[str, Any]:
    """The board as the history sees it now (the chosen members: one query when there are any)."""
    members = None
    if board.selected_members and board.id is not None:
        members = list(
            session.execute(
                select(col(BoardMember.member_id))
                .where(col(BoardMember.board_id) == board.id)
                .order_by(col(BoardMember.sort_order))
            ).scalars()
        )
    return {**changes.snapshot(board, FIELDS), "member_ids": members, "archived": board.archived_at is not None}


def changed(
    session: Session, actor: Actor, board: Board, before: dict[str, Any] | None, action: str, *, always: bool = False
) -> None:
    """What differs from `before` (None: a new board, every field it has)."""
    after = state(session, board)
    if before is None:
        after = {k: v for k, v in after.items() if v not in (None, "", False)}
    changes.record(
        session, actor=actor, kind=ChangeKind.board, object_id=board.id, action=action,
        changes=changes.diff(before or {}, after), always=always,
    )  # fmt: skip
