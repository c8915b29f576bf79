"""Factories for the results tests (compute, approval, years, honours, export): periods in any
state, peer reviews, villager ratings and assessments written straight into the tables."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from typing import Any

from sqlmodel import Session

from app.core.db import pk
from app.core.time import CHINA_TZ, as_utc
from app.evaluations.models import PublicRating, RatingStatus, Satisfaction
from app.org.models import OrgUnit
from app.pledges.models import Pledge
from app.ratings.models import (
    Assessment,
    PeerReview,
    PeriodKind,
    PeriodStatus,
    RatingPeriod,
    SubjectKind,
)
from app.ratings.rules import PolicyRules

_devices = itertools.count(1)

QUARTER_DAYS = {1: ((1, 1), (3, 31)), 2: ((4, 1), (6, 30)), 3: ((7, 1), (9, 30)), 4: ((10, 1), (12, 31))}


def make_period(
    db: Session,
    unit: OrgUnit,
    *,
    year: int = 2026,
    quarter: int | None = 3,
    status: PeriodStatus = PeriodStatus.assessing,
    rules: PolicyRules | None = None,
) -> RatingPeriod:
    if quarter is None:
        starts, ends = date(year, 1, 1), date(year, 12, 31)
        title = f"{year}年度"
    else:
        (m1, d1), (m2, d2) = QUARTER_DAYS[quarter]
        starts, ends = date(year, m1, d1), date(year, m2, d2)
        title = f"{year}年第{'一二三四'[quarter - 1]}季度"
    period = RatingPeriod(
        unit_id=pk(unit),
        kind=PeriodKind.quarter if quarter else PeriodKind.year,
        year=year,
        quarter=quarter,
        title=title,
        starts_on=starts,
        ends_on=ends,
        status=status,
        policy_unit_id=pk(unit),
        policy_snapshot=(rules or PolicyRules()).model_dump(mode="json"),
    )
    db.add(period)
    db.flush()
    if status != PeriodStatus.draft:  # as opening does: one progress row per branch
        from app.ratings import scope
        from app.ratings.models import RatingBranchStatus

        for branch in scope.branches(db, unit):
            db.add(RatingBranchStatus(period_id=pk(period), branch_id=pk(branch)))
        db.flush()
    return period


def review(db: Session, period: RatingPeriod, reviewee: Any, scores: list[tuple[Any, int]], **extra: Any) -> None:
    """`reviewee` scored by each (reviewer, 0–100 score); members are Member rows."""
    for reviewer, score in scores:
        db.add(
            PeerReview(
                period_id=pk(period),
                branch_id=reviewee.branch_id,
                reviewer_member_id=pk(reviewer),
                reviewee_member_id=pk(reviewee),
                score=score,
                **extra,
            )
        )
    db.flush()


def at_day(day: date, hour: int = 10) -> datetime:
    return as_utc(datetime.combine(day, time(hour), tzinfo=CHINA_TZ))


def rate(
    db: Session,
    pledge: Pledge,
    choices: list[Satisfaction],
    *,
    day: date = date(2026, 8, 15),
    status: RatingStatus = RatingStatus.counted,
) -> None:
    when = at_day(day)
    for choice in choices:
        db.add(
            PublicRating(
                pledge_id=pk(pledge),
                branch_id=pledge.branch_id,
                unit_id=pledge.unit_id,
                member_id=pledge.member_id,
                period=f"{when.year}Q{(when.month - 1) // 3 + 1}",
                choice=choice,
                status=status,
                device_hash=f"d{next(_devices)}",
                ip_hash="ip",
                created_at=when,
                updated_at=when,
            )
        )
    db.flush()


def assess(
    db: Session,
    period: RatingPeriod,
    *,
    member: Any = None,
    branch: OrgUnit | None = None,
    items: dict[str, float],
    auto_items: dict[str, float] | None = None,
) -> Assessment:
    rules = PolicyRules.model_validate(period.policy_snapshot or {})
    is_branch = branch is not None
    rubric = rules.branch_rubric if is_branch else rules.rubric
    row = Assessment(
        period_id=pk(period),
        subject_kind=SubjectKind.branch if is_branch else SubjectKind.member,
        subject_id=pk(branch) if branch is not None else pk(member),
        branch_id=pk(branch) if branch is not None else member.branch_id,
        items=items,
        auto_items=auto_items or {},
        points=sum(items.values()),
        max_points=rules.rubric_max(branch=is_branch),
        complete=all(i.key in items for i in rubric),
    )
    db.add(row)
    db.flush()
    return row


def add_result(
    db: Session,
    period: RatingPeriod,
    *,
    member: Any = None,
    branch: OrgUnit | None = None,
    score: float,
    stars: int,
    published: bool = True,
) -> Any:
    """A decided (and by default published) result written straight in, as a past period left it."""
    from app.core.time import utcnow
    from app.ratings.models import RatingResult

    now = utcnow()
    is_branch = branch is not None
    row = RatingResult(
        period_id=pk(period),
        subject_kind=SubjectKind.branch if is_branch else SubjectKind.member,
        subject_id=pk(branch) if branch is not None else pk(member),
        branch_id=pk(branch) if branch is not None else member.branch_id,
        unit_id=pk(branch) if branch is not None else (member.group_id or member.branch_id),
        score=score,
        proposed_stars=stars,
        stars=stars,
        decided_at=now,
        published_at=now if published else None,
    )
    db.add(row)
    db.flush()
    return row
