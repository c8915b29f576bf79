"""Reading pledges inside the branch: lists with filters, counts, the review queue, the timeline.

Every list is scoped by access.visibility_sql (the SQL form of who sees a pledge) and paged; overdue
is rules.OVERDUE in SQL as in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, case, func, not_, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.pagination import Page, PageParams, page_of, paginate
from app.core.permissions import Actor, Permission, require
from app.core.time import today_local
from app.members import service as members_service
from app.org import service as org_service
from app.pledges import access, flags, states
from app.pledges.access import Located
from app.pledges.models import (
    OwnerKind,
    Pledge,
    PledgeCategory,
    PledgeEvent,
    PledgeNote,
    PledgePhoto,
    PledgeProgress,
    PledgeStatus,
)
from app.pledges.reads import photo_read, photos_by_progress, reads_for
from app.pledges.rules import OVERDUE
from app.pledges.schemas import MyNoteRead, PledgeCounts, PledgeRead, ReviewCounts, TimelineEntry


def _pledges_stmt(
    session: Session,
    *,
    actor: Actor,
    mine: bool = False,
    unit_id: int | None = None,
    owner_unit_id: int | None = None,
    member_id: int | None = None,
    statuses: Sequence[PledgeStatus] = (),
    category: PledgeCategory | None = None,
    overdue: bool | None = None,
    year: int | None = None,
    q: str | None = None,
) -> Select[Any]:
    # one's own pledges are always visible to oneself: `mine` alone, so the planner sees two indexed
    # equalities (member, author) rather than visibility's OR of subtrees around them
    stmt: Select[Any] = select(Pledge).where(access.mine_sql(actor) if mine else access.visibility_sql(actor))
    if unit_id is not None:
        unit = org_service.visible_unit(session, actor, unit_id)
        require(actor, Permission.pledge_read, unit)
        stmt = stmt.where(col(Pledge.unit_id).in_(org_service.subtree_ids([unit.path])))
    if owner_unit_id is not None:  # the unit's own collective pledges (a committee's, not its groups')
        owner = org_service.visible_unit(session, actor, owner_unit_id)
        require(actor, Permission.pledge_read, owner)
        stmt = stmt.where(col(Pledge.owner_kind) == OwnerKind.unit, col(Pledge.unit_id) == owner_unit_id)
    if member_id is not None:
        stmt = stmt.where(col(Pledge.member_id) == member_id)
    if statuses:
        stmt = stmt.where(col(Pledge.status).in_([s.value for s in statuses]))
    if category is not None:
        stmt = stmt.where(col(Pledge.category) == category)
    if overdue is not None:
        cond = OVERDUE.sql(today_local())
        stmt = stmt.where(cond if overdue else not_(cond))
    if year is not None:
        stmt = stmt.where(col(Pledge.year) == year)
    if q and q.strip():
        term = q.strip()
        stmt = stmt.where(
            or_(col(Pledge.title).contains(term, autoescape=True), col(Pledge.content).contains(term, autoescape=True))
        )
    return stmt


PledgeOrder = Literal["recent", "overdue"]


def list_pledges(
    session: Session, *, actor: Actor, params: PageParams, order: PledgeOrder = "recent", **filters: Any
) -> Page[PledgeRead]:
    """Pledges the actor may see, filtered (see _pledges_stmt), newest change first; `order="overdue"`
    puts the overdue ones first, the longest overdue at the top (a supervisor's list). Four queries."""
    stmt = _pledges_stmt(session, actor=actor, **filters)
    if order == "overdue":
        late = OVERDUE.sql(today_local())
        stmt = stmt.order_by(case((late, 0), else_=1), case((late, col(Pledge.due_date)), else_=None))
    stmt = stmt.order_by(col(Pledge.status_changed_at).desc(), col(Pledge.id).desc())
    return paginate(session, stmt, params, lambda rows: reads_for(session, actor, rows))


def counts(session: Session, *, actor: Actor, **filters: Any) -> PledgeCounts:
    """How many pledges by status, and how many overdue, among those the filters select."""
    base = _pledges_stmt(session, actor=actor, **filters)
    by = base.subquery()
    rows = session.execute(select(by.c.status, func.count()).group_by(by.c.status)).all()
    late = base.where(OVERDUE.sql(today_local())).subquery()
    overdue = session.execute(select(func.count()).select_from(late)).scalar_one()
    by_status = {str(s): int(n) for s, n in rows}
    return PledgeCounts(total=sum(by_status.values()), overdue=int(overdue), by_status=by_status)


ReviewKind = Literal["review", "close", "revision"]
_REVIEW_STATUSES: dict[ReviewKind, PledgeStatus] = {
    "review": PledgeStatus.submitted,
    "close": PledgeStatus.closing,
    "revision": PledgeStatus.revising,
}


def _review_where(session: Session, actor: Actor, unit_id: int | None) -> ColumnElement[bool]:
    paths = org_service.scope_for(session, actor, Permission.pledge_review, unit_id)
    return col(Pledge.unit_id).in_(org_service.subtree_ids(paths))


def review_queue(
    session: Session, *, actor: Actor, params: PageParams, kind: ReviewKind | None = None, unit_id: int | None = None
) -> Page[PledgeRead]:
    """The secretary's pledges waiting for approval, a revision's approval or closing: oldest first,
    paged through all of them (`total` counts them all)."""
    wanted = [_REVIEW_STATUSES[kind]] if kind else sorted(states.AWAITING_REVIEW)
    stmt = (
        select(Pledge)
        .where(_review_where(session, actor, unit_id), col(Pledge.status).in_([s.value for s in wanted]))
        .order_by(col(Pledge.status_changed_at), col(Pledge.id))
    )
    return paginate(session, stmt, params, lambda rows: reads_for(session, actor, rows))


def review_counts(session: Session, *, actor: Actor, unit_id: int | None = None) -> ReviewCounts:
    """The review queue's tabs counted over every waiting pledge (one GROUP BY), not one page."""
    rows = session.execute(
        select(col(Pledge.status), func.count())
        .where(
            _review_where(session, actor, unit_id),
            col(Pledge.status).in_([s.value for s in states.AWAITING_REVIEW]),
        )
        .group_by(col(Pledge.status))
    ).all()
    by = {str(s): int(n) for s, n in rows}
    n = {kind: by.get(status.value, 0) for kind, status in _REVIEW_STATUSES.items()}
    return ReviewCounts(review=n["review"], close=n["close"], revision=n["revision"], total=sum(n.values()))


def my_notes(session: Session, *, actor: Actor, params: PageParams) -> Page[MyNoteRead]:
    """The caller's own supervision notes, newest first, each with its pledge's title, status and
    member (a supervisor's 我的监督意见). Four queries."""
    stmt = (
        select(PledgeNote)
        .where(col(PledgeNote.author_account_id) == actor.account_id)
        .order_by(col(PledgeNote.created_at).desc(), col(PledgeNote.id).desc())
    )

    def shape(rows: Sequence[PledgeNote]) -> list[MyNoteRead]:
        ids = {n.pledge_id for n in rows}
        pledges = (
            {pk(p): p for p in session.execute(select(Pledge).where(col(Pledge.id).in_(ids))).scalars()} if ids else {}
        )
        names = members_service.member_names(session, (p.member_id for p in pledges.values() if p.member_id))
        out = []
        for n in rows:
            read = MyNoteRead.model_validate(n, from_attributes=True)
            pledge = pledges.get(n.pledge_id)
            if pledge is not None:
                read.pledge_title = pledge.title
                read.pledge_status = PledgeStatus(pledge.status)
                read.member_name = names.get(pledge.member_id) if pledge.member_id is not None else None
            out.append(read)
        return out

    return paginate(session, stmt, params, shape)


@dataclass
class History:
    """A pledge's events, progress reports with their photos and (inside the branch) notes."""

    events: list[PledgeEvent] = field(default_factory=list)
    progress: list[PledgeProgress] = field(default_factory=list)
    photos: dict[int, list[PledgePhoto]] = field(default_factory=dict)
    notes: list[PledgeNote] = field(default_factory=list)


def history(session: Session, pledge_id: int, *, notes: bool) -> History:
    """Three queries (four with notes), whatever the length of the history."""
    h = History()
    h.events = list(
        session.execute(
            select(PledgeEvent).where(col(PledgeEvent.pledge_id) == pledge_id).order_by(col(PledgeEvent.id))
        ).scalars()
    )
    h.progress = list(
        session.execute(
            select(PledgeProgress).where(col(PledgeProgress.pledge_id) == pledge_id).order_by(col(PledgeProgress.id))
        ).scalars()
    )
    h.photos = photos_by_progress(session, (pk(p) for p in h.progress))
    if notes:
        h.notes = list(
            session.execute(
                select(PledgeNote).where(col(PledgeNote.pledge_id) == pledge_id).order_by(col(PledgeNote.id))
            ).scalars()
        )
    return h


_KIND_ORDER = {"event": 0, "progress": 1, "note": 2, "flag": 3, "flag_answer": 4}


def timeline(session: Session, *, actor: Actor, located: Located, params: PageParams) -> Page[TimelineEntry]:
    """The whole history of a pledge as the branch sees it: events, progress and supervision notes,
    newest first; for the supervision and the branch, supervisors' flags and their answers too. Four
    queries (five with flags), whatever the length of the history."""
    h = history(session, pk(located.pledge), notes=True)
    entries: list[TimelineEntry] = []
    for e in h.events:
        entries.append(
            TimelineEntry(
                kind="event",
                id=pk(e),
                at=e.at,
                action=e.action,
                label=states.ACTION_LABELS.get(e.action, e.action),
                from_status=e.from_status,
                to_status=e.to_status,
                actor_name=e.actor_name,
                reason=e.reason,
                data=e.data,
            )
        )
    for p in h.progress:
        entries.append(
            TimelineEntry(
                kind="progress",
                id=pk(p),
                at=p.created_at,
                label=states.ACTION_LABELS["progress"],
                actor_name=p.author_name,
                text=p.text,
                percent=p.percent,
                photos=[photo_read(ph) for ph in h.photos.get(pk(p), [])],
            )
        )
    for n in h.notes:
        entries.append(
            TimelineEntry(
                kind="note",
                id=pk(n),
                at=n.created_at,
                label=states.ACTION_LABELS["note"],
                actor_name=n.author_name,
                text=n.text,
            )
        )
    for f in flags.flags_on(session, actor=actor, located=located):
        entries.append(
            TimelineEntry(
                kind="flag",
                id=pk(f),
                at=f.raised_at,
                label="提请书记关注",
                actor_name=f.raised_by_name,
                text=f.reason,
                data={"flag_id": pk(f), "status": f.status},
            )
        )
        if f.answered_at is not None:
            entries.append(
                TimelineEntry(
                    kind="flag_answer",
                    id=pk(f),
                    at=f.answered_at,
                    label="书记答复",
                    actor_name=f.answered_by_name,
                    text=f.answer,
                    data={"flag_id": pk(f)},
                )
            )
    entries.sort(key=lambda x: (x.at, _KIND_ORDER[x.kind], x.id), reverse=True)
    return page_of(entries, params)
