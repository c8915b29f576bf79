"""Running the branch from a phone (issue 9), at 390 px as the person who does it: each role gets
only its own buttons and a destructive one names its effect and keeps the reason; the close dialog
shows the facts and preselects nothing; the supervisor's branch list puts the overdue first; the
committee edits the org tree by what the server offers; a board renamed offline goes out through
the outbox. Screenshots to $LN_SHOTS (default var/screenshots); axe-core on each dialog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.helpers import Api, published_pledge, small_jpeg
from tests.browser.test_branch_work import _as, _axe, _shots, new_page  # noqa: F401 (the fixture)
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def _submitted(server: LiveServer, title: str) -> int:
    member = Api(server, "member")
    status, created, _ = member.call(
        "POST", "/pledges", {"title": title, "content": "每周打扫一次村口公厕。", "category": "public_service"}
    )
    assert status == 201, created
    member.act(int(created["id"]), "submit")
    return int(created["id"])


def test_each_role_gets_its_own_buttons_and_withdraw_keeps_its_reason(
    server: LiveServer,
    new_page: Any,  # noqa: F811 (the fixture imported above)
    screenshots: Path,
) -> None:
    shots = _shots(screenshots)
    pid = _submitted(server, "村口公厕每周打扫")

    secretary = new_page()
    _as(secretary, server, "secretary")
    secretary.goto(f"{server.base_url}/pledges/{pid}")
    secretary.get_by_test_id("action-approve").wait_for()
    buttons = secretary.locator("section.actions button").all_inner_texts()
    assert not any("撤回" in b or "报告进展" in b for b in buttons), buttons  # the member's, not the secretary's
    assert secretary.get_by_test_id("action-return").is_visible()
    secretary.screenshot(path=str(shots / "secretary-on-a-members-submitted-pledge.png"))

    member = new_page()
    _as(member, server, "member")
    member.goto(f"{server.base_url}/pledges/{pid}")
    member.get_by_test_id("action-withdraw").click()
    dialog = member.locator(".van-dialog").filter(has_text="撤回")
    dialog.wait_for()
    assert "承诺将作废，不再送审，不能恢复" in member.get_by_test_id("dialog-effect").inner_text()
    field = member.get_by_test_id("dialog-text").locator("textarea")
    assert "撤回原因" in (field.get_attribute("placeholder") or "")
    confirm = dialog.get_by_role("button", name="撤回，承诺将作废")
    field.fill("村里已统一安排保洁员")
    member.wait_for_timeout(300)
    member.screenshot(path=str(shots / "member-withdraw-dialog.png"))
    _axe(member)
    confirm.click()
    member.get_by_text("已撤回").first.wait_for()
    timeline = Api(server, "member").get(f"/pledges/{pid}/timeline?size=50")
    entries = timeline["items"] if isinstance(timeline, dict) else timeline
    assert any(e.get("action") == "withdraw" and e.get("reason") == "村里已统一安排保洁员" for e in entries), entries


def test_the_close_dialog_shows_the_facts_and_preselects_nothing(
    server: LiveServer,
    new_page: Any,  # noqa: F811 (the fixture imported above)
    screenshots: Path,
) -> None:
    shots = _shots(screenshots)
    pid = published_pledge(server, "帮五保户修缮屋顶")
    member = Api(server, "member")
    r = httpx.post(
        f"{member.base}/pledges/{pid}/progress",
        headers={"Authorization": f"Bearer {member.token}", "Idempotency-Key": f"close-facts-{pid}"},
        data={"text": "已换好瓦片，还差屋檐", "percent": "30"},
        files=[("photos", ("roof.jpg", small_jpeg("#8a5a2b"), "image/jpeg"))],
        timeout=30,
    )
    assert r.status_code == 201, r.text
    member.act(pid, "request-close")

    page = new_page()
    _as(page, server, "secretary")
    page.goto(f"{server.base_url}/pledges/{pid}")
    page.get_by_test_id("action-close").click()
    facts = page.get_by_test_id("close-facts")
    facts.get_by_text("完成 30%").wait_for()
    assert "已换好瓦片，还差屋檐" in facts.inner_text()
    page.get_by_test_id("close-satisfaction").wait_for()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.close-facts .thumb img')].some(i => i.src.startsWith('blob:'))"
    )
    assert page.locator(".van-dialog .van-radio[aria-checked=true]").count() == 0  # nothing preselected
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "secretary-close-dialog-facts.png"))
    _axe(page)
    page.get_by_test_id("dialog-text").locator("textarea").fill("已实地查看")
    page.locator(".van-dialog").get_by_role("button", name="销诺", exact=True).click()
    page.get_by_text("请选择销诺结果").wait_for()  # the secretary chooses; nothing was chosen for them


def test_the_supervisors_branch_list_puts_the_overdue_first(
    server: LiveServer,
    new_page: Any,  # noqa: F811 (the fixture imported above)
    screenshots: Path,
) -> None:
    shots = _shots(screenshots)
    page = new_page()
    _as(page, server, "supervisor")
    page.goto(server.base_url + "/me")
    page.get_by_text("全支部承诺").click()
    page.wait_for_url(f"{server.base_url}/pledges")
    page.get_by_text("逾期未兑现的排在最前").wait_for()
    first = page.locator("a.card[data-testid^=pledge-]").first
    first.wait_for()
    assert "已逾期" in first.inner_text()
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "supervisor-branch-pledges-overdue-first.png"))
    late = Api(server, "supervisor").get("/pledges?order=overdue&size=5")["items"]
    assert late
    assert late[0]["overdue"] is True


def test_the_committee_edits_the_org_tree_by_what_the_server_offers(
    server: LiveServer,
    new_page: Any,  # noqa: F811 (the fixture imported above)
    screenshots: Path,
) -> None:
    shots = _shots(screenshots)
    api = Api(server, "committee_admin")
    town = api.get("/units")[0]
    page = new_page()
    _as(page, server, "committee_admin")
    page.get_by_role("heading", level=1).wait_for()
    assert "平山镇党委" in page.locator("header.hero").inner_text()  # the header names the committee
    page.goto(server.base_url + "/org")
    page.get_by_test_id(f"unit-manage-{town['id']}").click()
    sheet = page.locator(".van-action-sheet")
    sheet.get_by_text("新建下级党支部").wait_for()
    assert sheet.get_by_text("撤销此组织").count() == 0  # the town has branches: the server offers no archive
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "committee-org-manage-town.png"))
    sheet.get_by_text("新建下级党支部").click()
    page.get_by_test_id("unit-name").locator("input").fill("新建试点党支部")
    page.locator(".van-dialog").get_by_role("button", name="确认").click()
    tree = page.get_by_role("tree")
    tree.get_by_text("新建试点党支部").wait_for()
    made = next(c for c in api.get("/units")[0]["children"] if c["name"] == "新建试点党支部")
    assert made["allowed_actions"] == ["create", "rename", "move", "archive"]
    page.get_by_test_id(f"unit-manage-{made['id']}").click()
    sheet.get_by_text("撤销此组织（保留历史）").click()
    page.locator(".van-dialog").get_by_role("button", name="撤销此组织").click()
    tree.get_by_text("新建试点党支部").wait_for(state="detached")


def test_a_board_renamed_offline_goes_out_through_the_outbox(
    server: LiveServer,
    new_page: Any,  # noqa: F811 (the fixture imported above)
    screenshots: Path,
) -> None:
    shots = _shots(screenshots)
    api = Api(server, "secretary")
    branch_id = api.get("/auth/me")["member"]["branch_id"]
    status, board, _ = api.call("POST", "/boards", {"unit_id": branch_id, "title": "离线改名前的公示牌"})
    assert status == 201, board
    page = new_page()
    _as(page, server, "secretary")
    page.goto(server.base_url + "/boards")
    card = page.get_by_test_id(f"board-{board['id']}")
    card.wait_for()
    page.context.set_offline(True)
    card.get_by_role("button", name="改标题").click()
    page.get_by_test_id("board-title").locator("input").fill("离线改名后的公示牌")
    page.locator(".van-dialog").get_by_role("button", name="确认").click()
    page.get_by_text("已保存在手机上，联网后自动发送").wait_for()
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "secretary-board-renamed-offline.png"))
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    for _ in range(40):
        if api.get(f"/boards/{board['id']}")["title"] == "离线改名后的公示牌":
            break
        page.wait_for_timeout(250)
    assert api.get(f"/boards/{board['id']}")["title"] == "离线改名后的公示牌"


def test_the_secretary_uploads_a_members_photo_through_the_outbox(
    server: LiveServer,
    new_page: Any,  # noqa: F811 (the fixture imported above)
    screenshots: Path,
    tmp_path: Path,
) -> None:
    """The photo is shrunk on the phone and queued like every write; the board then has it."""
    shots = _shots(screenshots)
    api = Api(server, "secretary")
    branch_id = api.get("/auth/me")["member"]["branch_id"]
    status, member, _ = api.call("POST", "/members", {"name": "照片测", "branch_id": branch_id, "board_consent": True})
    assert status == 201, member
    photo = tmp_path / "big.jpg"
    photo.write_bytes(small_jpeg("#2a6f97", (3000, 4000)))
    page = new_page()
    _as(page, server, "secretary")
    page.goto(f"{server.base_url}/members/{member['id']}")
    page.get_by_label("上传亮身份照片").set_input_files(str(photo))
    page.get_by_text("照片已更新").wait_for()
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "secretary-member-photo.png"))
    assert api.get(f"/members/{member['id']}")["has_photo"] is True
