"""What a public board shows of villager evaluations: satisfaction aggregates over people — distinct
devices, each by its latest choice, in the year the board states — from MIN_PUBLIC_RATINGS people up,
and approved suggestions, masked, in a few queries per board."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor
from app.core.privacy import mask_personal
from app.evaluations import formula
from app.evaluations.models import PublicRating, RatingStatus, Suggestion, SuggestionStatus
from app.evaluations.schemas import PledgeSuggestion, SatisfactionCounts, SatisfactionPublic, SuggestionPublic
from app.pledges import service as pledges_service

MIN_PUBLIC_RATINGS = 5  # people (distinct devices), not ratings


def latest_per_device(*where: Any) -> Any:
    """A sub-select of the counted ratings matching `where`, one per (pledge, device): the device's
    latest (by rating period, then by when it was last changed). Counting its rows counts people —
    distinct phones — not ratings: a phone may rate a pledge once per quarter, and a board that adds up
    quarters must not count it again. Columns: pledge_id, unit_id, branch_id, member_id, choice."""
    rank = (
        func.row_number()
        .over(
            partition_by=(col(PublicRating.pledge_id), col(PublicRating.device_hash)),
            order_by=(
                col(PublicRating.period).desc(),
                col(PublicRating.updated_at).desc(),
                col(PublicRating.id).desc(),
            ),
        )
        .label("rank")
    )
    ranked = (
        select(
            col(PublicRating.pledge_id),
            col(PublicRating.unit_id),
            col(PublicRating.branch_id),
            col(PublicRating.member_id),
            col(PublicRating.choice),
            rank,
        )
        .where(col(PublicRating.status) == RatingStatus.counted.value, *where)
        .subquery()
    )
    return (
        select(ranked.c.pledge_id, ranked.c.unit_id, ranked.c.branch_id, ranked.c.member_id, ranked.c.choice)
        .where(ranked.c.rank == 1)
        .subquery()
    )


def in_year(year: int) -> Any:
    """Ratings given in a year's rating periods (calendar quarters in China time: "2026Q1"…"2026Q4")."""
    return col(PublicRating.period).between(f"{year}Q1", f"{year}Q4")


def counted_by_pledge(
    session: Session, pledge_ids: Iterable[int], *, year: int | None = None
) -> dict[int, SatisfactionCounts]:
    """The people (distinct devices, each by its latest counted choice) who rated each pledge, in
    `year`'s rating periods or in all of them; one query."""
    ids = sorted(set(pledge_ids))
    out: dict[int, SatisfactionCounts] = {}
    if not ids:
        return out
    where = [col(PublicRating.pledge_id).in_(ids)]
    if year is not None:
        where.append(in_year(year))
    people = latest_per_device(*where)
    rows = session.execute(
        select(people.c.pledge_id, people.c.choice, func.count()).group_by(people.c.pledge_id, people.c.choice)
    ).all()
    for pledge_id, choice, n in rows:
        out.setdefault(pledge_id, SatisfactionCounts()).add(choice, n)
    return out


def to_public(counts: SatisfactionCounts | None) -> SatisfactionPublic | None:
    """The public aggregate, or None below MIN_PUBLIC_RATINGS people (too few to show fairly, and a
    handful of phones would be as good as named)."""
    if counts is None or counts.total < MIN_PUBLIC_RATINGS:
        return None
    return SatisfactionPublic(
        satisfied=counts.satisfied,
        basic=counts.basic,
        unsatisfied=counts.unsatisfied,
        total=counts.total,
        satisfied_percent=formula.percent(counts.satisfied, counts.basic, counts.unsatisfied) or 0,
    )


def public_satisfaction(
    session: Session, pledge_ids: Iterable[int], *, year: int | None = None
) -> dict[int, SatisfactionPublic]:
    """What a board shows per pledge: the people who rated it in `year` (the board's year), from
    MIN_PUBLIC_RATINGS people up."""
    counts = counted_by_pledge(session, pledge_ids, year=year)
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
        SuggestionPublic(
            public_text=mask_personal(s.public_text),
            created_at=s.created_at,
            pledge_id=s.pledge_id,
            reply=mask_personal(s.public_reply),
            replied_at=s.replied_at if s.public_reply else None,
        )
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
        select(
            col(Suggestion.pledge_id),
            col(Suggestion.public_text),
            col(Suggestion.created_at),
            col(Suggestion.public_reply),
            col(Suggestion.replied_at),
            rank,
        )
        .where(col(Suggestion.status) == SuggestionStatus.approved.value, col(Suggestion.pledge_id).in_(pledge_ids))
        .subquery()
    )
    rows = session.execute(
        select(
            ranked.c.pledge_id, ranked.c.public_text, ranked.c.created_at, ranked.c.public_reply, ranked.c.replied_at
        )
        .where(ranked.c.rank <= per_pledge)
        .order_by(ranked.c.pledge_id, ranked.c.rank)
    ).all()
    out: dict[int, list[SuggestionPublic]] = {}
    for pledge_id, text, created_at, reply, replied_at in rows:
        out.setdefault(pledge_id, []).append(
            SuggestionPublic(
                public_text=mask_personal(text),
                created_at=created_at,
                pledge_id=pledge_id,
                reply=mask_personal(reply or ""),
                replied_at=replied_at if reply else None,
            )
        )
    return out


def pledge_suggestions(session: Session, *, actor: Actor, pledge_id: int, params: PageParams) -> Page[PledgeSuggestion]:
    """Approved suggestions to one pledge with the branch's replies, newest first, as the board shows
    them: for whoever sees the pledge in the app (its member above all; 404 otherwise)."""
    pledges_service.visible_pledge(session, actor, pledge_id)
    stmt = (
        select(Suggestion)
        .where(col(Suggestion.pledge_id) == pledge_id, col(Suggestion.status) == SuggestionStatus.approved.value)
        .order_by(col(Suggestion.created_at).desc(), col(Suggestion.id).desc())
    )

    def shape(rows: Sequence[Suggestion]) -> list[PledgeSuggestion]:
        return [
            PledgeSuggestion(
                id=s.id or 0,
                public_text=mask_personal(s.public_text),
                created_at=s.created_at,
                reply=mask_personal(s.public_reply),
                replied_at=s.replied_at if s.public_reply else None,
            )
            for s in rows
        ]

    return paginate(session, stmt, params, shape)
