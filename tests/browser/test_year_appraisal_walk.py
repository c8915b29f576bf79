"""The year appraisal on a phone (390 px): a year whose branches all have the same star score, one
secretary's 年终述职 scored 100 and another's 0 (a closed round written into the live server's database
as a finished round leaves it); the committee's ranking puts the first branch first and shows each
branch's star score and 述职 score, and the tier proposals show the 述职 score beside the star level and
propose from the year appraisal score. Each screen is photographed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, sign_in
from tests.browser.test_tiers_walk import back_years, shot
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def same_stars_and_debrief(server: LiveServer, town_id: int, year: int) -> tuple[int, int]:
    """Every branch 310 分 三星; the first branch's 年终述职 100, the second's 0; returns the two."""
    from sqlalchemy import create_engine, text
    from sqlmodel import Session

    from app.appraisal.models_debrief import DebriefKind, DebriefReport, DebriefRound, DebriefScore, DebriefStatus
    from app.core.time import utcnow
    from app.ratings.models import PeriodKind, PeriodStatus, RatingPeriod, RatingResult, SubjectKind
    from app.ratings.rules import PolicyRules

    engine = create_engine(server.env["LIANGNUO_DATABASE_URL"])
    now = utcnow()
    with Session(engine) as session:
        path = session.execute(text("SELECT path FROM org_unit WHERE id = :id"), {"id": town_id}).scalar_one()
        branches = [
            int(b)
            for b in session.execute(
                text(
                    "SELECT id FROM org_unit WHERE kind = 'branch' AND archived_at IS NULL AND path LIKE :p ORDER BY id"
                ),
                {"p": f"{path}%"},
            ).scalars()
        ]
        scorer = session.execute(text("SELECT id FROM account ORDER BY id LIMIT 1")).scalar_one()
        period = RatingPeriod(
            unit_id=town_id,
            kind=PeriodKind.year,
            year=year,
            title=f"{year}年度",
            starts_on=date(year, 1, 1),
            ends_on=date(year, 12, 31),
            status=PeriodStatus.published,
            policy_unit_id=town_id,
            policy_snapshot=PolicyRules().model_dump(mode="json"),
            published_at=now,
        )
        rnd = DebriefRound(
            unit_id=town_id,
            kind=DebriefKind.year,
            year=year,
            title=f"{year}年度党支部书记述职评议",
            report_due=date(year, 12, 20),
            rubric=[{"key": "work", "label": "履职情况", "max": 100}],
            status=DebriefStatus.closed,
        )
        session.add_all([period, rnd])
        session.flush()
        for bid in branches:
            session.add(
                RatingResult(
                    period_id=period.id or 0,
                    subject_kind=SubjectKind.branch,
                    subject_id=bid,
                    branch_id=bid,
                    unit_id=bid,
                    score=310.0,
                    proposed_stars=3,
                    stars=3,
                    decided_at=now,
                    published_at=now,
                )
            )
        for bid, total in ((branches[-1], 100.0), (branches[0], 0.0)):
            report = DebriefReport(round_id=rnd.id or 0, branch_id=bid, text="述职", submitted_at=now)
            session.add(report)
            session.flush()
            session.add(
                DebriefScore(report_id=report.id or 0, scorer_account_id=scorer, items={"work": total}, total=total)
            )
        session.commit()
    engine.dispose()
    return branches[-1], branches[0]


def test_debrief_joins_the_ranking_and_the_tiers(server: LiveServer, page: Any, screenshots: Path) -> None:
    committee = Api(server, "committee_admin")
    town_id = next(g["unit_id"] for g in committee.get("/auth/me")["grants"] if g["role"] == "committee_admin")
    page.goto(server.base_url + "/login")
    this_year = int(page.evaluate("new Date().getFullYear()"))
    shown_year = this_year - 1 if int(page.evaluate("new Date().getMonth()")) < 3 else this_year
    year = this_year - 5
    high, low = same_stars_and_debrief(server, town_id, year)

    sign_in(page, server, "committee_admin")
    page.goto(server.base_url + "/appraisal/ranking")
    back_years(page, shown_year - year)
    # 310 × 80% + 100 × 4 × 20% = 328, first of branches all 三星 310; 310 × 80% + 0 = 248, last
    first = page.get_by_test_id(f"rank-{high}")
    first.get_by_text("年度考评 328 分").wait_for()  # the year's rows, not the shown year's still on screen
    assert "第 1 名" in first.inner_text()
    assert "年度考评 328 分" in first.inner_text()
    parts = page.get_by_test_id(f"rank-parts-{high}").inner_text()
    assert "星级评定 310 分" in parts
    assert "述职评议 100 分" in parts
    assert "年度考评 248 分" in page.get_by_test_id(f"rank-{low}").inner_text()
    assert "× 20%" in page.get_by_test_id("ranking-score-rule").inner_text()
    shot(page, screenshots, "appraisal-ranking", full=False)
    first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    first.screenshot(path=str(screenshots / "tiers-appraisal-ranking-row.png"))

    page.goto(server.base_url + "/appraisal/tiers")
    back_years(page, shown_year - year)
    page.get_by_test_id("tiers-propose").click()
    card = page.get_by_test_id(f"tier-{high}")
    card.wait_for()
    page.get_by_test_id(f"tier-debrief-{high}").get_by_text("年度考评").wait_for()
    assert "述职评议 100 分" in page.get_by_test_id(f"tier-debrief-{high}").inner_text()
    # 328 reaches the 四星 line (320): 先进 though the star level is 三星; 248 reaches only 二星 (240): 后进
    assert "建议为先进" in card.inner_text()
    assert "建议为后进" in page.get_by_test_id(f"tier-{low}").inner_text()
    shot(page, screenshots, "appraisal-proposals", full=False)  # waits for the toast to go
    card.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    card.screenshot(path=str(screenshots / "tiers-appraisal-proposal-card.png"))


def test_the_policy_sets_the_debrief_weight(server: LiveServer, page: Any, screenshots: Path) -> None:
    sign_in(page, server, "committee_admin")
    page.goto(server.base_url + "/ratings/policy")
    weight = page.get_by_test_id("debrief-weight")
    weight.wait_for()
    assert weight.locator("input").input_value() == "20"
    section = page.get_by_text("党支部年度考评得分 = 年度星级得分 × 80%")
    assert "默认 20%" in section.inner_text()
    weight.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots / "tiers-appraisal-policy.png"))
