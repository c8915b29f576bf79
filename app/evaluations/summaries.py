"""Evaluation summaries for secretaries, per pledge and per member, in the units they moderate.

Aggregated in SQL (SUM(CASE …) grouped by pledge or member) and paged there too: a page costs the
same few statements whatever the number of ratings or the page size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, case, func, literal, select, union_all
from sqlmodel import Session, col

from app.core.pagination import Page, PageParams, page_of
from app.core.permissions import Actor, Permission
from app.evaluations import formula
from app.evaluations.models import PublicRating, RatingStatus, Satisfaction, Suggestion, SuggestionStatus
from app.evaluations.periods import period_bounds
from app.evaluations.schemas import MemberEvaluationSummary, PledgeEvaluationSummary
from app.org import service as org_service
from app.pledges import service as pledges_service

# the one formula's points per choice (evaluations.formula), for whoever sums points by choice
SCORES = formula.POINTS


def _counted(choice: Satisfaction) -> Any:
    counted = (col(PublicRating.status) == RatingStatus.counted.value) & (col(PublicRating.choice) == choice.value)
    return func.coalesce(func.sum(case((counted, 1), else_=0)), 0)


def _flagged() -> Any:
    return func.coalesce(func.sum(case((col(PublicRating.status) == RatingStatus.flagged.value, 1), else_=0)), 0)


def _rating_filters(units: Any, period: str | None) -> list[Any]:
    where: list[Any] = [col(PublicRating.status) != RatingStatus.discarded.value, col(PublicRating.unit_id).in_(units)]
    if period:
        where.append(col(PublicRating.period) == period)
    return where


def _pledge_summary_stmt(*, units: Any, period: str | None) -> Any:
    """One row per pledge with ratings (counted ones by choice, flagged ones apart) or with approved or
    pending suggestions, ordered by pledge id. Rejected suggestions and discarded ratings are left out."""
    ratings_where = _rating_filters(units, period)
    suggestions_where: list[Any] = [
        col(Suggestion.pledge_id).is_not(None),
        col(Suggestion.status) != SuggestionStatus.rejected.value,
        col(Suggestion.unit_id).in_(units),
    ]
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
                satisfaction_score=_rounded(formula.score(*counts)),
                suggestions=int(approved),
                suggestions_pending=int(pending),
            )
        )
    return out


def _rounded(score: float | None) -> float | None:
    return None if score is None else round(score, 1)


def _member_summary_stmt(*, units: Any, period: str | None) -> Any:
    where = [*_rating_filters(units, period), col(PublicRating.member_id).is_not(None)]
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
    score = _rounded(formula.score(satisfied, basic, unsatisfied))
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


def pledge_summaries(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None, period: str | None = None
) -> Page[PledgeEvaluationSummary]:
    """Evaluation summaries per pledge in the units the actor moderates, one page at a time.

    `suggestions` counts the approved (public) suggestions to the pledge, `suggestions_pending` those
    waiting in the queue; rejected ones are not counted. A pledge with suggestions but no rating is
    listed too. Three queries per page: the count, the page, the pledges' members."""
    units = org_service.subtree_ids(org_service.scope_for(session, actor, Permission.evaluation_moderate, unit_id))
    rows, total = _page_rows(session, _pledge_summary_stmt(units=units, period=period), params)
    return page_of(_pledge_summaries(session, rows), params, total)


def member_summaries(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None, period: str | None = None
) -> Page[MemberEvaluationSummary]:
    """Evaluation summaries per member in the units the actor moderates, one page at a time (two
    queries: the count and the page)."""
    units = org_service.subtree_ids(org_service.scope_for(session, actor, Permission.evaluation_moderate, unit_id))
    rows, total = _page_rows(session, _member_summary_stmt(units=units, period=period), params)
    return page_of([_member_summary(r) for r in rows], params, total)
