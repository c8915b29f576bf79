"""A year from its quarters: by sum (with the year thresholds) and by mean, a missing quarter
explained and scaled, a year-end assessment; every figure computed by hand here."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.permissions import SYSTEM
from app.members.models import Member
from app.ratings import approval
from app.ratings.models import PeriodStatus, RatingResult, SubjectKind, YearCombine
from app.ratings.rules import PolicyRules, Thresholds
from tests.factories import World
from tests.ratings.results_factories import add_result, assess, make_period

A_SCORES = {1: 86.0, 2: 78.5, 3: 91.0, 4: 82.5}  # Σ 338.0, mean 84.5
B_SCORES = {1: 86.0, 2: 78.5, 3: 91.0}  # no fourth quarter: Σ 255.5


def year_of(db: Session, world: World, rules: PolicyRules) -> tuple[object, Member, Member]:
    a = db.get(Member, world.member.member_id)
    b = db.get(Member, world.group_leader.member_id)
    assert a is not None
    assert b is not None
    for q in (1, 2, 3, 4):
        quarter = make_period(db, world.town, quarter=q, status=PeriodStatus.published, rules=rules)
        add_result(db, quarter, member=a, score=A_SCORES[q], stars=4)
        if q in B_SCORES:
            add_result(db, quarter, member=b, score=B_SCORES[q], stars=4)
    # a quarter of another year and an unpublished one do not count
    other = make_period(db, world.town, year=2025, quarter=4, status=PeriodStatus.published, rules=rules)
    add_result(db, other, member=b, score=99.0, stars=5)
    year = make_period(db, world.town, quarter=None, status=PeriodStatus.assessing, rules=rules)
    return year, a, b


def row(db: Session, period: object, member: Member) -> RatingResult:
    return db.execute(
        select(RatingResult).where(
            col(RatingResult.period_id) == pk(period),
            col(RatingResult.subject_kind) == SubjectKind.member.value,
            col(RatingResult.subject_id) == pk(member),
        )
    ).scalar_one()


def test_year_by_sum(db: Session, world: World) -> None:
    rules = PolicyRules(
        year_combine=YearCombine.sum, year_thresholds=Thresholds(star5=360, star4=330, star3=280, star2=240)
    )
    year, a, b = year_of(db, world, rules)
    unit = world.town
    done = approval.compute(db, actor=SYSTEM, period=year, unit=unit, expected_version=year.version)  # type: ignore[arg-type]
    assert done.members >= 2
    assert year.status == PeriodStatus.computed  # type: ignore[attr-defined]
    # A: 86 + 78.5 + 91 + 82.5 = 338 → four stars (330 ≤ 338 < 360)
    ra = row(db, year, a)
    assert (ra.score, ra.proposed_stars) == (338.0, 4)
    assert ra.details == {
        "quarters": {"1": 86.0, "2": 78.5, "3": 91.0, "4": 82.5},
        "combine": "sum",
        "year_assessment": None,
    }
    assert "合计 338 分" in ra.explanation
    assert "距五星（360 分）还差 22 分" in ra.explanation
    # B: no fourth quarter — explained and scaled: 255.5 ÷ 3 × 4 = 340.67 → 340.7 → four stars
    rb = row(db, year, b)
    assert (rb.score, rb.proposed_stars) == (340.7, 4)
    assert "缺四季度（当季无结果），按已有 3 个季度折算全年：255.5 ÷ 3 × 4 = 340.7 分" in rb.explanation
    assert rb.details is not None
    assert rb.details["quarters"]["4"] is None


def test_year_by_mean(db: Session, world: World) -> None:
    year, a, b = year_of(db, world, PolicyRules(year_combine=YearCombine.mean))
    approval.compute(db, actor=SYSTEM, period=year, unit=world.town, expected_version=year.version)  # type: ignore[arg-type]
    # A: 338 / 4 = 84.5 → four stars on the quarter thresholds (80 ≤ 84.5 < 90)
    assert (row(db, year, a).score, row(db, year, a).proposed_stars) == (84.5, 4)
    # B: 255.5 / 3 = 85.17 → 85.2, the missing quarter said
    rb = row(db, year, b)
    assert rb.score == 85.2
    assert "缺四季度，当季无结果，按已有 3 个季度平均" in rb.explanation


def test_year_end_assessment(db: Session, world: World) -> None:
    rules = PolicyRules(year_combine=YearCombine.sum, year_assessment_weight=20)
    year, a, b = year_of(db, world, rules)
    assess(db, year, member=a, items={"political": 18, "pledges": 27, "role": 27, "reputation": 18})  # type: ignore[arg-type]
    approval.compute(db, actor=SYSTEM, period=year, unit=world.town, expected_version=year.version)  # type: ignore[arg-type]
    # A: 338 × 80 % + (90 × 4) × 20 % = 270.4 + 72 = 342.4 → four stars on 360/320/280/240
    ra = row(db, year, a)
    assert (ra.score, ra.proposed_stars) == (342.4, 4)
    assert "年终考评 90 分" in ra.explanation
    # B has no year-end assessment: said, and its weight stays with the quarters (340.7)
    rb = row(db, year, b)
    assert rb.score == 340.7
    assert "年终考评尚未评分" in rb.explanation


@pytest.mark.parametrize("combine", [YearCombine.sum, YearCombine.mean])
def test_rerun_while_computed(db: Session, world: World, combine: YearCombine) -> None:
    year, a, _b = year_of(db, world, PolicyRules(year_combine=combine))
    approval.compute(db, actor=SYSTEM, period=year, unit=world.town, expected_version=year.version)  # type: ignore[arg-type]
    first = row(db, year, a).score
    approval.compute(db, actor=SYSTEM, period=year, unit=world.town, expected_version=year.version)  # type: ignore[arg-type]
    assert row(db, year, a).score == first
