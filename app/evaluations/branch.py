"""Villagers' satisfaction with a branch (001 "群众对村党支部的满意度达到95%以上"): across all the branch's
pledges — its members' and its groups' and its own collective ones (every rating carries the branch that
vets the pledge) — in the year a board states.

Each villager counts once: one phone (device) is one person, by its latest counted choice on any of
the branch's pledges in the year (the latest rating period first, then the latest change). The figure is
the one formula (`evaluations.formula`: (满意 + 基本满意) ÷ 人数) over those people, and it is shown from
MIN_PUBLIC_RATINGS people up — the rule the pledge-level figure follows (`evaluations.public`). One query.

A board's cached page goes stale when a rating arrives: taking a rating touches the pledge's unit, and a
group's touch bumps its branch (`org_service.touch`), whose content_version is in the branch board's key.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core.errors import Unprocessable
from app.core.permissions import Actor, Permission, require
from app.core.time import today_local
from app.evaluations import formula
from app.evaluations.models import PublicRating, RatingStatus
from app.evaluations.public import MIN_PUBLIC_RATINGS, in_year, to_public
from app.evaluations.schemas import SatisfactionCounts, SatisfactionPublic
from app.org import service as org_service
from app.org.models import UnitKind


class BranchSatisfaction(BaseModel):
    """What the secretary sees: the board's figure and how many people stand behind it."""

    branch_id: int
    year: int
    people: int = Field(description="参加评价的人数（每台手机算一人）")
    satisfied: int
    basic: int
    unsatisfied: int
    satisfied_percent: int | None = Field(description="满意度（%），评价满 min_people 人后才有（与公示牌相同）")
    min_people: int = MIN_PUBLIC_RATINGS
    formula: str = Field(default=formula.TEXT, description="满意度的算法（各页面同一个）")


def branch_counts(session: Session, branch_id: int, year: int) -> SatisfactionCounts:
    """The people who rated the branch's pledges in `year`, each by their latest counted choice."""
    rank = (
        func.row_number()
        .over(
            partition_by=col(PublicRating.device_hash),
            order_by=(
                col(PublicRating.period).desc(),
                col(PublicRating.updated_at).desc(),
                col(PublicRating.id).desc(),
            ),
        )
        .label("rank")
    )
    ranked = (
        select(col(PublicRating.choice), rank)
        .where(
            col(PublicRating.branch_id) == branch_id,
            col(PublicRating.status) == RatingStatus.counted.value,
            in_year(year),
        )
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.choice, func.count()).where(ranked.c.rank == 1).group_by(ranked.c.choice)
    ).all()
    counts = SatisfactionCounts()
    for choice, n in rows:
        counts.add(choice, int(n))
    return counts


def public_branch_satisfaction(session: Session, branch_id: int, year: int) -> SatisfactionPublic | None:
    """What the branch's board shows: the figure from MIN_PUBLIC_RATINGS people up, else None."""
    return to_public(branch_counts(session, branch_id, year))


def branch_satisfaction(session: Session, *, actor: Actor, branch_id: int, year: int | None) -> BranchSatisfaction:
    """The branch's figure for its secretary (and the committee): `evaluation.moderate` on the branch."""
    unit = org_service.visible_unit(session, actor, branch_id)
    require(actor, Permission.evaluation_moderate, unit)
    if unit.kind != UnitKind.branch:
        raise Unprocessable("请选择一个党支部", code="satisfaction_bad_unit")
    year = year or today_local().year
    counts = branch_counts(session, branch_id, year)
    public = to_public(counts)
    return BranchSatisfaction(
        branch_id=branch_id,
        year=year,
        people=counts.total,
        satisfied=counts.satisfied,
        basic=counts.basic,
        unsatisfied=counts.unsatisfied,
        satisfied_percent=public.satisfied_percent if public is not None else None,
    )
