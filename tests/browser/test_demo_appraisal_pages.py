"""The demo town's appraisal as people see it on a phone (390 px): the villager's 比学赶超 ranking at
/r/{token} (last year's, published by the demo; HEAD answered like GET), the committee's tiers of last
year with the 后进 branch's 整顿 plan, the half-year's 述职评议 round, the panels and self-evaluations,
and the demo branch's panel with last month's slips counted. Screenshots in var/screenshots/demo-*.png."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest

from app.core.time import today_local
from tests.browser.helpers import Api, sign_in
from tests.browser.test_appraisal_walk import phone
from tests.browser.test_tiers_walk import back_years
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def shot(page: Any, folder: Path, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / f"demo-{name}.png"), full_page=True)


def _head(url: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method="HEAD", headers={"Accept-Encoding": "br"})  # noqa: S310 (the live server)
    with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "br"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()


def test_the_demo_appraisal_on_phones(browser: Any, server: LiveServer, screenshots: Path, pwa_built: None) -> None:
    committee = Api(server, "committee_admin")
    rankings = [p for p in committee.get("/rankings?size=100")["items"] if p["status"] == "published"]
    # the demo's: last year's (app/appraisal/demo.py); walks on this server publish other years
    year = today_local().year - 1
    url = next(p["url"] for p in rankings if p["year"] == year)

    # ---- a villager: the ranking, in order, figures only; HEAD like GET without the body
    with phone(browser) as page:
        page.goto(url)
        page.get_by_role("heading", level=1).wait_for()
        text = page.inner_text("main")
        assert "第 1 名" in text
        assert "分类：后进" in text
        assert "一般（已摘帽）" in text
        for acc in server.accounts:
            assert acc["phone"] not in text
            assert acc["name"] not in text
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 16
        shot(page, screenshots, "ranking")
        page.goto(url + "?big=1")
        page.get_by_role("heading", level=1).wait_for()
        shot(page, screenshots, "ranking-big")
    got_status, got, body = _get(url)
    head_status, head, empty = _head(url)
    assert (got_status, head_status, empty) == (200, 200, b"")
    same = ("etag", "content-type", "content-encoding", "content-length", "cache-control", "vary")
    assert {k: head.get(k) for k in same} == {k: got.get(k) for k in same}
    assert int(head["content-length"]) == len(body)

    # ---- the committee: last year's tiers, the 后进 branch's 整顿 plan, the 述职评议 round, the panels
    other = Api(server, "other_secretary")
    other_branch = next(g["unit_id"] for g in other.get("/auth/me")["grants"] if g["role"] == "secretary")
    with phone(browser) as page:
        sign_in(page, server, "committee_admin")
        page.goto(server.base_url + "/appraisal/tiers")
        this_year = int(page.evaluate("new Date().getFullYear()"))
        shown = this_year - 1 if int(page.evaluate("new Date().getMonth()")) < 3 else this_year
        back_years(page, shown - year)
        page.get_by_test_id(f"tier-{other_branch}").wait_for()
        assert "整顿中" in page.get_by_test_id(f"tier-{other_branch}").inner_text()
        shot(page, screenshots, "tiers")
        page.get_by_test_id(f"plan-{other_branch}").click()
        page.wait_for_url("**/appraisal/tiers/*")
        page.get_by_text("建立党员联系户制度", exact=False).first.wait_for()
        shot(page, screenshots, "tier-plan")

        rounds = committee.get("/debrief-rounds?size=100")["items"]
        closed = next(r for r in rounds if r["status"] == "closed")
        page.goto(f"{server.base_url}/appraisal/debrief/{closed['id']}")
        page.get_by_test_id("round-status").filter(has_text="已结束").wait_for()
        page.get_by_test_id("report-counts").wait_for()
        shot(page, screenshots, "debrief-round")

        page.goto(server.base_url + "/appraisal/committee")
        page.get_by_role("tab", name="季度自评").click()
        page.get_by_test_id("self-list").wait_for()
        listed = page.get_by_test_id("self-list").inner_text()
        assert "已提交" in listed
        assert "填写中" in listed
        shot(page, screenshots, "committee-self")

    # ---- the demo branch's secretary: the panel and last month's slips, counted
    secretary = Api(server, "secretary")
    branch_id = next(g["unit_id"] for g in secretary.get("/auth/me")["grants"] if g["role"] == "secretary")
    counts = secretary.get(f"/appraisal/branches/{branch_id}/slip-counts")
    assert any(m["issued"] >= 9 and m["used"] >= 7 for m in counts)
    with phone(browser) as page:
        sign_in(page, server, "secretary")
        page.goto(f"{server.base_url}/appraisal/panel/{branch_id}")
        page.get_by_test_id("slip-counts").wait_for()
        shot(page, screenshots, "panel")
