"""变更记录 at 390 px on the demo town: the secretary edits a member (with a reason) and opens the
member's history from 党员信息, and a board's from 公示牌与二维码; the committee opens a unit's from
组织架构 and its rating policy's from 评定规则. Each entry says who, when, which field from what to
what, and why; axe-core finds nothing serious. Screenshots in var/screenshots/history-*.png."""

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
    page.screenshot(path=str(shots / f"history-{name}.png"), full_page=True)


def test_secretary_reads_a_members_and_a_boards_history(server: LiveServer, axe_page: Any, screenshots: Path) -> None:  # noqa: F811
    secretary = Api(server, "secretary")
    me = secretary.get("/auth/me")
    member = next(m for m in secretary.get("/members?size=20")["items"] if m["id"] != me.get("member_id"))
    status, _, _ = secretary.call(
        "PATCH",
        f"/members/{member['id']}",
        {"post": "环境卫生监督岗", "public_title": "党员中心户", "reason": "村民代表会议调整岗位"},
    )
    assert status == 200
    page = axe_page
    sign_in(page, server, "secretary")
    page.goto(f"{server.base_url}/members/{member['id']}")
    page.get_by_test_id("m-history").click()
    page.wait_for_url(f"**/history/members/{member['id']}**")
    entry = page.get_by_test_id("history-entry").first
    entry.wait_for()
    text = entry.inner_text()
    assert "修改" in text
    assert "环境卫生监督岗" in text
    assert "党员中心户" in text
    assert "村民代表会议调整岗位" in text
    assert member["name"] in page.locator(".van-nav-bar__title").inner_text()
    _shot(page, screenshots, "1-member")
    assert _serious(page) == []
    # a board's: its title changed over the API, read from the boards screen
    board = secretary.get("/boards?size=1")["items"][0]
    status, _, _ = secretary.call("PATCH", f"/boards/{board['id']}", {"title": board["title"] + "（新）"})
    assert status == 200
    page.goto(f"{server.base_url}/boards")
    page.get_by_test_id(f"board-history-{board['id']}").click()
    page.wait_for_url(f"**/history/boards/{board['id']}**")
    entry = page.get_by_test_id("history-entry").first
    entry.wait_for()
    assert board["title"] + "（新）" in entry.inner_text()
    _shot(page, screenshots, "2-board")
    assert _serious(page) == []


def test_committee_reads_a_units_and_a_policys_history(server: LiveServer, axe_page: Any, screenshots: Path) -> None:  # noqa: F811
    admin = Api(server, "committee_admin")
    town = admin.get("/units")[0]
    branch = town["children"][0]
    name = branch["name"]
    status, _, _ = admin.call("PATCH", f"/units/{branch['id']}", {"name": name + "（改）"})
    assert status == 200
    admin.call("PATCH", f"/units/{branch['id']}", {"name": name})
    page = axe_page
    sign_in(page, server, "committee_admin")
    page.goto(f"{server.base_url}/org")
    page.get_by_test_id(f"unit-manage-{branch['id']}").click()
    page.get_by_role("button", name="变更记录").click()
    page.wait_for_url(f"**/history/units/{branch['id']}**")
    entries = page.get_by_test_id("history-entry")
    entries.nth(1).wait_for()
    assert f"{name}（改）" in entries.first.inner_text()
    _shot(page, screenshots, "3-unit")
    assert _serious(page) == []
    # the town's policy: one rule changed over the API, read from 评定规则
    policy = admin.get(f"/rating-policies/{town['id']}")
    rules = {**policy["rules"], "villager_min_count": policy["rules"]["villager_min_count"] + 1}
    status, _, _ = admin.call("PUT", f"/rating-policies/{town['id']}", rules, {"If-Match": f'"{policy["version"]}"'})
    assert status == 200
    page.goto(f"{server.base_url}/ratings/policy")
    page.get_by_test_id("policy-history").click()
    page.wait_for_url(f"**/history/rating-policies/{town['id']}**")
    entry = page.get_by_test_id("history-entry").first
    entry.wait_for()
    assert "群众测评最少人数" in entry.inner_text()
    _shot(page, screenshots, "4-policy")
    assert _serious(page) == []
