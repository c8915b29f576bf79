"""A year's branch tiers, the 整顿 of a 后进 branch, 十佳支书 and the public 比学赶超 ranking, walked
through the PWA on a phone: the committee proposes the tiers from the year's levels, approves the
secretary's branch as 后进 and starts its 整顿 with two steps; the secretary marks a step done; the
committee drops the other with a reason and takes off the 帽子; nominates the secretary as 十佳支书
and selects them; publishes the ranking, which a villager opens without signing in. Each screen is
photographed as its user sees it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, sign_in
from tests.browser.test_ratings_walk import confirm_dialog, phone
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def shot(page: Any, folder: Path, name: str, *, full: bool = True) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    # the success toast gone, so the screen is photographed as it stays
    page.wait_for_function(
        "() => [...document.querySelectorAll('.van-toast')].every((t) => getComputedStyle(t).display === 'none')",
        timeout=6000,
    )
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / f"tiers-{name}.png"), full_page=full)


def card_shot(card: Any, folder: Path, name: str) -> None:
    """One branch's card of a long list (a town has dozens)."""
    card.scroll_into_view_if_needed()
    card.page.wait_for_timeout(300)
    card.screenshot(path=str(folder / f"tiers-{name}.png"))


def year_levels(server: LiveServer, town_id: int, year: int, backward_branch: int) -> list[int]:
    """The town's year period of `year`, published, with every branch's level (the secretary's one
    star: 后进), written straight into the live server's database as a finished year leaves it."""
    from datetime import date

    from sqlalchemy import create_engine, text
    from sqlmodel import Session

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
        session.add(period)
        session.flush()
        for i, bid in enumerate(branches):
            stars = 1 if bid == backward_branch else (5, 4, 3, 4, 2, 3)[i % 6]
            score = {1: 212.0, 2: 251.5, 3: 296.0, 4: 338.5, 5: 371.0}[stars] - i * 0.5
            session.add(
                RatingResult(
                    period_id=period.id or 0,
                    subject_kind=SubjectKind.branch,
                    subject_id=bid,
                    branch_id=bid,
                    unit_id=bid,
                    score=score,
                    proposed_stars=stars,
                    stars=stars,
                    decided_at=now,
                    published_at=now,
                )
            )
        session.commit()
    engine.dispose()
    return branches


def back_years(page: Any, n: int) -> None:
    for _ in range(n):
        page.get_by_role("button", name="上一年").click()


def test_tiers_honours_and_ranking(server: LiveServer, page: Any, browser: Any, screenshots: Path) -> None:
    committee = Api(server, "committee_admin")
    town_id = next(g["unit_id"] for g in committee.get("/auth/me")["grants"] if g["role"] == "committee_admin")
    secretary = Api(server, "secretary")
    branch_id = next(g["unit_id"] for g in secretary.get("/auth/me")["grants"] if g["role"] == "secretary")
    page.goto(server.base_url + "/login")
    this_year = int(page.evaluate("new Date().getFullYear()"))
    shown_year = this_year - 1 if int(page.evaluate("new Date().getMonth()")) < 3 else this_year
    year = this_year - 3
    back = shown_year - year
    year_levels(server, town_id, year, branch_id)

    # the committee proposes the year's tiers from the ratings hub
    sign_in(page, server, "committee_admin")
    page.goto(server.base_url + "/ratings")
    page.get_by_test_id("tiers-link").click()
    page.wait_for_url("**/appraisal/tiers")
    back_years(page, back)
    page.get_by_test_id("tiers-propose").click()
    card = page.get_by_test_id(f"tier-{branch_id}")
    card.get_by_text("建议为后进").first.wait_for()
    shot(page, screenshots, "committee-proposals", full=False)
    card.locator("summary").click()  # 五好评定
    card_shot(card, screenshots, "committee-proposal-card")

    # 审定 as proposed (后进), then 开始整顿
    card.get_by_test_id(f"approve-{branch_id}").click()
    confirm_dialog(page, "审定")
    card.get_by_test_id(f"rectify-{branch_id}").wait_for()
    card.get_by_test_id(f"rectify-{branch_id}").click()
    confirm_dialog(page, "开始整顿")
    card.get_by_text("整顿中").wait_for()
    card.get_by_test_id(f"plan-{branch_id}").click()
    page.wait_for_url("**/appraisal/tiers/*")
    tier_id = int(page.url.rsplit("/", 1)[1])
    for title, due in (("调整充实支部班子", f"{this_year}-03-31"), ("建立党员联系户制度", f"{this_year}-06-30")):
        page.get_by_test_id("step-title").fill(title)
        page.get_by_test_id("step-due").fill(due)
        page.get_by_test_id("step-add").click()
        page.locator("section.step").filter(has_text=title).wait_for()
    shot(page, screenshots, "committee-plan")

    # the secretary marks the first step done, with what was done
    with phone(browser) as sec:
        sign_in(sec, server, "secretary")
        sec.goto(server.base_url + "/ratings")
        sec.get_by_test_id("tiers-link").click()
        back_years(sec, back)
        sec.get_by_test_id(f"plan-{branch_id}").click()
        sec.wait_for_url(f"**/appraisal/tiers/{tier_id}")
        first = sec.locator("section.step").filter(has_text="调整充实支部班子")
        first.get_by_role("button", name="完成").click()
        sec.get_by_test_id("reason-input").locator("textarea").fill("新选配支部委员 2 名，班子配齐")
        confirm_dialog(sec, "完成")
        first.get_by_text("已完成").wait_for()
        assert sec.get_by_role("button", name="取消此步").count() == 0  # only the committee drops a step
        shot(sec, screenshots, "secretary-step-done")

    # the committee drops the second step with a reason and takes off the 帽子
    page.reload()
    second = page.locator("section.step").filter(has_text="建立党员联系户制度")
    second.get_by_role("button", name="取消此步").click()
    page.get_by_test_id("reason-input").locator("textarea").fill("并入下一年党建工作计划")
    confirm_dialog(page, "取消此步")
    second.get_by_text("已取消").wait_for()
    page.goto(server.base_url + "/appraisal/tiers")
    back_years(page, back)
    card = page.get_by_test_id(f"tier-{branch_id}")
    card.get_by_test_id(f"lift-{branch_id}").click()
    page.get_by_test_id("reason-input").locator("textarea").fill("整顿到位，群众认可")
    confirm_dialog(page, "摘帽子")
    card.get_by_text("一般（已摘帽）").wait_for()
    shot(page, screenshots, "committee-lifted", full=False)
    card_shot(card, screenshots, "committee-lifted-card")

    # 十佳支书: nominated from the tier list, selected with a reason in 十佳评选
    card.get_by_test_id(f"nominate-{branch_id}").click()
    page.get_by_test_id("reason-input").locator("textarea").fill("带领群众修通村道，整顿后群众满意")
    confirm_dialog(page, "推荐")
    page.get_by_text("已推荐").first.wait_for()
    page.goto(server.base_url + "/ratings/honours")
    back_years(page, back + (this_year - shown_year))
    page.get_by_role("tab", name="十佳支书").click()
    page.get_by_test_id("select-honour").first.click()
    page.get_by_test_id("reason-input").locator("textarea").fill("群众公认，整顿成效明显")
    confirm_dialog(page, "入选")
    page.get_by_text("已入选").first.wait_for()
    shot(page, screenshots, "committee-ten-best-secretaries")

    # the ranking, published by the committee's decision, with its link and QR code
    page.goto(server.base_url + "/ratings")
    page.get_by_test_id("ranking-link").click()
    back_years(page, back)
    page.get_by_test_id(f"rank-{branch_id}").wait_for()
    page.get_by_test_id("ranking-publish").click()
    confirm_dialog(page, "公布")
    url = page.get_by_test_id("ranking-url").inner_text(timeout=15_000).strip()
    assert "/r/" in url
    page.locator(".qr img").evaluate("img => img.complete && img.naturalWidth > 0 || new Promise(r => img.onload = r)")
    shot(page, screenshots, "committee-ranking", full=False)

    # a villager opens it: branches in order, figures only, no one's name or phone
    with phone(browser) as villager:
        villager.goto(url)
        villager.get_by_role("heading", level=1).wait_for()
        text = villager.inner_text("main")
        assert "第 1 名" in text
        assert "一般（已摘帽）" in text
        for acc in server.accounts:
            assert acc["phone"] not in text
        shot(villager, screenshots, "villager-ranking", full=False)
