"""The secretary's 双报到 and the post picker for others' pledges, walked at 390 px on the demo town:
from a member's page the secretary registers the member in another community (active at once) and
drafts a pledge for them (代办) choosing the post from the branch's catalogue; a group leader's
collective pledge takes a post from the same picker. axe-core finds nothing serious. Screenshots in
var/screenshots/secretary-reg-*.png and picker-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.demo import OTHER_DEMO_BRANCH
from tests.browser.helpers import Api, sign_in
from tests.browser.test_stats_dashboard import _serious, axe_page  # noqa: F401  (the fixture)
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def _shot(page: Any, shots: Path, name: str) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def _unregistered_member(secretary: Api, branch_id: int) -> dict[str, Any]:
    """An active member of the demo branch without a login and without a registration."""
    members = secretary.get(f"/members?unit_id={branch_id}&status=active&size=100")["items"]
    for m in members:
        if m["has_account"]:
            continue
        if secretary.get(f"/registrations?member_id={m['id']}")["total"] == 0:
            return m
    raise AssertionError("no member to register")


def test_secretary_registers_a_member_and_drafts_for_them_with_the_post_picker(
    server: LiveServer,
    axe_page: Any,  # noqa: F811
    screenshots: Path,
) -> None:
    page = axe_page
    secretary = Api(server, "secretary")
    me = secretary.get("/auth/me")
    branch_id = next(g["unit_id"] for g in me["grants"] if g["role"] == "secretary")
    member = _unregistered_member(secretary, branch_id)
    sign_in(page, server, "secretary")

    # 双报到 from the member's page
    page.goto(f"{server.base_url}/members/{member['id']}")
    page.get_by_test_id("m-registration").click()
    page.wait_for_url(re.compile(rf".*/members/{member['id']}/registration$"))
    page.get_by_test_id("reg-member").filter(has_text=member["name"]).wait_for()
    page.locator("[data-testid=member-reg-branch] option").filter(has_text=OTHER_DEMO_BRANCH).wait_for(state="attached")
    page.get_by_test_id("member-reg-branch").select_option(label=OTHER_DEMO_BRANCH)
    page.get_by_test_id("member-reg-note").locator("input").fill("在县水务局上班，周末可参加社区服务")
    _shot(page, screenshots, "secretary-reg-1-form")
    assert _serious(page) == []
    page.get_by_test_id("member-reg-save").click()
    card = page.locator("[data-testid^=member-reg-]").filter(has_text=OTHER_DEMO_BRANCH).filter(has_text="已报到")
    card.first.wait_for()
    page.locator(".van-toast").first.wait_for(state="hidden")  # the shot after the success toast faded
    _shot(page, screenshots, "secretary-reg-2-registered")
    assert _serious(page) == []
    listed = secretary.get(f"/registrations?member_id={member['id']}")["items"]
    assert [(r["branch_name"], r["status"]) for r in listed] == [(OTHER_DEMO_BRANCH, "active")]

    # 代办: a pledge for the member, its post from the branch's catalogue
    page.goto(f"{server.base_url}/members/{member['id']}")
    page.get_by_test_id("m-draft-pledge").click()
    page.wait_for_url(re.compile(r".*/pledges/new\?member=\d+$"))
    page.get_by_test_id("for-member").filter(has_text=member["name"]).wait_for()
    page.get_by_test_id("post-picker").wait_for()
    posts = secretary.get(f"/units/{branch_id}/posts?size=100")["items"]
    chosen = next(p for p in posts if p["name"] != member["post"])
    page.get_by_test_id(f"pick-post-{chosen['id']}").click()
    page.locator("textarea[name=title]").fill("每月走访组内困难户一次")
    page.locator("textarea[name=content]").fill("每月上门走访一次，帮助解决实际困难，记录在案。")
    _shot(page, screenshots, "picker-1-for-member")
    assert _serious(page) == []
    page.get_by_test_id("save-submit").click()
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    pid = int(page.url.rsplit("/", 1)[1])
    pledge = secretary.get(f"/pledges/{pid}")
    assert (pledge["member_id"], pledge["post_id"], pledge["post"]) == (member["id"], chosen["id"], chosen["name"])
    for _ in range(50):  # the submit follows the create from the outbox
        if secretary.get(f"/pledges/{pid}")["status"] == "submitted":
            break
        page.wait_for_timeout(200)
    assert secretary.get(f"/pledges/{pid}")["status"] == "submitted"


def test_group_leader_picks_a_post_for_the_groups_collective_pledge(
    server: LiveServer,
    axe_page: Any,  # noqa: F811
    screenshots: Path,
) -> None:
    page = axe_page
    leader = Api(server, "group_leader")
    group = next(g["unit_id"] for g in leader.get("/auth/me")["grants"] if g["role"] == "group_leader")
    posts = leader.get(f"/units/{group}/posts?size=100")["items"]
    chosen = posts[0]
    sign_in(page, server, "group_leader")
    page.goto(f"{server.base_url}/pledges/new?unit={group}")
    page.get_by_test_id("post-picker").wait_for()
    page.get_by_test_id(f"pick-post-{chosen['id']}").click()
    page.locator("textarea[name=title]").fill("本组清理河道垃圾")
    page.locator("textarea[name=content]").fill("每季度组织组内党员清理一次河道垃圾。")
    _shot(page, screenshots, "picker-2-collective")
    assert _serious(page) == []
    page.get_by_test_id("save-draft").click()
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    pledge = leader.get(f"/pledges/{int(page.url.rsplit('/', 1)[1])}")
    assert (pledge["owner_kind"], pledge["unit_id"], pledge["post_id"]) == ("unit", group, chosen["id"])


def test_a_community_pledge_names_its_community(
    server: LiveServer,
    axe_page: Any,  # noqa: F811
    screenshots: Path,
) -> None:
    """The demo's 报到党员 pledged to the demo branch: the pledge page names the community."""
    page = axe_page
    secretary = Api(server, "secretary")
    listed = secretary.get("/pledges?status=published&size=100")["items"]
    pledge = next(p for p in listed if p.get("registration_id"))
    sign_in(page, server, "secretary")
    page.goto(f"{server.base_url}/pledges/{pledge['id']}")
    facts = page.get_by_test_id("community-facts")
    facts.wait_for()
    assert f"向{pledge['unit_name']}作的承诺" in facts.inner_text()
    _shot(page, screenshots, "secretary-reg-3-community-pledge")
    assert _serious(page) == []
