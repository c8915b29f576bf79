"""What public boards read: the public pledges of members and units, and a public pledge's history.

Everything here is behind the privacy boundary: `PledgePublic`, `ProgressPublic`,
`TimelineEntryPublic` carry no internal owner ids, no names of whoever acted, no reasons for returns
or cancellations, no supervision notes and never the helped household; free text is masked
(core.privacy.mask_personal). Public means rules.PUBLIC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.errors import NotFound
from app.core.privacy import mask_personal
from app.core.time import today_local
from app.members.posts import PublicPost, public_posts
from app.pledges import states
from app.pledges.models import (
    CATEGORY_LABELS,
    OUTCOME_LABELS,
    OwnerKind,
    Pledge,
    PledgeCategory,
    PledgeOutcome,
    PledgePhoto,
    PledgeProgress,
    PledgeStatus,
)
from app.pledges.queries import history
from app.pledges.reads import photo_public, photos_by_progress
from app.pledges.rules import IN_YEAR, OVERDUE, PUBLIC, is_public
from app.pledges.schemas import PledgePublic, ProgressPublic, TimelineEntryPublic
from app.pledges.states import Action


@dataclass
class PublicPledges:
    """Public pledges grouped by owner: `by_member[member_id]` and `by_unit[unit_id]` (collective).
    The owner is told here, not in PledgePublic (a public schema carries no internal ids)."""

    by_member: dict[int, list[PledgePublic]] = field(default_factory=dict)
    by_unit: dict[int, list[PledgePublic]] = field(default_factory=dict)


def _masked(value: Any) -> Any:
    return mask_personal(value) if isinstance(value, str) else value


def _public(
    pledge: Pledge, today: date, latest: ProgressPublic | None = None, post: PublicPost | None = None
) -> PledgePublic:
    status = PledgeStatus(pledge.status)
    return PledgePublic(
        id=pk(pledge),
        owner_kind=OwnerKind(pledge.owner_kind),
        title=mask_personal(pledge.title),
        content=mask_personal(pledge.content),
        category=PledgeCategory(pledge.category),
        category_label=CATEGORY_LABELS[PledgeCategory(pledge.category)],
        post=mask_personal(pledge.post),
        # the catalogue post's duties only when public (members.posts.public_posts blanks private ones)
        post_duties=mask_personal(post.duties) if post else "",
        pioneer_post=post.pioneer if post else False,
        year=pledge.year,
        due_date=pledge.due_date,
        kind=pledge.kind,
        term_start=pledge.term_start,
        status=status,
        status_label=states.STATUS_LABELS[status],
        outcome=PledgeOutcome(pledge.outcome) if pledge.outcome else None,
        outcome_label=OUTCOME_LABELS[PledgeOutcome(pledge.outcome)] if pledge.outcome else None,
        percent=pledge.percent,
        progress_count=pledge.progress_count,
        last_progress_at=pledge.last_progress_at,
        published_at=pledge.published_at,
        closed_at=pledge.closed_at,
        revision_count=pledge.revision_count,
        revised_at=pledge.revised_at,
        overdue=OVERDUE(pledge, today),
        latest_progress=latest,
    )


def _progress_public(progress: PledgeProgress, photos: Sequence[PledgePhoto]) -> ProgressPublic:
    return ProgressPublic(
        id=pk(progress),
        text=mask_personal(progress.text),
        percent=progress.percent,
        created_at=progress.created_at,
        photos=[photo_public(p) for p in photos],
    )


def _latest_progress(session: Session, pledge_ids: Sequence[int]) -> dict[int, ProgressPublic]:
    """pledge id → its latest progress report with photos; two queries for any number of pledges."""
    if not pledge_ids:
        return {}
    latest_ids = (
        select(func.max(col(PledgeProgress.id)))
        .where(col(PledgeProgress.pledge_id).in_(set(pledge_ids)))
        .group_by(col(PledgeProgress.pledge_id))
    )
    rows = list(session.execute(select(PledgeProgress).where(col(PledgeProgress.id).in_(latest_ids))).scalars())
    photos = photos_by_progress(session, (pk(p) for p in rows))
    return {p.pledge_id: _progress_public(p, photos.get(pk(p), [])) for p in rows}


def public_pledges_for_units(
    session: Session,
    *,
    member_ids: Iterable[int] = (),
    unit_ids: Iterable[int] = (),
    year: int | None = None,
    with_progress: bool = True,
) -> PublicPledges:
    """What a board shows: the public pledges (published, being revised, asking to close, closed, and
    cancelled after publication) of these members and the collective pledges of these units,
    optionally of one year; each with its latest progress report when `with_progress`.

    At most three queries, however many members, units and pledges (no N+1): the pledges, the latest
    progress reports, their photos. Ordered by due date, then id. No private field is in the result."""
    members = set(member_ids)
    units = set(unit_ids)
    owner_conds: list[ColumnElement[bool]] = []
    if members:
        # a pledge made to a community (双报到) is on that community's board, not the member's own
        owner_conds.append(
            and_(
                col(Pledge.owner_kind) == OwnerKind.member,
                col(Pledge.member_id).in_(members),
                col(Pledge.registration_id).is_(None),
            )
        )
    if units:
        owner_conds.append(and_(col(Pledge.owner_kind) == OwnerKind.unit, col(Pledge.unit_id).in_(units)))
    result = PublicPledges()
    if not owner_conds:
        return result
    stmt = select(Pledge).where(or_(*owner_conds), PUBLIC.sql()).order_by(col(Pledge.due_date), col(Pledge.id))
    if year is not None:  # a term pledge (任期承诺) is on the board of every year of its term
        stmt = stmt.where(IN_YEAR.sql(year))
    pledges = list(session.execute(stmt).scalars())
    latest = _latest_progress(session, [pk(p) for p in pledges]) if with_progress else {}
    post_of = public_posts(session, (p.post_id for p in pledges))  # a query only when a pledge has a post
    today = today_local()
    for p in pledges:
        public = _public(p, today, latest.get(pk(p)), post_of.get(p.post_id) if p.post_id else None)
        if p.owner_kind == OwnerKind.member and p.member_id is not None:
            result.by_member.setdefault(p.member_id, []).append(public)
        else:
            result.by_unit.setdefault(p.unit_id, []).append(public)
    return result


_PUBLIC_EVENT_ACTIONS = {
    Action.publish.value,
    Action.request_close.value,
    Action.reopen.value,
    Action.close.value,
    Action.cancel.value,
    Action.review.value,
}
_PUBLIC_LABELS = {
    Action.publish.value: "公开承诺（亮诺）",
    Action.request_close.value: "申请销诺",
    Action.reopen.value: "继续践诺",
    Action.close.value: "销诺",
    Action.cancel.value: "承诺取消",
    Action.review.value: "任期承诺回头看",
    "revised": "承诺内容经审核修改",
}
_PUBLIC_FIELDS = ("title", "content", "category", "post", "due_date")


def _public_changes(data: dict[str, Any]) -> dict[str, Any]:
    """An approved revision as a board shows it: public fields only, old → new, masked."""
    return {
        name: {"from": _masked(diff.get("from")), "to": _masked(diff.get("to"))}
        for name, diff in (data.get("changes") or {}).items()
        if name in _PUBLIC_FIELDS
    }


def public_timeline(session: Session, pledge_id: int) -> list[TimelineEntryPublic]:
    """A public pledge's history for a board, newest first: when it was published, every progress
    report with its photos, approved revisions (old → new text), asking to close and the outcome, or
    that it was cancelled.

    Four queries, whatever the history's length. No reasons for returns or cancellations, no
    supervision notes, no names of whoever acted, never the helped household; free text masked."""
    pledge = session.get(Pledge, pledge_id)
    if pledge is None or not is_public(pledge):
        raise NotFound("未找到该承诺", code="pledge_not_found")
    h = history(session, pledge_id, notes=False)
    entries: list[tuple[datetime, int, int, TimelineEntryPublic]] = []
    for e in h.events:
        data = e.data or {}
        if e.action == Action.approve.value and e.from_status == PledgeStatus.revising.value:
            entry = TimelineEntryPublic(
                kind="event", at=e.at, action="revised", label=_PUBLIC_LABELS["revised"], changes=_public_changes(data)
            )
        elif e.action in _PUBLIC_EVENT_ACTIONS:
            closing = e.action == Action.close.value
            entry = TimelineEntryPublic(
                kind="event",
                at=e.at,
                action=e.action,
                label=_PUBLIC_LABELS[e.action],
                outcome=PledgeOutcome(data["outcome"]) if closing and data.get("outcome") else None,
                # the outcome's comment, and the branch's 回头看 note on a term pledge, are public
                comment=mask_personal(e.reason) if (closing or e.action == Action.review) and e.reason else None,
            )
        else:
            continue
        entries.append((e.at, 0, pk(e), entry))
    for p in h.progress:
        public = _progress_public(p, h.photos.get(pk(p), []))
        entries.append(
            (
                p.created_at,
                1,
                pk(p),
                TimelineEntryPublic(
                    kind="progress",
                    at=p.created_at,
                    label=states.ACTION_LABELS["progress"],
                    text=public.text,
                    percent=p.percent,
                    photos=public.photos,
                ),
            )
        )
    entries.sort(key=lambda x: (x[0], x[1], x[2]), reverse=True)
    return [e[3] for e in entries]


def public_years(
    session: Session, *, member_ids: Iterable[int] = (), unit_ids: Iterable[int] = (), before: int
) -> list[int]:
    """The years before `before` in which these members or units had public pledges, newest first
    (a board's 往年承诺 links): one query."""
    members, units = set(member_ids), set(unit_ids)
    owner_conds: list[ColumnElement[bool]] = []
    if members:
        owner_conds.append(and_(col(Pledge.owner_kind) == OwnerKind.member, col(Pledge.member_id).in_(members)))
    if units:
        owner_conds.append(and_(col(Pledge.owner_kind) == OwnerKind.unit, col(Pledge.unit_id).in_(units)))
    if not owner_conds:
        return []
    stmt = (
        select(col(Pledge.year))
        .where(or_(*owner_conds), PUBLIC.sql(), col(Pledge.year) < before)
        .distinct()
        .order_by(col(Pledge.year).desc())
    )
    return [int(y) for y in session.execute(stmt).scalars()]


def public_year_of(session: Session, pledge_id: int) -> int | None:
    """A public pledge's year (None when it is not public, or no such id): which year's board shows it."""
    if not 0 < pledge_id < 2**63:
        return None
    pledge = session.get(Pledge, pledge_id)
    return pledge.year if pledge is not None and is_public(pledge) else None
