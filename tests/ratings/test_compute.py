"""compute: a worked example whose every figure is computed by hand here, re-running, and a fixed
number of statements however many members."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.time import utcnow
from app.evaluations.models import RatingStatus, Satisfaction
from app.members.models import Member
from app.pledges.models import PledgeStatus
from app.ratings.compute import compute_results
from app.ratings.models import PeerCombine, RatingPeriod, RatingResult, SubjectKind
from app.ratings.rules import BranchWeights, PolicyRules, Weights
from tests.factories import World, create_member
from tests.pledges.factories import create_pledge
from tests.ratings.results_factories import assess, make_period, rate, review

SAT, BASIC, UNSAT = Satisfaction.satisfied, Satisfaction.basic, Satisfaction.unsatisfied
RULES = PolicyRules(
    weights=Weights(peer=30, villager=30, assessment=40),
    villager_min_count=5,
    branch_weights=BranchWeights(members=40, villager=20, assessment=40),
)


def result(db: Session, period: RatingPeriod, kind: SubjectKind, subject_id: int) -> RatingResult:
    return db.execute(
        select(RatingResult).where(
            col(RatingResult.period_id) == period.id,
            col(RatingResult.subject_kind) == kind.value,
            col(RatingResult.subject_id) == subject_id,
        )
    ).scalar_one()


@pytest.fixture
def example(db: Session, world: World) -> dict[str, object]:
    """Branch 大洼: A (党员甲) and B (组长) with full data; C–G with none (G's review of A discarded)."""
    a = db.get(Member, world.member.member_id)
    b = db.get(Member, world.group_leader.member_id)
    c = db.get(Member, world.secretary.member_id)
    d = db.get(Member, world.supervisor.member_id)
    e = create_member(db, branch=world.branch, group=world.group, name="党员戊")
    f = create_member(db, branch=world.branch, name="党员己")
    g = create_member(db, branch=world.branch, name="党员庚")
    period = make_period(db, world.town, rules=RULES)

    # A: five counted reviews 100, 75, 75, 50, 100 and one discarded (0, not counted)
    review(db, period, a, [(b, 100), (c, 75), (d, 75), (e, 50), (f, 100)])
    review(db, period, a, [(g, 0)], discarded_at=utcnow())
    # B: four reviews 75, 75, 100, 50 (fewer than five: no trimming)
    review(db, period, b, [(a, 75), (c, 75), (d, 100), (e, 50)])

    # villager ratings: A has 3 counted in the quarter (+2 flagged, +1 after it); B has 6
    pa = create_pledge(db, unit=world.group, member_id=pk(a), status=PledgeStatus.published)
    rate(db, pa, [SAT] * 3)
    rate(db, pa, [UNSAT] * 2, status=RatingStatus.flagged)
    rate(db, pa, [UNSAT], day=date(2026, 10, 2))
    pb = create_pledge(db, unit=world.group, member_id=pk(b), status=PledgeStatus.published)
    rate(db, pb, [SAT] * 4 + [BASIC, UNSAT], day=date(2026, 9, 30))
    # the branch's collective pledge: 5 satisfied
    pc = create_pledge(db, unit=world.branch, status=PledgeStatus.published)
    rate(db, pc, [SAT] * 5, day=date(2026, 7, 1))

    # assessments: A 18 + 30 (承诺践诺, filled from a kept pledge) + 24 + 16 = 88; B 20 + 15 + 27 + 18 = 80
    assess(
        db,
        period,
        member=a,
        items={"political": 18, "pledges": 30, "role": 24, "reputation": 16},
        auto_items={"pledges": 30},
    )
    assess(db, period, member=b, items={"political": 20, "pledges": 15, "role": 27, "reputation": 18})
    assess(db, period, branch=world.branch, items={"team": 20, "pledges": 22, "work": 18, "reputation": 20})
    return {"period": period, "a": a, "b": b, "g": g}


def test_worked_example(db: Session, world: World, example: dict[str, object]) -> None:
    period, a, b, g = (example[k] for k in ("period", "a", "b", "g"))
    assert isinstance(period, RatingPeriod)
    done = compute_results(db, period)
    assert done.members == 9  # 7 in 大洼, 1 in 花车, 1 in the office branch
    assert done.branches == 3

    # A: peer trimmed (400 − 100 − 50) / 3 = 83.33 → 83.3; villager 3 < 5 → its 30 spread over
    # peer 30 and assessment 40: 30/70 = 42.86 %, 40/70 = 57.14 %; assessment 88 / 100 → 88.0;
    # score (83.3 × 30 + 88.0 × 40) / 70 = 6019 / 70 = 85.99 → 86.0 → four stars (80 ≤ 86.0 < 90)
    ra = result(db, period, SubjectKind.member, pk(a))
    assert (ra.peer_raw, ra.peer_count, ra.peer_weight, ra.peer_score) == (83.3, 5, 42.86, 35.7)
    assert (ra.villager_raw, ra.villager_count, ra.villager_weight, ra.villager_score) == (None, 3, 0, 0)
    assert (ra.assessment_raw, ra.assessment_count, ra.assessment_weight, ra.assessment_score) == (
        88.0,
        1,
        57.14,
        50.29,
    )
    assert (ra.score, ra.proposed_stars, ra.stars) == (86.0, 4, None)
    assert "群众测评仅 3 次，少于最少 5 次，不计入；其权重 30% 按比例分给其余各项" in ra.explanation
    assert "去掉一个最高分 100 和一个最低分 50 后平均" in ra.explanation
    assert "权重 30% → 42.9%" in ra.explanation  # 42.86 shown to one decimal
    assert "达到四星（80 分及以上）" in ra.explanation
    assert "晋星：距五星（90 分）还差 4 分" in ra.explanation

    # B: peer (75 + 75 + 100 + 50) / 4 = 75.0; villager: the one 满意度 (evaluations.formula), 4 满意 and
    # 1 基本满意 of 6 → 5 / 6 = 83.33 → 83.3; assessment 80.0;
    # score 75.0 × .3 + 83.3 × .3 + 80.0 × .4 = 22.5 + 24.99 + 32 = 79.49 → 79.5 → three stars
    rb = result(db, period, SubjectKind.member, pk(b))
    assert (rb.peer_raw, rb.peer_count, rb.peer_weight, rb.peer_score) == (75.0, 4, 30, 22.5)
    assert (rb.villager_raw, rb.villager_count, rb.villager_weight, rb.villager_score) == (83.3, 6, 30, 24.99)
    assert (rb.assessment_raw, rb.assessment_weight, rb.assessment_score) == (80.0, 40, 32.0)
    assert (rb.score, rb.proposed_stars) == (79.5, 3)
    assert "不足 5 人，不去掉最高最低分" in rb.explanation
    assert "距四星（80 分）还差 0.5 分" in rb.explanation

    # G: nothing counted (its only review was given, not received) → 0 → one star, explained
    rg = result(db, period, SubjectKind.member, pk(g))
    assert (rg.score, rg.proposed_stars, rg.peer_count) == (0, 1, 0)
    assert "没有任何一项评价可以计入" in rg.explanation

    # the branch: members' mean (86.0 + 79.5 + 5 × 0) / 7 = 23.64 → 23.6; collective pledge 5 × 100 / 5 = 100;
    # committee 80 / 100 → 80.0; score 23.6 × .4 + 100 × .2 + 80 × .4 = 9.44 + 20 + 32 = 61.44 → 61.4 → two stars
    rbr = result(db, period, SubjectKind.branch, pk(world.branch))
    assert (rbr.members_raw, rbr.members_count, rbr.members_weight) == (23.6, 7, 40)
    assert (rbr.villager_raw, rbr.villager_count, rbr.villager_weight) == (100.0, 5, 20)
    assert (rbr.assessment_raw, rbr.assessment_weight, rbr.assessment_score) == (80.0, 40, 32.0)
    assert (rbr.score, rbr.proposed_stars) == (61.4, 2)
    assert "7 名党员总分的平均" in rbr.explanation


def test_mean_instead_of_trimmed(db: Session, world: World, example: dict[str, object]) -> None:
    period, a = example["period"], example["a"]
    assert isinstance(period, RatingPeriod)
    period.policy_snapshot = RULES.model_copy(update={"peer_combine": PeerCombine.mean}).model_dump(mode="json")
    compute_results(db, period)
    # (100 + 75 + 75 + 50 + 100) / 5 = 80.0; (80.0 × 30 + 88.0 × 40) / 70 = 5920 / 70 = 84.57 → 84.6
    ra = result(db, period, SubjectKind.member, pk(a))
    assert (ra.peer_raw, ra.score) == (80.0, 84.6)


def test_rerun_is_deterministic_and_keeps_a_changed_level(
    db: Session, world: World, example: dict[str, object]
) -> None:
    period, b = example["period"], example["b"]
    assert isinstance(period, RatingPeriod)
    compute_results(db, period)
    rows = db.execute(select(RatingResult).where(col(RatingResult.period_id) == period.id)).scalars().all()
    first = {(r.subject_kind, r.subject_id): (r.id, r.score, r.proposed_stars, r.explanation) for r in rows}
    rb = result(db, period, SubjectKind.member, pk(b))
    rb.stars = 4  # as a change before approval leaves it
    db.flush()
    compute_results(db, period)
    db.expire_all()
    rows = db.execute(select(RatingResult).where(col(RatingResult.period_id) == period.id)).scalars().all()
    again = {(r.subject_kind, r.subject_id): (r.id, r.score, r.proposed_stars, r.explanation) for r in rows}
    assert again == first
    rb = result(db, period, SubjectKind.member, pk(b))
    assert (rb.stars, rb.proposed_stars, rb.version) == (4, 3, 2)


def test_statements_do_not_grow_with_members(
    db: Session, world: World, example: dict[str, object], query_counter: list[str]
) -> None:
    period = example["period"]
    assert isinstance(period, RatingPeriod)
    compute_results(db, period)
    query_counter.clear()
    compute_results(db, period)
    few = len(query_counter)
    for i in range(12):
        m = create_member(db, branch=world.other_branch, name=f"新党员{i}")
        review(db, period, m, [(db.get(Member, world.outsider.member_id), 75)])
    query_counter.clear()
    done = compute_results(db, period)
    assert done.members == 21
    assert len(query_counter) == few <= 20  # one statement per aggregate, two upserts (PostgreSQL: via COPY), a delete
