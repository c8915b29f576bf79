"""The branch's year appraisal (app/appraisal/year_appraisal.py): the year's star score with the year's
述职评议 by the policy's weight, in the ranking's order and in the tier proposals.

By hand (default policy: year by sum on 0–400, 述职 weight 20 %, a round's representatives 30 %):
- both branches 310 分 三星 of the year;
- 花车: 年终述职 committee 100, representatives 100 → 100 (半年述职 100 too):
  310 × 80% + 100 × 4 × 20% = 328 分, over the 四星 line (320) → 先进, first in the ranking;
- 大洼: 年终述职 committee 50, representatives 20 → 50 × 70% + 20 × 30% = 41; a half-year round still
  scoring does not count: 310 × 80% + 41 × 4 × 20% = 280.8 分 → 三星 line (280) → 一般; once the half-year
  round (大洼 0, 花车 100) closes: 大洼 (41 + 0) ÷ 2 = 20.5 → 248 + 16.4 = 264.4 分;
- no 述职 at all: the star score alone.
"""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.appraisal import ranking
from app.appraisal.models_debrief import (
    DebriefKind,
    DebriefReport,
    DebriefRound,
    DebriefScore,
    DebriefSlipAnswer,
    DebriefStatus,
)
from app.org.models import OrgUnit, UnitKind
from app.ratings.models import PeriodStatus, RatingPeriod
from app.ratings.rules import AppraisalRules, PolicyRules
from tests.appraisal.test_ranking_queries import _selects
from tests.appraisal.tiers_factories import API, YEAR, h, propose, tier_of
from tests.factories import World, create_member, create_unit
from tests.ratings.results_factories import add_result, make_period

RUBRIC = [{"key": "work", "label": "工作", "max": 100}]


def debrief(
    db: Session,
    world: World,
    kind: DebriefKind,
    scores: list[tuple[OrgUnit, float | None, float | None]],
    status: DebriefStatus = DebriefStatus.closed,
    unit: OrgUnit | None = None,
) -> DebriefRound:
    """A round of the town (or `unit`) with each branch's committee and representatives' score, written in."""
    rnd = DebriefRound(
        unit_id=(unit or world.town).id or 0,
        kind=kind,
        year=YEAR,
        title=f"{YEAR}述职",
        report_due=date(YEAR, 12, 1),
        rubric=RUBRIC,
        status=status,
    )
    db.add(rnd)
    db.flush()
    for branch, committee, representatives in scores:
        report = DebriefReport(round_id=rnd.id or 0, branch_id=branch.id or 0, text="述职")
        db.add(report)
        db.flush()
        if committee is not None:
            db.add(
                DebriefScore(
                    report_id=report.id or 0,
                    scorer_account_id=world.committee_admin.account_id or 0,
                    items={"work": committee},
                    total=committee,
                )
            )
        if representatives is not None:
            db.add(
                DebriefSlipAnswer(
                    round_id=rnd.id or 0,
                    report_id=report.id or 0,
                    items={"work": representatives},
                    total=representatives,
                )
            )
    db.flush()
    return rnd


def same_stars(db: Session, world: World, rules: PolicyRules | None = None) -> RatingPeriod:
    period = make_period(db, world.town, quarter=None, year=YEAR, status=PeriodStatus.published, rules=rules)
    add_result(db, period, branch=world.branch, score=310.0, stars=3)
    add_result(db, period, branch=world.other_branch, score=310.0, stars=3)
    return period


def both_rounds(db: Session, world: World) -> DebriefRound:
    """The year-end round closed; the half-year round still scoring (returned)."""
    debrief(db, world, DebriefKind.year, [(world.branch, 50.0, 20.0), (world.other_branch, 100.0, 100.0)])
    return debrief(
        db,
        world,
        DebriefKind.half,
        [(world.branch, 0.0, None), (world.other_branch, 100.0, None)],
        DebriefStatus.scoring,
    )


def preview(client: TestClient, world: World) -> dict:
    r = client.get(
        f"{API}/rankings/preview", params={"unit_id": world.town.id, "year": YEAR}, headers=h(world.committee_admin)
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_a_high_debrief_overtakes_the_same_star_score(client: TestClient, db: Session, world: World) -> None:
    same_stars(db, world)
    half = both_rounds(db, world)
    view = preview(client, world)
    rows = {r["branch_name"]: r for r in view["rows"]}
    assert [(r["rank"], r["branch_name"]) for r in view["rows"]][:2] == [(1, "花车村党支部"), (2, "大洼社区党支部")]
    other, ours = rows["花车村党支部"], rows["大洼社区党支部"]
    assert (other["score"], other["star_score"], other["debrief_score"], other["stars_label"]) == (
        328.0,
        310.0,
        100.0,
        "三星",
    )
    assert (ours["score"], ours["star_score"], ours["debrief_score"]) == (280.8, 310.0, 41.0)
    assert "述职评议得分" in view["score_rule"]
    assert "20%" in view["score_rule"]
    # the half-year round closes: the year's 述职 is the mean of the two rounds
    half.status = DebriefStatus.closed
    db.add(half)
    db.flush()
    rows = {r["branch_name"]: r for r in preview(client, world)["rows"]}
    assert (rows["大洼社区党支部"]["debrief_score"], rows["大洼社区党支部"]["score"]) == (20.5, 264.4)
    assert (rows["花车村党支部"]["debrief_score"], rows["花车村党支部"]["score"]) == (100.0, 328.0)


def test_without_debrief_the_star_score_alone(client: TestClient, db: Session, world: World) -> None:
    same_stars(db, world)
    rows = preview(client, world)["rows"]
    assert [(r["rank"], r["score"], r["star_score"], r["debrief_score"]) for r in rows[:2]] == [
        (1, 310.0, 310.0, None),
        (1, 310.0, 310.0, None),
    ]
    assert "没有述职评议结果的支部，按星级评定年度得分计" in preview(client, world)["score_rule"]


def test_a_weight_of_zero_leaves_the_star_score(client: TestClient, db: Session, world: World) -> None:
    same_stars(db, world, rules=PolicyRules(appraisal=AppraisalRules(debrief_weight=0)))
    both_rounds(db, world)
    view = preview(client, world)
    rows = {r["branch_name"]: r for r in view["rows"]}
    assert (rows["花车村党支部"]["score"], rows["花车村党支部"]["debrief_score"]) == (310.0, 100.0)
    assert rows["大洼社区党支部"]["score"] == 310.0
    assert "权重为 0" in view["score_rule"]


def test_tier_proposals_read_the_year_appraisal(client: TestClient, db: Session, world: World) -> None:
    same_stars(db, world)
    debrief(db, world, DebriefKind.year, [(world.branch, 0.0, None), (world.other_branch, 100.0, 100.0)])
    propose(client, world)
    other = tier_of(client, world, world.other_branch.id or 0)
    ours = tier_of(client, world, world.branch.id or 0)
    # 310 × 80% + 100 × 4 × 20% = 328 ≥ 320 (四星 line) → 先进, though the star level is 三星
    assert (other["stars"], other["score"], other["debrief_score"], other["appraisal_score"]) == (
        3,
        310.0,
        100.0,
        328.0,
    )
    assert other["proposed_tier"] == "advanced"
    assert "年度考评得分 328 分" in other["explanation"]
    assert "达到四星分数线（320 分）" in other["explanation"]
    # 310 × 80% + 0 = 248 → 二星 line (240) → 后进
    assert (ours["appraisal_score"], ours["proposed_tier"]) == (248.0, "backward")
    # the 五好 marks keep the appraisal's level
    r = client.put(
        f"{API}/branch-tiers/{other['id']}/items",
        json={"items": {"team": True}},
        headers=h(world.committee_admin, other["version"]),
    )
    assert r.status_code == 200, r.text
    other = tier_of(client, world, world.other_branch.id or 0)
    assert other["proposed_tier"] == "advanced"
    assert "年度考评得分 328 分" in other["explanation"]


def test_tier_proposals_without_debrief_read_the_star_level(client: TestClient, db: Session, world: World) -> None:
    same_stars(db, world)
    propose(client, world)
    t = tier_of(client, world, world.branch.id or 0)
    assert (t["debrief_score"], t["appraisal_score"], t["proposed_tier"]) == (None, 310.0, "ordinary")
    assert t["explanation"].startswith("年度星级三星")


def test_the_ranking_with_debrief_costs_the_same_at_any_size(
    client: TestClient, db: Session, world: World, query_counter: list[str]
) -> None:
    period = same_stars(db, world)
    both_rounds(db, world)
    query_counter.clear()
    small = ranking.view(db, world.town, YEAR)
    counted_small = _selects(query_counter)
    scores: list[tuple[OrgUnit, float | None, float | None]] = []
    for i in range(10):
        branch = create_unit(db, kind=UnitKind.branch, name=f"新建村党支部{i}", parent=world.town)
        create_member(db, branch=branch, name=f"党员{i}")
        add_result(db, period, branch=branch, score=300.0 - i, stars=3)
        scores.append((branch, 80.0 + i, 70.0))
    general = create_unit(db, kind=UnitKind.general_branch, name="联合党总支", parent=world.town)
    debrief(db, world, DebriefKind.year, scores, DebriefStatus.closed, unit=general)
    query_counter.clear()
    big = ranking.view(db, world.town, YEAR)
    assert len(big.rows) == len(small.rows) + 10
    assert sum(1 for r in big.rows if r.debrief_score is not None) == 12
    assert _selects(query_counter) == counted_small <= 11  # 8 without 述职, +3: policy, two GROUP BY
