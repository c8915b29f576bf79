"""A quarter of star ratings (三评定星) walked through the PWA on a phone, by the people who do it:
the committee opens the period; a member writes a self statement and reviews peers (one while
offline: it waits in the outbox and is sent exactly once); the secretary scores, computes, changes
one level with a reason and approves; the committee computes, approves the branch and publishes
it; the public star board then shows the levels. Each screen is photographed as its user sees it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, sign_in
from tests.live import LiveServer

pytestmark = pytest.mark.browser

STARS_WORD = {1: "一星", 2: "二星", 3: "三星", 4: "四星", 5: "五星"}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "service_workers": "block",
    "has_touch": True,
    "is_mobile": True,
}


@contextmanager
def phone(browser: Any) -> Iterator[Any]:
    """Another person's phone: a fresh profile, the same size as the `context` fixture's."""
    ctx = browser.new_context(**PHONE)
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        yield page
    finally:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page: Any, folder: Path, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # sticky bars where a person sees them, at the top
    page.wait_for_timeout(300)  # let the toast and the list settle
    page.screenshot(path=str(folder / f"ratings-{name}.png"), full_page=True)


def confirm_dialog(page: Any, button: str) -> None:
    page.locator(".van-dialog").get_by_role("button", name=button).click()


def committee_setup(server: LiveServer, page: Any, folder: Path) -> int:
    """The committee: a policy whose weights do not add up is refused in Chinese, beside the weights;
    a year period is drafted; the current quarter is opened (or the one the demo left open is used)."""
    sign_in(page, server, "committee_admin")
    page.goto(server.base_url + "/ratings/policy")
    weights = page.locator(".van-cell-group").first
    weights.locator(".van-stepper__plus").first.click()  # 党员互评 35 → 36: the sum is 101
    page.get_by_test_id("save-policy").click()
    page.get_by_test_id("error-weights").filter(has_text="权重之和须为 100（现为 101）").wait_for()
    shot(page, folder, "committee-policy-refused")

    committee = Api(server, "committee_admin")
    years = {p["year"] for p in committee.get("/rating-periods?size=100")["items"] if p["kind"] == "year"}
    this_year = int(page.evaluate("new Date().getFullYear()"))
    year = next(y for y in range(this_year - 1, 2000, -1) if y not in years)
    page.goto(server.base_url + "/ratings/new")
    page.get_by_text("年度", exact=True).click()
    for _ in range(this_year - year):
        page.locator(".van-stepper__minus").first.click()
    page.wait_for_function(f"() => document.querySelector('input[name=title]').value === '{year}年度'")
    shot(page, folder, "committee-new-period")
    page.get_by_test_id("create-period").click()
    page.wait_for_url(re.compile(r".*/ratings/\d+/manage$"))
    page.get_by_test_id("period-status").filter(has_text="草稿").wait_for()

    running = committee.get("/rating-periods?status=open")["items"]
    if running:
        return int(running[0]["id"])
    page.goto(server.base_url + "/ratings/new")  # the current quarter, as the form proposes
    page.get_by_test_id("create-period").click()
    page.wait_for_url(re.compile(r".*/ratings/\d+/manage$"))
    period_id = int(page.url.rstrip("/").split("/")[-2])
    page.get_by_test_id("action-open").click()
    confirm_dialog(page, "开始")
    page.get_by_test_id("period-status").filter(has_text="自评互评中").wait_for()
    return period_id


def act_as_committee(page: Any, server: LiveServer, period_id: int, action: str, status: str) -> None:
    page.goto(f"{server.base_url}/ratings/{period_id}/manage")
    page.get_by_test_id(f"action-{action}").click()
    done = page.get_by_test_id("period-status").filter(has_text=status).or_(page.locator(".error-text"))
    done.first.wait_for(timeout=60_000)  # computing the whole town takes a while on a small machine
    errors = page.locator(".error-text").all_inner_texts()
    assert not errors, errors


def rate(card: Any, stars: int) -> None:
    card.locator(".van-rate__item").nth(stars - 1).click()


def test_a_quarter_from_open_to_published_through_the_pwa(
    browser: Any, context: Any, page: Any, server: LiveServer, screenshots: Path
) -> None:
    # ---- the committee opens the quarter
    with phone(browser) as committee_page:
        period_id = committee_setup(server, committee_page, screenshots)

    member_api = Api(server, "member")
    me = member_api.get("/auth/me")["member"]
    sheet = member_api.get(f"/rating-periods/{period_id}/peer-reviews/mine")
    # two peers, not yet reviewed if there are (the demo may have reviewed them: then changed)
    peers = sorted(sheet["peers"], key=lambda p: p["value"] is not None)
    assert len(peers) >= 2, sheet
    online_peer, offline_peer = peers[0], peers[1]
    online_value = 4 if online_peer["value"] != 4 else 3
    offline_value = 5 if offline_peer["value"] != 5 else 2
    given_before = sheet["given"]
    given_after = given_before + sum(p["value"] is None for p in (online_peer, offline_peer))

    # ---- the member: home card, self statement, peer review (one while offline)
    sign_in(page, server, "member")
    card = page.get_by_test_id("rating-card")
    card.get_by_test_id("rating-card-progress").filter(has_text=f"已评 {given_before} / {sheet['expected']}").wait_for()
    shot(page, screenshots, "member-home")

    page.goto(f"{server.base_url}/ratings/{period_id}/self")
    page.get_by_test_id("self-text").locator("textarea").fill("本季度按承诺每月走访独居老人，帮助解决了 3 件实事。")
    shot(page, screenshots, "member-self-statement")
    page.get_by_test_id("self-submit").click()
    page.wait_for_url(f"**/ratings/{period_id}/review")
    assert member_api.get(f"/rating-periods/{period_id}/self-statement")["text"].startswith("本季度按承诺")

    sent: list[str] = []
    offline_path = f"/api/v1/rating-periods/{period_id}/peer-reviews/{offline_peer['member_id']}"
    page.on("requestfinished", lambda r: sent.append(r.method) if r.url.endswith(offline_path) else None)

    page.get_by_test_id("filter-all").click()
    online_card = page.get_by_test_id(f"peer-{online_peer['member_id']}")
    rate(online_card, online_value)
    online_card.locator(".state").filter(has_text="已评").wait_for()

    context.set_offline(True)
    page.get_by_text("网络已断开").wait_for()
    offline_card = page.get_by_test_id(f"peer-{offline_peer['member_id']}")
    rate(offline_card, offline_value)
    offline_card.locator(".state").filter(has_text="待发送").wait_for()
    page.get_by_test_id("outbox-count").filter(has_text="待发送 1 条").wait_for()
    page.get_by_test_id("review-progress").filter(has_text=f"已评 {given_after} / {sheet['expected']}").wait_for()
    shot(page, screenshots, "member-review-offline")
    peers = member_api.get(f"/rating-periods/{period_id}/peer-reviews/mine")["peers"]
    values = {p["member_id"]: p["value"] for p in peers}
    assert values[online_peer["member_id"]] == online_value
    assert values[offline_peer["member_id"]] == offline_peer["value"]  # the new one is still on the phone

    context.set_offline(False)
    page.get_by_test_id("outbox-count").wait_for(state="detached", timeout=20_000)
    offline_card.locator(".state").filter(has_text="已评").wait_for()
    page.wait_for_timeout(1500)  # nothing is sent a second time later on
    after = member_api.get(f"/rating-periods/{period_id}/peer-reviews/mine")
    assert {p["member_id"]: p["value"] for p in after["peers"]}[offline_peer["member_id"]] == offline_value
    assert after["given"] == given_after
    assert sent == ["PUT"], sent
    shot(page, screenshots, "member-review-synced")

    # ---- reviews close; the secretary watches, scores, computes, changes one level and approves
    with phone(browser) as committee_page:
        sign_in(committee_page, server, "committee_admin")
        act_as_committee(committee_page, server, period_id, "close_reviews", "组织考评中")
        shot(committee_page, screenshots, "committee-manage-assessing")

    secretary_api = Api(server, "secretary")
    secretary_me = secretary_api.get("/auth/me")
    branch_id = next(g["unit_id"] for g in secretary_me["grants"] if g["role"] == "secretary")
    rubric = committee_rubric(server, period_id)
    # the rest of the branch scored over the API, so the levels spread; the member is scored on screen
    others = [
        r["subject_id"]
        for r in secretary_api.get(f"/rating-periods/{period_id}/assessments?branch_id={branch_id}")["items"]
        if r["subject_id"] not in (me["id"], secretary_me["member"]["id"])
    ]
    for i, member_id in enumerate(others):
        share = (1.0, 0.9, 0.8, 0.7, 0.5)[i % 5]
        items = {item["key"]: round(item["max_points"] * share) for item in rubric if not item.get("auto")}
        status, body, _ = secretary_api.call(
            "PUT", f"/rating-periods/{period_id}/assessments/member/{member_id}", {"items": items}
        )
        assert status == 200, body
    with phone(browser) as sec:
        sign_in(sec, server, "secretary")
        sec.goto(server.base_url + "/ratings")
        sec.get_by_test_id(f"overview-{period_id}").click()
        sec.get_by_test_id(f"progress-{me['id']}").wait_for()
        shot(sec, screenshots, "secretary-overview")

        sec.get_by_test_id("go-assess").click()
        sec.get_by_test_id(f"assess-political-{me['id']}").wait_for()
        for item in rubric:
            sec.locator(".van-tab").filter(has_text=item["label"]).click()
            row = sec.get_by_test_id(f"assess-{item['key']}-{me['id']}")
            if item.get("auto") and row.get_by_text("自动").count():
                continue  # 承诺践诺 came from the member's closed pledges
            row.get_by_role("button", name=f"{me['name']}的{item['label']}给满分").click()
        sec.locator(".van-tab").filter(has_text=rubric[0]["label"]).click()
        sec.get_by_test_id(f"assess-{rubric[0]['key']}-{me['id']}").locator(".van-stepper").wait_for()
        shot(sec, screenshots, "secretary-assessment")
        wait_until(lambda: assessment_of(secretary_api, period_id, branch_id, me["id"])["complete"], sec)

        sec.get_by_test_id("to-results").click()
        sec.get_by_test_id("compute").click()
        mine = sec.get_by_test_id(f"result-{me['id']}")
        mine.wait_for()
        shot(sec, screenshots, "secretary-results")

        proposed = result_of(secretary_api, period_id, branch_id, me["id"])["proposed_stars"]
        changed_to = proposed + 1 if proposed < 5 else proposed - 1
        mine.get_by_test_id("change-level").click()
        dialog = sec.locator(".van-dialog")
        dialog.get_by_test_id("new-stars").locator(".van-rate__item").nth(changed_to - 1).click()
        dialog.get_by_test_id("reason-input").locator("textarea").fill("本季度带头抗洪抢险，表现突出")
        shot(sec, screenshots, "secretary-change-level")
        confirm_dialog(sec, "确定调整")
        mine.get_by_test_id("changed-chip").wait_for()
        mine.get_by_text("调整理由：本季度带头抗洪抢险，表现突出").wait_for()

        sec.get_by_test_id("approve-all").click()
        confirm_dialog(sec, "审定")
        sec.get_by_test_id("approved-note").wait_for()
        shot(sec, screenshots, "secretary-approved")

    decided = result_of(secretary_api, period_id, branch_id, me["id"])
    assert decided["stars"] == changed_to
    assert decided["proposed_stars"] == proposed
    assert decided["changed"]
    assert decided["last_decision"]["reason"] == "本季度带头抗洪抢险，表现突出"

    # ---- the committee scores the branch, computes the period, approves the branch and publishes it
    with phone(browser) as committee_page:
        sign_in(committee_page, server, "committee_admin")
        committee_page.goto(f"{server.base_url}/ratings/{period_id}/assess")
        branch_rubric = Api(server, "committee_admin").get(f"/rating-periods/{period_id}")["policy"]["branch_rubric"]
        branch_name = ""
        for item in branch_rubric:
            committee_page.locator(".van-tab").filter(has_text=item["label"]).click()
            row = committee_page.get_by_test_id(f"assess-{item['key']}-{branch_id}")
            branch_name = branch_name or row.locator(".name").inner_text()
            row.get_by_role("button", name=f"{branch_name}的{item['label']}给满分").click()
        committee_page.locator(".van-tab").filter(has_text=branch_rubric[0]["label"]).click()
        shot(committee_page, screenshots, "committee-branch-assessment")
        wait_until(lambda: branch_assessment(period_id, server, branch_id)["complete"], committee_page)
        act_as_committee(committee_page, server, period_id, "compute", "已核算")
        committee_page.get_by_test_id("branch-results").click()
        branch_row = committee_page.get_by_test_id(f"result-{branch_id}")
        branch_row.get_by_test_id("approve-one").click()
        branch_row.locator(".chip").filter(has_text="已审定").wait_for()
        shot(committee_page, screenshots, "committee-branch-results")

        committee_page.goto(f"{server.base_url}/ratings/{period_id}/manage")
        committee_page.get_by_test_id(f"publish-{branch_id}").click()
        confirm_dialog(committee_page, "公布")
        committee_page.get_by_test_id(f"branch-{branch_id}").get_by_text("已公布").wait_for()
        shot(committee_page, screenshots, "committee-published")

        # ---- the public star board and the member's group board show the decided level
        level = f"{STARS_WORD[changed_to]}级党员"
        star_boards = Api(server, "committee_admin").get("/boards?kind=stars")["items"]
        assert star_boards, "the demo town has a star board"
        # the town's board keeps its last whole period while the new one is published branch by branch,
        # and says how far publishing has got; the branch's own star board turns at once
        committee_page.goto(star_boards[0]["public_url"])
        committee_page.locator(".note").filter(has_text="正在陆续公布").filter(has_text="已公布 1 /").wait_for()
        shot(committee_page, screenshots, "star-board-town-publishing")
        status, branch_board, _ = secretary_api.call("POST", "/boards", {"kind": "stars", "unit_id": branch_id})
        assert status == 201, branch_board
        committee_page.goto(branch_board["public_url"])
        group = committee_page.locator("section, div").filter(has_text=level).filter(has_text=me["name"])
        group.first.wait_for()
        assert committee_page.locator(".note").filter(has_text="正在陆续公布").count() == 0
        shot(committee_page, screenshots, "star-board")

        boards = secretary_api.get(f"/boards?unit_id={me['group_id']}&kind=pledges")["items"]
        committee_page.goto(boards[0]["public_url"])
        committee_page.locator(f"[aria-label='{level}']").first.wait_for()
        shot(committee_page, screenshots, "group-board")

    # ---- and the member sees their own level and breakdown
    page.goto(f"{server.base_url}/ratings/mine")
    page.get_by_test_id("breakdown").first.wait_for()
    shot(page, screenshots, "member-my-stars")


def committee_rubric(server: LiveServer, period_id: int) -> list[dict[str, Any]]:
    return list(Api(server, "committee_admin").get(f"/rating-periods/{period_id}")["policy"]["rubric"])


def assessment_of(api: Api, period_id: int, branch_id: int, member_id: int) -> dict[str, Any]:
    rows = api.get(f"/rating-periods/{period_id}/assessments?branch_id={branch_id}")["items"]
    return next(r for r in rows if r["subject_id"] == member_id)


def branch_assessment(period_id: int, server: LiveServer, branch_id: int) -> dict[str, Any]:
    rows = Api(server, "committee_admin").get(f"/rating-periods/{period_id}/assessments?subject_kind=branch")["items"]
    return next(r for r in rows if r["subject_id"] == branch_id)


def result_of(api: Api, period_id: int, branch_id: int, member_id: int) -> dict[str, Any]:
    rows = api.get(f"/rating-periods/{period_id}/results?unit_id={branch_id}&kind=member&size=100")["items"]
    return next(r for r in rows if r["subject_id"] == member_id)


def wait_until(check: Any, page: Any, timeout_ms: int = 15_000) -> None:
    waited = 0
    while not check():
        assert waited < timeout_ms, "timed out"
        page.wait_for_timeout(250)
        waited += 250
