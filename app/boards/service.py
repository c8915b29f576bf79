"""Boards (公示牌): managing them (secretaries) and resolving a public token to a board (villagers).

The public page itself is built in `public.py` from the other domains' `…Public` schemas and cached
by (board id, board version, unit content_version); `resolve()` reads all three in one query.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from app.boards.models import Board, BoardMember, BoardViewDay, RetiredBoardToken
from app.boards.schemas import BoardCreate, BoardRead, BoardUpdate, BoardViews, BoardViewsDay
from app.core.config import settings
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, require
from app.core.security import token_digest
from app.core.time import CHINA_TZ, today_local, utcnow
from app.members import service as members_service
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind

BOARD_UNIT_KINDS = (UnitKind.group, UnitKind.branch)


def new_token() -> str:
    """192 random bits, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


def public_url_of_token(token: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/b/{token}"


def public_url(board: Board) -> str:
    return public_url_of_token(board.token)


def default_title(unit: OrgUnit) -> str:
    return f"{unit.name}党员公开承诺公示牌"[:60]


# ---------------------------------------------------------------- managing boards (secretaries)


def to_read(board: Board, unit: OrgUnit, member_ids: list[int] | None) -> BoardRead:
    assert board.id is not None
    url = public_url(board)
    api = f"/api/v1/boards/{board.id}"
    return BoardRead(
        id=board.id,
        unit_id=board.unit_id,
        unit_name=unit.name,
        title=board.title,
        note=board.note,
        member_ids=member_ids,
        version=board.version,
        public_url=url,
        qr_svg_url=f"{url}/qr.svg",
        qr_png_url=f"{url}/qr.png",
        poster_url=f"{api}/poster",
        poster_pdf_url=f"{api}/poster.pdf",
        created_at=board.created_at,
        updated_at=board.updated_at,
    )


def selected_member_ids(session: Session, board_ids: Sequence[int]) -> dict[int, list[int]]:
    if not board_ids:
        return {}
    rows = session.execute(
        select(col(BoardMember.board_id), col(BoardMember.member_id))
        .where(col(BoardMember.board_id).in_(board_ids))
        .order_by(col(BoardMember.board_id), col(BoardMember.sort_order))
    ).all()
    out: dict[int, list[int]] = {}
    for board_id, member_id in rows:
        out.setdefault(board_id, []).append(member_id)
    return out


def read(session: Session, board: Board, unit: OrgUnit | None = None) -> BoardRead:
    unit = unit or org_service.get_unit(session, board.unit_id)
    ids = selected_member_ids(session, [board.id or 0]).get(board.id or 0, []) if board.selected_members else None
    return to_read(board, unit, ids)


def _board_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    unit = org_service.visible_unit(session, actor, unit_id)
    require(actor, Permission.board_manage, unit)
    if unit.kind not in BOARD_UNIT_KINDS or unit.archived_at is not None:
        raise Unprocessable(
            "公示牌只能设在党小组（村民组）、社区或党支部",
            code="board_bad_unit",
            errors=[{"field": "unit_id", "message": "请选择党小组或党支部"}],
        )
    return unit


def _check_members(session: Session, unit: OrgUnit, member_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(member_ids))
    found = members_service.members_by_id(session, ids)
    for member_id in ids:
        m = found.get(member_id)
        inside = m is not None and (m.group_id == unit.id if unit.kind == UnitKind.group else m.branch_id == unit.id)
        if not inside:
            raise Unprocessable(
                f"党员 {member_id} 不在“{unit.name}”",
                code="board_member_outside",
                errors=[{"field": "member_ids", "message": "只能选择本组织的党员"}],
            )
    return ids


def _set_members(session: Session, board: Board, member_ids: list[int] | None) -> None:
    session.execute(delete(BoardMember).where(col(BoardMember.board_id) == board.id))
    board.selected_members = member_ids is not None
    for i, member_id in enumerate(member_ids or []):
        session.add(BoardMember(board_id=board.id, member_id=member_id, sort_order=i))  # type: ignore[arg-type]


def create_board(session: Session, *, actor: Actor, data: BoardCreate) -> Board:
    unit = _board_unit(session, actor, data.unit_id)
    ids = _check_members(session, unit, data.member_ids) if data.member_ids is not None else None
    board = Board(
        unit_id=data.unit_id,
        title=data.title or default_title(unit),
        note=data.note,
        token=new_token(),
        created_by_account_id=actor.account_id,
    )
    session.add(board)
    session.flush()
    _set_members(session, board, ids)
    session.flush()
    return board


def visible_board(session: Session, actor: Actor, board_id: int) -> tuple[Board, OrgUnit]:
    """The board and its unit, or 404 when missing, archived or outside the actor's scope."""
    board = session.get(Board, board_id)
    if board is not None and board.archived_at is None:
        unit = org_service.get_unit(session, board.unit_id)
        if actor.can_see(unit.path):
            return board, unit
    raise NotFound("未找到该公示牌，或不在您的管理范围内")


def update_board(session: Session, *, actor: Actor, board: Board, data: BoardUpdate) -> Board:
    require(actor, Permission.board_manage, org_service.get_unit(session, board.unit_id))
    changes = data.model_fields_set
    unit = _board_unit(session, actor, data.unit_id) if data.unit_id is not None else None
    if unit is not None:
        board.unit_id = data.unit_id  # type: ignore[assignment]
    if data.title is not None:
        board.title = data.title
    if data.note is not None:
        board.note = data.note
    if "member_ids" in changes or unit is not None:
        target = unit or org_service.get_unit(session, board.unit_id)
        if "member_ids" in changes:
            ids = _check_members(session, target, data.member_ids) if data.member_ids is not None else None
        else:  # the unit changed: keep the chosen members only if they are all in the new unit
            current = selected_member_ids(session, [board.id or 0]).get(board.id or 0)
            ids = _check_members(session, target, current) if current is not None else None
        _set_members(session, board, ids)
    board.version += 1
    board.updated_at = utcnow()
    session.add(board)
    session.flush()
    return board


def rotate_token(session: Session, *, actor: Actor, board: Board) -> Board:
    """A new public token (a stolen or damaged poster); the old URL answers 410 from now on."""
    require(actor, Permission.board_manage, org_service.get_unit(session, board.unit_id))
    session.add(RetiredBoardToken(token_digest=token_digest(board.token), board_id=board.id))  # type: ignore[arg-type]
    board.token = new_token()
    board.version += 1
    board.updated_at = utcnow()
    session.add(board)
    session.flush()
    return board


def take_down(session: Session, *, actor: Actor, board: Board) -> Board:
    """Take a board down (kept, never deleted); its URL answers 410 from now on."""
    require_manage(session, actor, board)
    board.archived_at = utcnow()
    board.version += 1
    session.add(board)
    session.flush()
    return board


def require_manage(session: Session, actor: Actor, board: Board) -> OrgUnit:
    unit = org_service.get_unit(session, board.unit_id)
    require(actor, Permission.board_manage, unit)
    return unit


def list_boards(session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None) -> Page[BoardRead]:
    """Boards in the units the actor manages boards for (or in one unit's subtree)."""
    paths = org_service.scope_for(session, actor, Permission.board_manage, unit_id)
    stmt: Any = (
        select(Board)
        .where(col(Board.unit_id).in_(org_service.subtree_ids(paths)), col(Board.archived_at).is_(None))
        .order_by(col(Board.unit_id), col(Board.id))
    )

    def to_reads(rows: Sequence[Board]) -> list[BoardRead]:
        units = org_service.units_by_id(session, {b.unit_id for b in rows})
        selected = selected_member_ids(session, [b.id for b in rows if b.selected_members and b.id is not None])
        return [to_read(b, units[b.unit_id], selected.get(b.id or 0, []) if b.selected_members else None) for b in rows]

    return paginate(session, stmt, params, to_reads)


def boards_of_branch(session: Session, *, actor: Actor, branch_id: int) -> tuple[OrgUnit, list[Board]]:
    """All boards in a branch (its own and its groups'), for the batch poster."""
    branch = org_service.visible_unit(session, actor, branch_id)
    require(actor, Permission.board_manage, branch)
    if branch.kind != UnitKind.branch:
        raise Unprocessable("请选择党支部", code="board_bad_unit")
    return branch, boards_under(session, branch)


def boards_under(session: Session, unit: OrgUnit) -> list[Board]:
    """Boards of a unit and its subtree, in tree order (no permission check: CLI and callers above)."""
    rows = session.execute(
        select(Board)
        .where(col(Board.unit_id).in_(org_service.subtree_ids([unit.path])), col(Board.archived_at).is_(None))
        .order_by(col(Board.unit_id), col(Board.id))
    ).scalars()
    return list(rows)


# ---------------------------------------------------------------- resolving a public token


@dataclass(frozen=True)
class Resolved:
    board_id: int
    unit_id: int
    version: int
    content_version: int
    token: str

    @property
    def cache_key(self) -> tuple[int, str, int, int]:
        return (self.board_id, self.token, self.version, self.content_version)


class BoardGone(Exception):
    """The token was rotated away (or the board taken down): answer 410 with whom to ask."""

    def __init__(self, unit_id: int, *, taken_down: bool = False) -> None:
        self.unit_id = unit_id
        self.taken_down = taken_down


def resolve(session: Session, token: str) -> Resolved:
    """The board behind a public token with both versions its cached page depends on: one query.

    A rotated token raises BoardGone (410); an unknown one NotFound (404).
    """
    if not token or len(token) > 64:
        raise NotFound("未找到该公示牌")
    row = session.execute(
        select(
            col(Board.id),
            col(Board.unit_id),
            col(Board.version),
            col(Board.archived_at),
            org_service.content_version_of(col(Board.unit_id)),
        ).where(col(Board.token) == token)
    ).first()
    if row is None:
        retired = session.execute(
            select(col(Board.unit_id))
            .join(RetiredBoardToken, col(RetiredBoardToken.board_id) == col(Board.id))
            .where(col(RetiredBoardToken.token_digest) == token_digest(token))
        ).first()
        if retired is not None:
            raise BoardGone(retired[0])
        raise NotFound("未找到该公示牌")
    board_id, unit_id, version, archived_at, content_version = row
    if archived_at is not None:
        raise BoardGone(unit_id, taken_down=True)
    return Resolved(board_id=board_id, unit_id=unit_id, version=version, content_version=content_version, token=token)


def get_board(session: Session, board_id: int) -> Board:
    board = session.get(Board, board_id)
    if board is None:
        raise NotFound("未找到该公示牌")
    return board


# ---------------------------------------------------------------- view counts


class ViewCounter:
    """Counts page views in memory and writes them per (board, day) at most every FLUSH_SECONDS,
    so a public page view costs no write of its own. A crash loses at most that much counting."""

    FLUSH_SECONDS = 30.0

    def __init__(self) -> None:
        self._pending: dict[tuple[int, date], int] = {}
        self._lock = threading.Lock()
        self._last_flush = datetime.now(CHINA_TZ)

    def record(self, board_id: int) -> None:
        with self._lock:
            key = (board_id, today_local())
            self._pending[key] = self._pending.get(key, 0) + 1

    def due(self) -> bool:
        return bool(self._pending) and (datetime.now(CHINA_TZ) - self._last_flush).total_seconds() >= (
            self.FLUSH_SECONDS
        )

    def flush(self, session: Session) -> int:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_flush = datetime.now(CHINA_TZ)
        for (board_id, day), n in pending.items():
            updated = session.execute(
                update(BoardViewDay)
                .where(col(BoardViewDay.board_id) == board_id, col(BoardViewDay.day) == day)
                .values(views=BoardViewDay.views + n)
                .execution_options(synchronize_session=False)
            )
            if not updated.rowcount and session.get(Board, board_id) is not None:  # type: ignore[attr-defined]
                session.add(BoardViewDay(board_id=board_id, day=day, views=n))
        session.flush()
        return sum(pending.values())

    def reset(self) -> None:
        with self._lock:
            self._pending.clear()


view_counter = ViewCounter()


def view_counts(session: Session, *, actor: Actor, board: Board, days: int = 30) -> BoardViews:
    """Page views per day (China time) over the last `days` days, today included."""
    require(actor, Permission.board_manage, org_service.get_unit(session, board.unit_id))
    view_counter.flush(session)
    since = today_local() - timedelta(days=days - 1)
    rows = session.execute(
        select(col(BoardViewDay.day), col(BoardViewDay.views))
        .where(col(BoardViewDay.board_id) == board.id, col(BoardViewDay.day) >= since)
        .order_by(col(BoardViewDay.day))
    ).all()
    total = session.execute(
        select(func.coalesce(func.sum(col(BoardViewDay.views)), 0)).where(col(BoardViewDay.board_id) == board.id)
    ).scalar_one()
    return BoardViews(board_id=board.id or 0, total=int(total), days=[BoardViewsDay(day=d, views=v) for d, v in rows])
