"""Villager ratings and suggestions: taking them in from a board, moderating them, summing them up.

Abuse control, without any third-party service (the HTTP side — device cookie, CSRF token, honeypot,
minimum fill time and rate limits — is in `dependencies.py`):

- one rating per device per pledge per rating period: a second one replaces the first;
- a burst of ratings on one pledge (many in a short window, or many from one address) is stored as
  `flagged` and counted only when a secretary accepts it;
- only salted hashes of the device and the address are stored.

Suggestions wait in the branch's moderation queue; the public sees approved ones only, with phone
and ID numbers masked. Public aggregates appear only from MIN_PUBLIC_RATINGS ratings up.

Everything a board shows that changes here calls `org_service.touch`, so cached pages go stale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlmodel import Session, col

from app.core.errors import Conflict, NotFound
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, require
from app.core.time import CHINA_TZ, as_utc, utcnow
from app.evaluations.models import PublicRating, RatingStatus, Satisfaction, Suggestion, SuggestionStatus
from app.evaluations.schemas import (
    MemberEvaluationSummary,
    PledgeEvaluationSummary,
    RatingRead,
    SatisfactionCounts,
    SatisfactionPublic,
    SuggestionPublic,
    SuggestionRead,
)
from app.org import service as org_service

MIN_PUBLIC_RATINGS = 5
SUGGESTION_MAX_CHARS = 200
# a burst on one pledge: beyond this many ratings in the window (all, or from one address) they are
# flagged for review; above what a village meeting on one NAT address gives (30 phones at once)
BURST_WINDOW = timedelta(minutes=10)
BURST_PER_PLEDGE = 60
BURST_PER_PLEDGE_AND_ADDRESS = 40
SCORES = {Satisfaction.satisfied: 100, Satisfaction.basic: 60, Satisfaction.unsatisfied: 0}


@dataclass(frozen=True)
class PledgeRef:
    """What evaluations need to know about a rated pledge (the board resolves it via pledges)."""

    id: int
    branch_id: int
    unit_id: int  # the most specific unit whose board shows it: the owner's group, else branch or unit
    member_id: int | None


def period_of(moment: datetime | None = None) -> str:
    """The rating period a moment falls in: its calendar quarter in China time, e.g. "2026Q4"."""
    local = as_utc(moment or utcnow()).astimezone(CHINA_TZ)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


# ---------------------------------------------------------------- masking

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d(?:[\s-]?\d){8}(?!\d)")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{7,}(?!\d)")  # 15-digit IDs, landlines, bank cards


def _keep_ends(value: str, head: int, tail: int) -> str:
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_personal(text: str) -> str:
    """Mask mainland ID numbers, mobile numbers and any other run of 7+ digits.

    Full-width digits (typed with a Chinese input method) are folded to ASCII first, so they are
    masked too.
    """
    text = text.translate(_FULL_WIDTH_DIGITS)
    text = _ID_NUMBER.sub(lambda m: _keep_ends(m.group(0), 3, 2), text)
    text = _MOBILE.sub(lambda m: (d := re.sub(r"\D", "", m.group(0)))[:3] + "****" + d[-4:], text)
    return _LONG_DIGITS.sub(lambda m: _keep_ends(m.group(0), 2, 2), text)


# ---------------------------------------------------------------- from the public


def rate(
    session: Session, *, pledge: PledgeRef, choice: Satisfaction, device_hash: str, ip_hash: str
) -> tuple[PublicRating, bool]:
    """Record a device's rating of a pledge for the current period; returns (rating, replaced)."""
    now = utcnow()
    period = period_of(now)
    existing = session.execute(
        select(PublicRating).where(
            col(PublicRating.pledge_id) == pledge.id,
            col(PublicRating.device_hash) == device_hash,
            col(PublicRating.period) == period,
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.status == RatingStatus.discarded:
            existing.status = RatingStatus.flagged
        existing.choice = choice
        existing.ip_hash = ip_hash
        existing.updated_at = now
        session.add(existing)
        session.flush()
        org_service.touch(session, [pledge.unit_id])
        return existing, True
    since = now - BURST_WINDOW
    recent, recent_here = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(PublicRating.ip_hash) == ip_hash, 1), else_=0)), 0),
        ).where(col(PublicRating.pledge_id) == pledge.id, col(PublicRating.created_at) >= since)
    ).one()
    burst = recent >= BURST_PER_PLEDGE or recent_here >= BURST_PER_PLEDGE_AND_ADDRESS
    rating = PublicRating(
        pledge_id=pledge.id,
        branch_id=pledge.branch_id,
        unit_id=pledge.unit_id,
        member_id=pledge.member_id,
        period=period,
        choice=choice,
        status=RatingStatus.flagged if burst else RatingStatus.counted,
        device_hash=device_hash,
        ip_hash=ip_hash,
        created_at=now,
        updated_at=now,
    )
    session.add(rating)
    session.flush()
    if not burst:
        org_service.touch(session, [pledge.unit_id])
    return rating, False


def suggest(
    session: Session,
    *,
    unit_id: int,
    branch_id: int,
    pledge_id: int | None,
    text: str,
    device_hash: str,
    ip_hash: str,
) -> Suggestion:
    """Put a villager's suggestion in the branch's moderation queue (nothing public changes yet)."""
    clean = " ".join(text.split())[:SUGGESTION_MAX_CHARS]
    suggestion = Suggestion(
        unit_id=unit_id,
        branch_id=branch_id,
        pledge_id=pledge_id,
        text=clean,
        public_text=mask_personal(clean)[:SUGGESTION_MAX_CHARS],
        device_hash=device_hash,
        ip_hash=ip_hash,
    )
    session.add(suggestion)
    session.flush()
    return suggestion


# ---------------------------------------------------------------- what a board shows


def counted_by_pledge(session: Session, pledge_ids: Iterable[int]) -> dict[int, SatisfactionCounts]:
    """Counted ratings per pledge over all periods, in one query."""
    ids = sorted(set(pledge_ids))
    out: dict[int, SatisfactionCounts] = {}
    if not ids:
        return out
    rows = session.execute(
        select(col(PublicRating.pledge_id), col(PublicRating.choice), func.count())
        .where(col(PublicRating.pledge_id).in_(ids), col(PublicRating.status) == RatingStatus.counted)
        .group_by(col(PublicRating.pledge_id), col(PublicRating.choice))
    ).all()
    for pledge_id, choice, n in rows:
        out.setdefault(pledge_id, SatisfactionCounts()).add(choice, n)
    return out


def to_public(counts: SatisfactionCounts | None) -> SatisfactionPublic | None:
    """The public aggregate, or None below MIN_PUBLIC_RATINGS ratings (too few to show fairly)."""
    if counts is None or counts.total < MIN_PUBLIC_RATINGS:
        return None
    return SatisfactionPublic(
        satisfied=counts.satisfied,
        basic=counts.basic,
        unsatisfied=counts.unsatisfied,
        total=counts.total,
        satisfied_percent=round(100 * (counts.satisfied + counts.basic) / counts.total),
    )


def public_satisfaction(session: Session, pledge_ids: Iterable[int]) -> dict[int, SatisfactionPublic]:
    counts = counted_by_pledge(session, pledge_ids)
    out = {}
    for pledge_id, c in counts.items():
        public = to_public(c)
        if public is not None:
            out[pledge_id] = public
    return out


def public_suggestions(
    session: Session, *, unit_ids: Sequence[int] = (), pledge_ids: Sequence[int] = (), limit: int = 10
) -> list[SuggestionPublic]:
    """Approved suggestions to these units (not to a pledge) or to these pledges, newest first."""
    conditions: list[Any] = []
    if unit_ids:
        conditions.append(col(Suggestion.unit_id).in_(unit_ids) & col(Suggestion.pledge_id).is_(None))
    if pledge_ids:
        conditions.append(col(Suggestion.pledge_id).in_(pledge_ids))
    if not conditions:
        return []
    rows = (
        session.execute(
            select(Suggestion)
            .where(col(Suggestion.status) == SuggestionStatus.approved, or_(*conditions))
            .order_by(col(Suggestion.created_at).desc(), col(Suggestion.id).desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return [
        SuggestionPublic(public_text=mask_personal(s.public_text), created_at=s.created_at, pledge_id=s.pledge_id)
        for s in rows
    ]


# ---------------------------------------------------------------- moderation (secretaries)


def _moderated_paths(session: Session, actor: Actor, unit_id: int | None) -> list[str]:
    return org_service.scope_for(session, actor, Permission.evaluation_moderate, unit_id)


def suggestion_queue(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    status: SuggestionStatus | None = SuggestionStatus.pending,
    unit_id: int | None = None,
) -> Page[SuggestionRead]:
    """Suggestions in the branches the actor moderates; pending ones first by default, oldest first."""
    paths = _moderated_paths(session, actor, unit_id)
    stmt: Any = select(Suggestion).where(col(Suggestion.unit_id).in_(org_service.subtree_ids(paths)))
    if status is not None:
        stmt = stmt.where(col(Suggestion.status) == status)
    order = col(Suggestion.created_at) if status == SuggestionStatus.pending else col(Suggestion.created_at).desc()
    stmt = stmt.order_by(order, col(Suggestion.id))
    return paginate(session, stmt, params, lambda rows: [SuggestionRead.model_validate(s) for s in rows])


def get_suggestion(session: Session, *, actor: Actor, suggestion_id: int) -> Suggestion:
    suggestion = session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise NotFound("未找到该意见建议")
    unit = org_service.get_unit(session, suggestion.unit_id)
    if not actor.can_see(unit.path):
        raise NotFound("未找到该意见建议")
    return suggestion


def moderate(session: Session, *, actor: Actor, suggestion_id: int, approve: bool, reason: str = "") -> Suggestion:
    """Approve (publish, masked) or reject a suggestion; a decision can be changed later."""
    suggestion = get_suggestion(session, actor=actor, suggestion_id=suggestion_id)
    require(actor, Permission.evaluation_moderate, org_service.get_unit(session, suggestion.unit_id))
    new_status = SuggestionStatus.approved if approve else SuggestionStatus.rejected
    was_public = suggestion.status == SuggestionStatus.approved
    suggestion.status = new_status
    suggestion.public_text = mask_personal(suggestion.text)[:SUGGESTION_MAX_CHARS]
    suggestion.reason = reason.strip()
    suggestion.moderated_by_account_id = actor.account_id
    suggestion.moderated_at = utcnow()
    session.add(suggestion)
    session.flush()
    if was_public or approve:
        org_service.touch(session, [suggestion.unit_id])
    return suggestion


def rating_list(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    status: RatingStatus | None = RatingStatus.flagged,
    unit_id: int | None = None,
    pledge_id: int | None = None,
) -> Page[RatingRead]:
    """Ratings in the branches the actor moderates (flagged ones by default), newest first."""
    paths = _moderated_paths(session, actor, unit_id)
    stmt: Any = select(PublicRating).where(col(PublicRating.branch_id).in_(org_service.subtree_ids(paths)))
    if status is not None:
        stmt = stmt.where(col(PublicRating.status) == status)
    if pledge_id is not None:
        stmt = stmt.where(col(PublicRating.pledge_id) == pledge_id)
    stmt = stmt.order_by(col(PublicRating.updated_at).desc(), col(PublicRating.id).desc())
    return paginate(session, stmt, params, lambda rows: [RatingRead.model_validate(r) for r in rows])


def review_rating(session: Session, *, actor: Actor, rating_id: int, accept: bool) -> PublicRating:
    """Accept a flagged rating (it counts) or discard it."""
    rating = session.get(PublicRating, rating_id)
    branch = org_service.get_unit(session, rating.branch_id) if rating is not None else None
    if rating is None or branch is None or not actor.can_see(branch.path):
        raise NotFound("未找到该测评")
    require(actor, Permission.evaluation_moderate, branch)
    if rating.status == RatingStatus.counted and accept:
        raise Conflict("该测评已计入", code="rating_already_counted")
    rating.status = RatingStatus.counted if accept else RatingStatus.discarded
    rating.reviewed_by_account_id = actor.account_id
    rating.reviewed_at = utcnow()
    session.add(rating)
    session.flush()
    org_service.touch(session, [rating.unit_id])
    return rating


# ---------------------------------------------------------------- summaries (secretaries, ratings issue)


def _summary_rows(
    session: Session, where: list[Any], period: str | None
) -> list[tuple[int, int | None, str, str, int]]:
    stmt = select(
        col(PublicRating.pledge_id),
        col(PublicRating.member_id),
        col(PublicRating.choice),
        col(PublicRating.status),
        func.count(),
    ).where(*where)
    if period:
        stmt = stmt.where(col(PublicRating.period) == period)
    stmt = stmt.group_by(
        col(PublicRating.pledge_id), col(PublicRating.member_id), col(PublicRating.choice), col(PublicRating.status)
    )
    return [tuple(r) for r in session.execute(stmt).all()]


def pledge_summaries_for(
    session: Session, *, pledge_ids: Sequence[int] | None = None, branch_ids_stmt: Any = None, period: str | None = None
) -> list[PledgeEvaluationSummary]:
    """Per-pledge counts (counted ratings, flagged ones apart, suggestions); no permission check."""
    where: list[Any] = [col(PublicRating.status) != RatingStatus.discarded]
    if pledge_ids is not None:
        where.append(col(PublicRating.pledge_id).in_(pledge_ids))
    if branch_ids_stmt is not None:
        where.append(col(PublicRating.branch_id).in_(branch_ids_stmt))
    by_pledge: dict[int, PledgeEvaluationSummary] = {}
    for pledge_id, member_id, choice, status, n in _summary_rows(session, where, period):
        s = by_pledge.setdefault(
            pledge_id,
            PledgeEvaluationSummary(
                pledge_id=pledge_id,
                member_id=member_id,
                satisfied=0,
                basic=0,
                unsatisfied=0,
                total=0,
                flagged=0,
                suggestions=0,
            ),
        )
        if status == RatingStatus.flagged:
            s.flagged += n
            continue
        setattr(s, Satisfaction(choice).value, getattr(s, Satisfaction(choice).value) + n)
        s.total += n
    if by_pledge:
        rows = session.execute(
            select(col(Suggestion.pledge_id), func.count())
            .where(col(Suggestion.pledge_id).in_(list(by_pledge)))
            .group_by(col(Suggestion.pledge_id))
        ).all()
        for pledge_id, n in rows:
            by_pledge[pledge_id].suggestions = n
    return [by_pledge[k] for k in sorted(by_pledge)]


def member_summaries_for(
    session: Session, *, member_ids: Sequence[int], period: str | None = None
) -> dict[int, MemberEvaluationSummary]:
    """Per-member totals over their pledges' counted ratings, for star ratings; no permission check."""
    out: dict[int, MemberEvaluationSummary] = {}
    if not member_ids:
        return out
    where: list[Any] = [col(PublicRating.member_id).in_(member_ids), col(PublicRating.status) != RatingStatus.discarded]
    pledges_of: dict[int, set[int]] = {}
    for pledge_id, member_id, choice, status, n in _summary_rows(session, where, period):
        assert member_id is not None
        s = out.setdefault(
            member_id,
            MemberEvaluationSummary(
                member_id=member_id, pledges=0, satisfied=0, basic=0, unsatisfied=0, total=0, flagged=0
            ),
        )
        pledges_of.setdefault(member_id, set()).add(pledge_id)
        if status == RatingStatus.flagged:
            s.flagged += n
            continue
        setattr(s, Satisfaction(choice).value, getattr(s, Satisfaction(choice).value) + n)
        s.total += n
    for member_id, s in out.items():
        s.pledges = len(pledges_of[member_id])
        if s.total:
            score = (
                s.satisfied * SCORES[Satisfaction.satisfied]
                + s.basic * SCORES[Satisfaction.basic]
                + s.unsatisfied * SCORES[Satisfaction.unsatisfied]
            ) / s.total
            s.satisfaction_score = round(score, 1)
    return out


def pledge_summaries(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None, period: str | None = None
) -> Page[PledgeEvaluationSummary]:
    """Evaluation summaries per pledge in the actor's branches, one page at a time."""
    paths = _moderated_paths(session, actor, unit_id)
    rows = pledge_summaries_for(session, branch_ids_stmt=org_service.subtree_ids(paths), period=period)
    return _page_of(rows, params)


def member_summaries(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None, period: str | None = None
) -> Page[MemberEvaluationSummary]:
    """Evaluation summaries per member in the actor's branches, one page at a time."""
    paths = _moderated_paths(session, actor, unit_id)
    member_ids = session.execute(
        select(col(PublicRating.member_id))
        .where(
            col(PublicRating.branch_id).in_(org_service.subtree_ids(paths)),
            col(PublicRating.member_id).is_not(None),
        )
        .distinct()
    ).scalars()
    ids = sorted(m for m in member_ids if m is not None)
    summaries = member_summaries_for(session, member_ids=ids, period=period)
    return _page_of([summaries[m] for m in ids if m in summaries], params)


def _page_of(rows: Sequence[Any], params: PageParams) -> Page[Any]:
    total = len(rows)
    return Page(
        items=list(rows[params.offset : params.offset + params.size]),
        total=total,
        page=params.page,
        size=params.size,
        pages=(total + params.size - 1) // params.size,
    )
