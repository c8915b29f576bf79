"""承诺覆盖 at 390 px on the demo town: the committee sees the rates per branch and drills into a
branch (per group), the secretary reminds the members who have not pledged (the reminder lands in a
member's notifications once), the group leader sees their group. axe-core finds nothing serious.
Screenshots in var/screenshots/coverage-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, sign_in
from tests.browser.test_stats_dashboard import _serious, axe_page  # noqa: F401  (the fixture)
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def _shot(page: Any, shots: Path, name: str) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / f"coverage-{name}.png"), full_page=True)


def test_committee_sees_branches_and_drills_in(server: LiveServer, axe_page: Any, screenshots: Path) -> None:  # noqa: F811
    page = axe_page
    sign_in(page, server, "committee_admin")
    page.get_by_test_id("coverage-link").click()
    page.wait_for_url("**/coverage")
    page.get_by_test_id("coverage-summary").wait_for()
    assert "党委" in page.get_by_test_id("coverage-summary").inner_text()
    rows = page.locator("[data-testid^=coverage-row-]")
    rows.first.wait_for()
    assert rows.count() >= 10
    _shot(page, screenshots, "1-town")
    assert _serious(page) == []
    name = rows.first.locator(".name").inner_text()
    rows.first.locator("button").click()
    page.wait_for_function(
        "n => document.querySelector('[data-testid=coverage-summary] h2').innerText.startsWith(n)", arg=name
    )
    page.get_by_test_id("coverage-filter-pledge").wait_for()
    _shot(page, screenshots, "2-branch")
    assert _serious(page) == []


def test_secretary_reminds_who_has_not_pledged(server: LiveServer, axe_page: Any, screenshots: Path) -> None:  # noqa: F811
    page = axe_page
    sign_in(page, server, "secretary")
    page.goto(server.base_url + "/me")
    page.get_by_test_id("me-coverage").click()
    page.wait_for_url("**/coverage")
    page.get_by_test_id("coverage-summary").wait_for()
    # the branch's villager satisfaction, as its board states it
    sat = page.get_by_test_id("branch-satisfaction")
    sat.wait_for()
    assert "人评价" in sat.inner_text()
    assert "满意度 =" in sat.inner_text()
    page.get_by_test_id("coverage-filter-published").click()
    page.locator("[data-testid^=coverage-member-]").first.wait_for()
    page.get_by_test_id("coverage-filter-pledge").click()
    remind = page.get_by_test_id("coverage-remind")
    if remind.count() == 0:  # everyone of the branch pledged: remind who has nothing published
        page.get_by_test_id("coverage-filter-published").click()
    page.get_by_test_id("coverage-remind").click()
    note = page.get_by_test_id("coverage-sent")
    note.wait_for()
    assert "已提醒" in note.inner_text()
    _shot(page, screenshots, "3-reminded")
    assert _serious(page) == []
    # again: nobody twice today
    page.get_by_test_id("coverage-remind").click()
    page.wait_for_timeout(1500)
    assert "已提醒 0 人" in note.inner_text()
    # the screen's figures are the API's
    me = Api(server, "secretary").get("/auth/me")
    branch = next(g["unit_id"] for g in me["grants"] if g["role"] == "secretary")
    figures = Api(server, "secretary").get(f"/units/{branch}/pledge-coverage")
    assert f"{figures['members']}" in page.get_by_test_id("coverage-summary").inner_text()


def test_group_leader_sees_their_group(server: LiveServer, axe_page: Any, screenshots: Path) -> None:  # noqa: F811
    page = axe_page
    sign_in(page, server, "group_leader")
    page.goto(server.base_url + "/me")
    page.get_by_test_id("me-coverage").click()
    page.wait_for_url("**/coverage")
    summary = page.get_by_test_id("coverage-summary")
    summary.wait_for()
    assert "党小组" in summary.inner_text()
    page.get_by_test_id("coverage-filter-pledge").wait_for()
    _shot(page, screenshots, "4-group")
    assert _serious(page) == []
