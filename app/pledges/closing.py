"""Closing (销诺) for the secretary: many pledges at once, each with its own outcome and comment, and
what the close dialog shows (progress, the last report, photos).

`close_batch()` checks every row as the engine would (who, the row's own expected version, the
state), answers each row that fails with its status, code and Chinese reason, and applies all the
others through one `apply_many` (one event INSERT, one follow-up), so one stale row never sinks the
rest. Villagers' satisfaction is not here: it lives above pledges (evaluations.satisfaction).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from app.core import lifecycle as engine
from app.core.db import pk
from app.core.errors import AppError, Unprocessable
from app.core.lifecycle import Move, check_version
from app.core.permissions import Actor
from app.core.time import today_local
from app.pledges import access
from app.pledges.access import Located
from app.pledges.lifecycle import PLEDGES
from app.pledges.models import PledgeEvent, PledgePhoto, PledgeProgress
from app.pledges.reads import photo_read, progress_read
from app.pledges.rules import OVERDUE
from app.pledges.schemas import CloseBatch, CloseBatchResult, CloseBrief, CloseRowResult
from app.pledges.states import Action, Who

MAX_PHOTOS = 9


def _check(actor: Actor, located: Located, expected: int) -> None:
    """The engine's checks for one close, in its order, without moving anything."""
    PLEDGES.authorize(actor, located, Who.reviewer)
    check_version(located.pledge, expected)
    if PLEDGES.table.find(PLEDGES.state(located), Action.close) is None:
        raise PLEDGES.wrong_state(actor, located, "销诺")


def close_batch(session: Session, *, actor: Actor, data: CloseBatch) -> CloseBatchResult:
    """批量销诺: each row closed with its outcome and comment, or answered with why not."""
    ids = [row.pledge_id for row in data.items]
    if len(set(ids)) != len(ids):
        raise Unprocessable("同一项承诺只能出现一次", code="duplicate_pledge", errors=[{"field": "items"}])
    results: dict[int, CloseRowResult] = {}
    moves: list[Move[Located, Action]] = []
    for row in sorted(data.items, key=lambda r: r.pledge_id):  # lock rows in one order (no deadlocks)
        try:
            located = access.visible_pledge(session, actor, row.pledge_id, for_update=True)
            _check(actor, located, row.version)
        except AppError as refused:
            results[row.pledge_id] = CloseRowResult(
                pledge_id=row.pledge_id,
                closed=False,
                status=refused.status,
                code=refused.code,
                detail=refused.detail,
                **{k: v for k, v in refused.extra.items() if k in ("current_version", "pledge_status")},
            )
            continue
        moves.append(Move(located, Action.close, actor, row.version, reason=row.comment, outcome=row.outcome))
    for step in engine.apply_many(session, PLEDGES, moves):
        pledge = step.subject.pledge
        results[pk(pledge)] = CloseRowResult(
            pledge_id=pk(pledge), closed=True, status=200, version=pledge.version, pledge_status=pledge.status
        )
    items = [results[i] for i in ids]
    return CloseBatchResult(items=items, closed=sum(r.closed for r in items), refused=sum(not r.closed for r in items))


def close_brief(session: Session, *, actor: Actor, located: Located) -> CloseBrief:
    """What the close dialog shows: progress, the last report with its photos, the newest photos of
    all reports, when the member asked to close. Four queries."""
    pledge = located.pledge
    last = session.execute(
        select(PledgeProgress)
        .where(col(PledgeProgress.pledge_id) == pk(pledge))
        .order_by(col(PledgeProgress.id).desc())
        .limit(1)
    ).scalar_one_or_none()
    photos = list(
        session.execute(
            select(PledgePhoto)
            .where(col(PledgePhoto.pledge_id) == pk(pledge))
            .order_by(col(PledgePhoto.id).desc())
            .limit(MAX_PHOTOS)
        ).scalars()
    )
    asked = session.execute(
        select(col(PledgeEvent.at))
        .where(col(PledgeEvent.pledge_id) == pk(pledge), col(PledgeEvent.action) == Action.request_close.value)
        .order_by(col(PledgeEvent.id).desc())
        .limit(1)
    ).scalar_one_or_none()
    last_photos = [p for p in photos if last is not None and p.progress_id == pk(last)]
    return CloseBrief(
        pledge_id=pk(pledge),
        title=pledge.title,
        status=pledge.status,
        percent=pledge.percent,
        progress_count=pledge.progress_count,
        due_date=pledge.due_date,
        overdue=OVERDUE(pledge, today_local()),
        requested_close_at=asked,
        last_report=progress_read(last, last_photos) if last is not None else None,
        photos=[photo_read(p) for p in photos],
        outcome_preselected=None,
    )
