"""Boards (公示牌 and 创星榜): managing them (secretaries) and resolving a public token to a board (villagers).

The public page itself is built in `public.py` from the other domains' `…Public` schemas and cached
by (board id, board version, unit content_version); `resolve()` reads all three in one query.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from app.boards import history
from app.boards.models import Board, BoardKind, BoardMember, BoardViewDay, RetiredBoardToken
from app.boards.schemas import BoardCreate, BoardRead, BoardUpdate, BoardViews, BoardViewsDay
from app.core import db
from app.core.config import settings
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed, require
from app.core.security import token_digest
from app.core.time import today_local, utcnow
from app.members import service as members_service
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind

# a pledge board stands on any level: a group's or branch's shows members and collective pledges, a
# general branch's or committee's (the town board) its own collective pledges (002: every level pledges)
BOARD_UNIT_KINDS = tuple(UnitKind)
# boards with members on them: the unit's members are its group's or branch's
MEMBER_BOARD_KINDS = (UnitKind.group, UnitKind.branch)
# a star board may stand on any unit: it shows the published levels of the unit's subtree
STAR_UNIT_KINDS = tuple(UnitKind)
# the first segment of a board's public path, by kind
PUBLIC_PREFIX = {BoardKind.pledges: "b", BoardKind.stars: "s"}
log = logging.getLogger("liangnuo.boards")


def new_token() -> str:
    """192 random bits, URL-safe (32 characters)."""
    return secrets.token_urlsafe(24)


def public_path(token: str, kind: BoardKind = BoardKind.pledges) -> str:
    return f"/{PUBLIC_PREFIX[kind]}/{token}"


def public_url_of_token(token: str, kind: BoardKind = BoardKind.pledges) -> str:
    return f"{settings.public_base_url.rstrip('/')}{public_path(token, kind)}"


def public_url(board: Board) -> str:
    return public_url_of_token(board.token, board.kind)


def default_title(unit: OrgUnit, kind: BoardKind = BoardKind.pledges) -> str:
    if kind == BoardKind.stars:
        return f"{unit.name}创星榜"[:60]
    return f"{unit.name}{'党员' if unit.kind in MEMBER_BOARD_KINDS else ''}公开承诺公示牌"[:60]


def public_url_problem(base_url: str | None = None) -> str | None:
    """Why villagers' phones cannot open the public URL (a loopback or unset address, as the default
    http://127.0.0.1:8000 is), or None. Posters and QR codes printed then lead nowhere."""
    host = urlsplit(base_url if base_url is not None else settings.public_base_url).hostname or ""
    try:
        local = ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        local = host in ("", "localhost") or host.endswith(".localhost")
    if not local:
        return None
    return (
        f"对外地址仍是 {settings.public_base_url if base_url is None else base_url}，村民的手机打不开，"
        "二维码和海报不能张贴。请管理员把 LIANGNUO_PUBLIC_BASE_URL 设为村民能访问的网址（如 https://liangnuo.example.cn）后重启。"
    )


# ---------------------------------------------------------------- managing boards (secretaries)


def to_read(board: Board, unit: OrgUnit, member_ids: list[int] | None) -> BoardRead:
    assert board.id is not None
    url = public_url(board)
    api = f"/api/v1/boards/{board.id}"
    return BoardRead(
        id=board.id,
        kind=board.kind,
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
        public_url_warning=public_url_problem(),
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


def _board_unit(session: Session, actor: Actor, unit_id: int, kind: BoardKind = BoardKind.pledges) -> OrgUnit:
    unit = org_service.visible_unit(session, actor, unit_id)
    require(actor, Permission.board_manage, unit)
    if unit.archived_at is not None and kind == BoardKind.stars:
        raise Unprocessable(
            "该组织已撤销，不能设创星榜",
            code="board_bad_unit",
            errors=[{"field": "unit_id", "message": "请选择现有的组织"}],
        )
    if kind == BoardKind.pledges and (unit.kind not in BOARD_UNIT_KINDS or unit.archived_at is not None):
        raise Unprocessable(
            "该组织已撤销，不能设公示牌",
            code="board_bad_unit",
            errors=[{"field": "unit_id", "message": "请选择现有的组织"}],
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


def _no_members_on_star_boards(kind: BoardKind, member_ids: Sequence[int] | None) -> None:
    if kind == BoardKind.stars and member_ids is not None:
        raise Unprocessable(
            "创星榜展示已发布的星级，不能选定党员",
            code="star_board_members",
            errors=[{"field": "member_ids", "message": "创星榜不能选定党员"}],
        )


def create_board(session: Session, *, actor: Actor, data: BoardCreate) -> Board:
    _no_members_on_star_boards(data.kind, data.member_ids)
    unit = _board_unit(session, actor, data.unit_id, data.kind)
    ids = _check_members(session, unit, data.member_ids) if data.member_ids is not None else None
    board = Board(
        kind=data.kind,
        unit_id=data.unit_id,
        title=data.title or default_title(unit, data.kind),
        note=data.note,
        token=new_token(),
        created_by_account_id=actor.account_id,
    )
    session.add(board)
    session.flush()
    _set_members(session, board, ids)
    session.flush()
    _star_board_moved(session, board, unit)
    history.changed(session, actor, board, None, "create", always=True)
    return board


def _star_board_moved(session: Session, board: Board, unit: OrgUnit | None = None) -> None:
    """A star board made, re-addressed or taken down: every board below links to it (their pages are stale)."""
    if board.kind == BoardKind.stars:
        org_service.touch_subtree(session, unit or org_service.get_unit(session, board.unit_id))


def star_board_for(session: Session, unit: OrgUnit) -> Board | None:
    """The star board a board on `unit` links to: the nearest one on the unit or above it (one query)."""
    ancestors = org_service.ancestor_ids(unit) or [unit.id or 0]
    rows = session.execute(
        select(Board).where(
            col(Board.kind) == BoardKind.stars, col(Board.archived_at).is_(None), col(Board.unit_id).in_(ancestors)
        )
    ).scalars()
    depth = {unit_id: i for i, unit_id in enumerate(ancestors)}
    return max(rows, key=lambda b: (depth.get(b.unit_id, -1), -(b.id or 0)), default=None)


def visible_board(session: Session, actor: Actor, board_id: int) -> tuple[Board, OrgUnit]:
    """The board and its unit, or 404 when missing, archived or outside the actor's scope."""
    board = session.get(Board, board_id)
    if board is not None and board.archived_at is None:
        unit = org_service.get_unit(session, board.unit_id)
        if allowed(actor, Permission.unit_read, unit):
            return board, unit
    raise NotFound("未找到该公示牌，或不在您的管理范围内")


def update_board(session: Session, *, actor: Actor, board: Board, data: BoardUpdate) -> Board:
    before = org_service.get_unit(session, board.unit_id)
    require(actor, Permission.board_manage, before)
    was = history.state(session, board)
    changes = data.model_fields_set
    if "member_ids" in changes:
        _no_members_on_star_boards(board.kind, data.member_ids)
    unit = _board_unit(session, actor, data.unit_id, board.kind) if data.unit_id is not None else None
    if unit is not None:
        board.unit_id = data.unit_id  # type: ignore[assignment]
        _star_board_moved(session, board, before)
        _star_board_moved(session, board, unit)
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
    _bump(session, board)
    history.changed(session, actor, board, was, "update")
    return board


def _bump(session: Session, board: Board) -> Board:
    """A new version of the board itself: its cached pages and posters are stale from now on."""
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
    _star_board_moved(session, board)
    history.changed(session, actor, board, history.state(session, board), "rotate_token", always=True)
    return _bump(session, board)


def take_down(session: Session, *, actor: Actor, board: Board) -> Board:
    """Take a board down (kept, never deleted); its URL answers 410 from now on."""
    require_manage(session, actor, board)
    board.archived_at = utcnow()
    _star_board_moved(session, board)
    history.changed(session, actor, board, {"archived": False}, "take_down")
    return _bump(session, board)


def require_manage(session: Session, actor: Actor, board: Board) -> OrgUnit:
    unit = org_service.get_unit(session, board.unit_id)
    require(actor, Permission.board_manage, unit)
    return unit


def list_boards(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None, kind: BoardKind | None = None
) -> Page[BoardRead]:
    """Boards in the units the actor manages boards for (or in one unit's subtree), of one kind or all."""
    paths = org_service.scope_for(session, actor, Permission.board_manage, unit_id)
    stmt: Any = (
        select(Board)
        .where(col(Board.unit_id).in_(org_service.subtree_ids(paths)), col(Board.archived_at).is_(None))
        .order_by(col(Board.unit_id), col(Board.id))
    )
    if kind is not None:
        stmt = stmt.where(col(Board.kind) == kind)

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


def boards_under(session: Session, unit: OrgUnit, kind: BoardKind = BoardKind.pledges) -> list[Board]:
    """Boards of a unit and its subtree, in tree order (no permission check: CLI and callers above)."""
    rows = session.execute(
        select(Board)
        .where(
            col(Board.unit_id).in_(org_service.subtree_ids([unit.path])),
            col(Board.archived_at).is_(None),
            col(Board.kind) == kind,
        )
        .order_by(col(Board.unit_id), col(Board.id))
    ).scalars()
    return list(rows)


# ---------------------------------------------------------------- resolving a public token


def current_year() -> int:
    """The year a board shows (China time). It is part of every cache key: on 1 January the pages
    move on to the new year's pledges though nothing else changed."""
    return today_local().year


@dataclass(frozen=True)
class Resolved:
    board_id: int
    unit_id: int
    version: int
    content_version: int
    token: str
    year: int = field(default_factory=current_year)
    # January shows last year's outcome beside the new year's pledges: part of the key, so the box
    # comes on 1 January and goes on 1 February by itself
    january: bool = field(default_factory=lambda: today_local().month == 1)

    @property
    def cache_key(self) -> tuple[int, str, int, int, int, bool]:
        return (self.board_id, self.token, self.version, self.content_version, self.year, self.january)


class BoardGone(Exception):
    """The token was rotated away (or the board taken down): answer 410 with whom to ask."""

    def __init__(self, unit_id: int, *, taken_down: bool = False) -> None:
        self.unit_id = unit_id
        self.taken_down = taken_down


def resolve(session: Session, token: str, kind: BoardKind = BoardKind.pledges) -> Resolved:
    """The board of this kind behind a public token with both versions its cached page depends on: one
    query. A rotated token raises BoardGone (410); an unknown one (or another kind's) NotFound (404).
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
        ).where(col(Board.token) == token, col(Board.kind) == kind)
    ).first()
    if row is None:
        retired = session.execute(
            select(col(Board.unit_id))
            .join(RetiredBoardToken, col(RetiredBoardToken.board_id) == col(Board.id))
            .where(col(RetiredBoardToken.token_digest) == token_digest(token), col(Board.kind) == kind)
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
    """Counts page views in memory and writes them per (board, day) at most every FLUSH_SECONDS, in a
    short transaction of its own — never the page's (a read on SQLite that cannot turn into a write
    once another write committed), and off the page's path (the public route flushes after its
    response is sent). Counts that fail to be written go back and are written next time; a crash or
    restart loses at most FLUSH_SECONDS of counting. A page never fails because of counting."""

    FLUSH_SECONDS = 30.0

    def __init__(self) -> None:
        self._pending: dict[tuple[int, date], int] = {}
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def record(self, board_id: int) -> bool:
        """Count one view; True when a flush is due (the caller runs `flush()` after its response)."""
        with self._lock:
            key = (board_id, today_local())
            self._pending[key] = self._pending.get(key, 0) + 1
            return time.monotonic() - self._last_flush >= self.FLUSH_SECONDS

    def pending(self) -> dict[tuple[int, date], int]:
        with self._lock:
            return dict(self._pending)

    def flush(self) -> int:
        """Write the pending counts and commit them; returns how many views were written (0 when
        writing failed: the counts are kept for the next flush). Never raises."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._last_flush = time.monotonic()
        if not pending:
            return 0
        try:
            with db.new_session() as session:
                _add_views(session, pending)
                session.commit()
        except Exception:
            log.warning("view counts not written; kept for the next flush", exc_info=True)
            with self._lock:
                for key, n in pending.items():
                    self._pending[key] = self._pending.get(key, 0) + n
            return 0
        return sum(pending.values())

    def reset(self) -> None:
        with self._lock:
            self._pending.clear()
            self._last_flush = time.monotonic()


def _add_views(session: Session, pending: dict[tuple[int, date], int]) -> None:
    """Add the counts with one upsert per (board, day): concurrent flushes (several workers) add up."""
    boards = set(session.execute(select(col(Board.id)).where(col(Board.id).in_({b for b, _ in pending}))).scalars())
    rows = [{"board_id": b, "day": d, "views": n} for (b, d), n in pending.items() if b in boards]
    if not rows:
        return
    table = BoardViewDay.metadata.tables["board_view_day"]
    stmt = db.insert_for(session)(table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.board_id, table.c.day], set_={"views": table.c.views + stmt.excluded.views}
    )
    session.execute(stmt)


view_counter = ViewCounter()


def view_counts(session: Session, *, actor: Actor, board: Board, days: int = 30) -> BoardViews:
    """Page views per day (China time) over the last `days` days, today included."""
    require(actor, Permission.board_manage, org_service.get_unit(session, board.unit_id))
    board_id = board.id or 0
    view_counter.flush()  # its own transaction; the request's (read) one then starts afresh to see it
    db.end_read_phase(session)
    since = today_local() - timedelta(days=days - 1)
    rows = session.execute(
        select(col(BoardViewDay.day), col(BoardViewDay.views))
        .where(col(BoardViewDay.board_id) == board_id, col(BoardViewDay.day) >= since)
        .order_by(col(BoardViewDay.day))
    ).all()
    total = session.execute(
        select(func.coalesce(func.sum(col(BoardViewDay.views)), 0)).where(col(BoardViewDay.board_id) == board_id)
    ).scalar_one()
    return BoardViews(board_id=board_id, total=int(total), days=[BoardViewsDay(day=d, views=v) for d, v in rows])
