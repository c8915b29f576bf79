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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, case, func, literal, or_, select, union_all
from sqlmodel import Session, col

from app.core.db import insert_for
from app.core.errors import Conflict, NotFound
from app.core.pagination import Page, PageParams, page_of, paginate
from app.core.permissions import Actor, Permission, require
from app.core.privacy import mask_personal
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
from app.pledges import service as pledges_service

MIN_PUBLIC_RATINGS = 5
SUGGESTION_MAX_CHARS = 200
# a burst on one pledge: beyond this many ratings in the window (all, or from one address) they are
# flagged for review; above what a village meeting on one NAT address gives (30 phones at once)
BURST_WINDOW = timedelta(minutes=10)
BURST_PER_PLEDGE = 60
BURST_PER_PLEDGE_AND_ADDRESS = 40
TABLE = "public_rating"
SCORES = {Satisfaction.satisfied: 100, Satisfaction.basic: 60, Satisfaction.unsatisfied: 0}


@dataclass(frozen=True)
class PledgeRef:
    """What evaluations need to know about a rated pledge: where it lives and whose it is."""

    id: int
    branch_id: int
    unit_id: int  # the most specific unit whose board shows it: the owner's group, else branch or unit
    member_id: int | None


def pledge_ref(session: Session, pledge_id: int) -> PledgeRef:
    """The rated pledge's place in the tree, from the pledges service (boards only know public fields)."""
    pledge = pledges_service.get_pledge(session, pledge_id)
    return PledgeRef(id=pledge_id, branch_id=pledge.branch_id, unit_id=pledge.unit_id, member_id=pledge.member_id)


def period_of(moment: datetime | None = None) -> str:
    """The rating period a moment falls in: its calendar quarter in China time, e.g. "2026Q4"."""
    local = as_utc(moment or utcnow()).astimezone(CHINA_TZ)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The [start, end) instants of a period such as "2026Q4" (China time quarters)."""
    year, quarter = int(period[:4]), int(period[-1])
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=CHINA_TZ)
    end = (
        datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)
        if quarter == 4
        else datetime(year, 3 * quarter + 1, 1, tzinfo=CHINA_TZ)
    )
    return as_utc(start), as_utc(end)


# ---------------------------------------------------------------- from the public


def rate(
    session: Session, *, pledge: PledgeRef, choice: Satisfaction, device_hash: str, ip_hash: str
) -> tuple[PublicRating, bool]:
    """Record a device's rating of a pledge for the current period; returns (rating, replaced).

    One atomic upsert on (pledge, device, period): two submits from one device at once (a
    double-tap) both succeed, the later one replacing the earlier, on SQLite and PostgreSQL alike.
    A replaced rating keeps its status, except that a discarded one goes back to review.
    """
    now = utcnow()
    since = now - BURST_WINDOW
    recent, recent_here = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((col(PublicRating.ip_hash) == ip_hash, 1), else_=0)), 0),
        ).where(col(PublicRating.pledge_id) == pledge.id, col(PublicRating.created_at) >= since)
    ).one()
    burst = recent >= BURST_PER_PLEDGE or recent_here >= BURST_PER_PLEDGE_AND_ADDRESS
    table = PublicRating.metadata.tables[TABLE]
    stmt = insert_for(session)(table).values(
        pledge_id=pledge.id,
        branch_id=pledge.branch_id,
        unit_id=pledge.unit_id,
        member_id=pledge.member_id,
        period=period_of(now),
        choice=choice.value,
        status=(RatingStatus.flagged if burst else RatingStatus.counted).value,
        device_hash=device_hash,
        ip_hash=ip_hash,
        created_at=now,
        updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.pledge_id, table.c.device_hash, table.c.period],
        set_={
            "choice": stmt.excluded.choice,
            "ip_hash": stmt.excluded.ip_hash,
            "updated_at": stmt.excluded.updated_at,
            "status": case(
                (table.c.status == RatingStatus.discarded.value, RatingStatus.flagged.value), else_=table.c.status
            ),
        },
    ).returning(table.c.id, table.c.created_at)
    rating_id, created_at = session.execute(stmt).one()
    replaced = as_utc(created_at) != now
    if replaced or not burst:
        org_service.touch(session, [pledge.unit_id])
    rating = session.get(PublicRating, rating_id, populate_existing=True)
    assert rating is not None
    return rating, replaced


def clean_text(text: str) -> str:
    """A suggestion as stored: runs of whitespace (newlines included) folded to one space."""
    return " ".join(text.split())


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
    """Put a villager's suggestion in the branch's moderation queue (nothing public changes yet).

    The text must already be within SUGGESTION_MAX_CHARS (see `read_feedback`): it is never cut."""
    clean = clean_text(text)
    if len(clean) > SUGGESTION_MAX_CHARS:
        raise ValueError("suggestion longer than SUGGESTION_MAX_CHARS: check it with read_feedback()")
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


class FeedbackProblem(Exception):
    """A villager's form that cannot be stored as sent; `message` (Chinese) says what to change."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Feedback:
    """A checked form: a satisfaction choice (rating form only) and/or a suggestion's text."""

    choice: Satisfaction | None
    text: str


def read_feedback(*, choice: str | None, text: str) -> Feedback:
    """Check a villager's form by one rule for both forms. `choice=None` is the suggestion card (text
    required); otherwise the rating form, where a choice, a suggestion or both may be sent."""
    clean = clean_text(text)
    if len(clean) > SUGGESTION_MAX_CHARS:
        raise FeedbackProblem(f"意见建议最多 {SUGGESTION_MAX_CHARS} 个字，您写了 {len(clean)} 个字，请删减后再提交。")
    if choice is None:
        if not clean:
            raise FeedbackProblem("请填写意见建议后再提交。")
        return Feedback(choice=None, text=clean)
    picked: Satisfaction | None = None
    if choice:
        try:
            picked = Satisfaction(choice)
        except ValueError:
            raise FeedbackProblem("请选择“满意”“基本满意”或“不满意”。") from None
    if picked is None and not clean:
        raise FeedbackProblem("请选择满意程度，或填写意见建议后再提交。")
    return Feedback(choice=picked, text=clean)


def take_feedback(
    session: Session,
    *,
    feedback: Feedback,
    pledge: PledgeRef | None,
    unit_id: int,
    branch_id: int,
    device_hash: str,
    ip_hash: str,
) -> None:
    """Store a checked form: the rating of `pledge` (if a choice was made) and the suggestion (if any),
    to the pledge or, without one, to the unit."""
    if pledge is not None and feedback.choice is not None:
        rate(session, pledge=pledge, choice=feedback.choice, device_hash=device_hash, ip_hash=ip_hash)
    if feedback.text:
        suggest(
            session,
            unit_id=pledge.unit_id if pledge is not None else unit_id,
            branch_id=pledge.branch_id if pledge is not None else branch_id,
            pledge_id=pledge.id if pledge is not None else None,
            text=feedback.text,
            device_hash=device_hash,
            ip_hash=ip_hash,
        )


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


def public_suggestions_by_pledge(
    session: Session, pledge_ids: Sequence[int], *, per_pledge: int = 20
) -> dict[int, list[SuggestionPublic]]:
    """Approved suggestions to each of these pledges, newest first, at most `per_pledge` each: one
    query for a whole board, however many pledges it shows."""
    if not pledge_ids:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=col(Suggestion.pledge_id),
            order_by=(col(Suggestion.created_at).desc(), col(Suggestion.id).desc()),
        )
        .label("rank")
    )
    ranked = (
        select(col(Suggestion.pledge_id), col(Suggestion.public_text), col(Suggestion.created_at), rank)
        .where(col(Suggestion.status) == SuggestionStatus.approved.value, col(Suggestion.pledge_id).in_(pledge_ids))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.pledge_id, ranked.c.public_text, ranked.c.created_at)
        .where(ranked.c.rank <= per_pledge)
        .order_by(ranked.c.pledge_id, ranked.c.rank)
    ).all()
    out: dict[int, list[SuggestionPublic]] = {}
    for pledge_id, text, created_at in rows:
        out.setdefault(pledge_id, []).append(
            SuggestionPublic(public_text=mask_personal(text), created_at=created_at, pledge_id=pledge_id)
        )
    return out


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
    stmt: Any = select(PublicRating).where(col(PublicRating.unit_id).in_(org_service.subtree_ids(paths)))
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
# Aggregated in SQL (SUM(CASE …) grouped by pledge or member) and paged there too: a page costs the
# same few statements whatever the number of ratings or the page size.


def _counted(choice: Satisfaction) -> Any:
    counted = (col(PublicRating.status) == RatingStatus.counted.value) & (col(PublicRating.choice) == choice.value)
    return func.coalesce(func.sum(case((counted, 1), else_=0)), 0)


def _flagged() -> Any:
    return func.coalesce(func.sum(case((col(PublicRating.status) == RatingStatus.flagged.value, 1), else_=0)), 0)


def _rating_filters(units: Any, period: str | None) -> list[Any]:
    where: list[Any] = [col(PublicRating.status) != RatingStatus.discarded.value]
    if units is not None:
        where.append(col(PublicRating.unit_id).in_(units))
    if period:
        where.append(col(PublicRating.period) == period)
    return where


def _pledge_summary_stmt(*, units: Any = None, pledge_ids: Sequence[int] | None = None, period: str | None) -> Any:
    """One row per pledge with ratings (counted ones by choice, flagged ones apart) or with approved or
    pending suggestions, ordered by pledge id. Rejected suggestions and discarded ratings are left out."""
    ratings_where = _rating_filters(units, period)
    suggestions_where: list[Any] = [
        col(Suggestion.pledge_id).is_not(None),
        col(Suggestion.status) != SuggestionStatus.rejected.value,
    ]
    if units is not None:
        suggestions_where.append(col(Suggestion.unit_id).in_(units))
    if pledge_ids is not None:
        ratings_where.append(col(PublicRating.pledge_id).in_(pledge_ids))
        suggestions_where.append(col(Suggestion.pledge_id).in_(pledge_ids))
    if period:
        start, end = period_bounds(period)
        suggestions_where += [col(Suggestion.created_at) >= start, col(Suggestion.created_at) < end]
    zero = literal(0, Integer)

    def by_status(status: SuggestionStatus) -> Any:
        return func.coalesce(func.sum(case((col(Suggestion.status) == status.value, 1), else_=0)), 0)

    ratings = (
        select(
            col(PublicRating.pledge_id).label("pledge_id"),
            _counted(Satisfaction.satisfied).label("satisfied"),
            _counted(Satisfaction.basic).label("basic"),
            _counted(Satisfaction.unsatisfied).label("unsatisfied"),
            _flagged().label("flagged"),
            zero.label("approved"),
            zero.label("pending"),
        )
        .where(*ratings_where)
        .group_by(col(PublicRating.pledge_id))
    )
    suggestions = (
        select(
            col(Suggestion.pledge_id).label("pledge_id"),
            zero,
            zero,
            zero,
            zero,
            by_status(SuggestionStatus.approved),
            by_status(SuggestionStatus.pending),
        )
        .where(*suggestions_where)
        .group_by(col(Suggestion.pledge_id))
    )
    both = union_all(ratings, suggestions).subquery()
    return (
        select(
            both.c.pledge_id,
            func.sum(both.c.satisfied),
            func.sum(both.c.basic),
            func.sum(both.c.unsatisfied),
            func.sum(both.c.flagged),
            func.sum(both.c.approved),
            func.sum(both.c.pending),
        )
        .group_by(both.c.pledge_id)
        .order_by(both.c.pledge_id)
    )


def _pledge_summaries(session: Session, rows: Sequence[Any]) -> list[PledgeEvaluationSummary]:
    members = pledges_service.member_ids_of(session, [r[0] for r in rows])
    out = []
    for pledge_id, satisfied, basic, unsatisfied, flagged, approved, pending in rows:
        counts = [int(satisfied), int(basic), int(unsatisfied)]
        out.append(
            PledgeEvaluationSummary(
                pledge_id=pledge_id,
                member_id=members.get(pledge_id),
                satisfied=counts[0],
                basic=counts[1],
                unsatisfied=counts[2],
                total=sum(counts),
                flagged=int(flagged),
                suggestions=int(approved),
                suggestions_pending=int(pending),
            )
        )
    return out


def _member_summary_stmt(*, units: Any = None, member_ids: Sequence[int] | None = None, period: str | None) -> Any:
    where = [*_rating_filters(units, period), col(PublicRating.member_id).is_not(None)]
    if member_ids is not None:
        where.append(col(PublicRating.member_id).in_(member_ids))
    return (
        select(
            col(PublicRating.member_id),
            func.count(func.distinct(col(PublicRating.pledge_id))),
            _counted(Satisfaction.satisfied),
            _counted(Satisfaction.basic),
            _counted(Satisfaction.unsatisfied),
            _flagged(),
        )
        .where(*where)
        .group_by(col(PublicRating.member_id))
        .order_by(col(PublicRating.member_id))
    )


def _member_summary(row: Any) -> MemberEvaluationSummary:
    member_id, pledges, satisfied, basic, unsatisfied, flagged = (int(v) for v in row)
    total = satisfied + basic + unsatisfied
    score = None
    if total:
        points = (
            satisfied * SCORES[Satisfaction.satisfied]
            + basic * SCORES[Satisfaction.basic]
            + unsatisfied * SCORES[Satisfaction.unsatisfied]
        )
        score = round(points / total, 1)
    return MemberEvaluationSummary(
        member_id=member_id,
        pledges=pledges,
        satisfied=satisfied,
        basic=basic,
        unsatisfied=unsatisfied,
        total=total,
        flagged=flagged,
        satisfaction_score=score,
    )


def _page_rows(session: Session, stmt: Any, params: PageParams) -> tuple[list[Any], int]:
    """One page of an aggregate statement and the number of its rows: two queries."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.limit(params.size).offset(params.offset)).all()
    return list(rows), int(total)


def pledge_summaries_for(
    session: Session, *, pledge_ids: Sequence[int], period: str | None = None
) -> list[PledgeEvaluationSummary]:
    """Per-pledge counts for these pledges (see `_pledge_summary_stmt`); no permission check."""
    if not pledge_ids:
        return []
    rows = session.execute(_pledge_summary_stmt(pledge_ids=pledge_ids, period=period)).all()
    return _pledge_summaries(session, rows)


def member_summaries_for(
    session: Session, *, member_ids: Sequence[int], period: str | None = None
) -> dict[int, MemberEvaluationSummary]:
    """Per-member totals over their pledges' counted ratings, for star ratings; no permission check."""
    if not member_ids:
        return {}
    rows = session.execute(_member_summary_stmt(member_ids=member_ids, period=period)).all()
    return {s.member_id: s for s in map(_member_summary, rows)}


def pledge_summaries(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None, period: str | None = None
) -> Page[PledgeEvaluationSummary]:
    """Evaluation summaries per pledge in the units the actor moderates, one page at a time.

    `suggestions` counts the approved (public) suggestions to the pledge, `suggestions_pending` those
    waiting in the queue; rejected ones are not counted. A pledge with suggestions but no rating is
    listed too. Three queries per page: the count, the page, the pledges' members."""
    units = org_service.subtree_ids(_moderated_paths(session, actor, unit_id))
    rows, total = _page_rows(session, _pledge_summary_stmt(units=units, period=period), params)
    return page_of(_pledge_summaries(session, rows), params, total)


def member_summaries(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None, period: str | None = None
) -> Page[MemberEvaluationSummary]:
    """Evaluation summaries per member in the units the actor moderates, one page at a time (two
    queries: the count and the page)."""
    units = org_service.subtree_ids(_moderated_paths(session, actor, unit_id))
    rows, total = _page_rows(session, _member_summary_stmt(units=units, period=period), params)
    return page_of([_member_summary(r) for r in rows], params, total)
