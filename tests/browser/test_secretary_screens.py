"""The secretary's screens in the PWA at phone size (issue 9): boards, moderation, members.

Each walk signs in as the secretary through the PWA, does the job by tapping, and checks the
outcome over the API. Screenshots go to $LN_SHOTS (default var/screenshots) for a person to look at.
"""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.browser.helpers import Api, sign_in
from tests.live import LiveServer


def _shots(default: Path) -> Path:
    out = Path(os.environ.get("LN_SHOTS") or default)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310  (loopback)
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def test_boards_screen_rotates_and_takes_down(server: LiveServer, page: Any, screenshots: Path) -> None:
    shots = _shots(screenshots)
    api = Api(server, "secretary")
    sign_in(page, server, "secretary")
    page.get_by_test_id("boards-link").click()
    page.wait_for_url("**/boards")
    first = page.locator("section.board").first
    first.wait_for()
    page.screenshot(path=str(shots / "secretary-boards.png"), full_page=False)

    boards = api.get("/boards?size=100")["items"]
    board = next(b for b in boards if b["kind"] == "pledges")
    card = page.get_by_test_id(f"board-{board['id']}")
    assert card.get_by_test_id("board-url").inner_text() == board["public_url"]
    assert _status(board["public_url"]) == 200

    # rotate: the confirm says old posters stop working; the old address no longer opens the board
    card.get_by_test_id(f"rotate-{board['id']}").click()
    dialog = page.locator(".van-dialog").filter(has_text="更换二维码")
    dialog.wait_for()
    assert "失效" in dialog.inner_text()
    assert "重新打印" in dialog.inner_text()
    page.wait_for_timeout(500)  # the dialog fades in
    page.screenshot(path=str(shots / "secretary-board-rotate-confirm.png"))
    dialog.get_by_role("button", name="更换二维码，旧海报作废").click()
    page.get_by_text("已更换，请重新打印海报").wait_for()
    rotated = api.get(f"/boards/{board['id']}")
    assert rotated["public_url"] != board["public_url"]
    assert _status(board["public_url"]) != 200
    card.get_by_test_id("board-url").filter(has_text=rotated["public_url"]).wait_for()

    # take down: the board's address answers 410
    card.get_by_test_id(f"takedown-{board['id']}").click()
    page.locator(".van-dialog").filter(has_text="撤下").get_by_role("button", name="撤下公示牌").click()
    page.locator(".van-toast").filter(has_text="已撤下").wait_for()
    assert _status(rotated["public_url"]) == 410

    # create a new board for the branch
    page.get_by_test_id("board-new").click()
    page.get_by_test_id("board-title").locator("input").fill("村口公示牌（新）")
    page.wait_for_timeout(800)  # the dialog fades in, the units load
    page.screenshot(path=str(shots / "secretary-board-new.png"))
    page.locator(".van-dialog").get_by_role("button", name="确认").click()
    page.get_by_text("村口公示牌（新）").wait_for()
    assert any(b["title"] == "村口公示牌（新）" for b in api.get("/boards?size=100")["items"])


def test_moderation_screen_approves_a_suggestion(server: LiveServer, page: Any, screenshots: Path) -> None:
    shots = _shots(screenshots)
    api = Api(server, "secretary")
    queue = api.get("/evaluations/suggestions?status=pending&size=100")
    sign_in(page, server, "secretary")
    page.get_by_test_id("moderation-link").click()
    page.wait_for_url("**/moderation")
    page.locator(".van-tabs").wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / "secretary-moderation.png"))
    if not queue["items"]:
        page.get_by_text("没有待审核的意见建议").wait_for()
        return
    s = queue["items"][0]
    page.get_by_test_id(f"suggestion-{s['id']}").get_by_test_id("suggestion-approve").click()
    page.get_by_text("已公开到公示牌").wait_for()
    assert s["id"] not in {x["id"] for x in api.get("/evaluations/suggestions?status=pending&size=100")["items"]}


def _toast_is_legible(page: Any, text: str) -> None:
    """A toast is white text on a near-opaque dark box. (Vant's toast is a popup: a screen whose chunk
    loaded the popup's CSS after the toast's once got `.van-popup`'s white background — a white box.)"""
    toast = page.locator(".van-toast").filter(has_text=text)
    toast.wait_for()
    # whatever order the chunks' CSS arrive in: the popup's rule loaded last, as a later route's chunk does
    page.add_style_tag(content=".van-popup{background:var(--van-popup-background)}")
    bg, fg = toast.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]")
    assert fg == "rgb(255, 255, 255)", fg
    parts = [float(x) for x in re.findall(r"[\d.]+", bg)]
    alpha = parts[3] if len(parts) == 4 else 1.0
    assert sum(parts[:3]) < 150, bg
    assert alpha >= 0.85, bg


def test_member_is_added_and_edited(server: LiveServer, page: Any, screenshots: Path) -> None:
    shots = _shots(screenshots)
    api = Api(server, "secretary")
    sign_in(page, server, "secretary")
    page.goto(server.base_url + "/members")
    page.get_by_test_id("member-new").click()
    page.wait_for_url("**/members/new")
    page.get_by_test_id("m-name").locator("input").fill("测试新党员")
    page.get_by_test_id("m-phone").locator("input").fill("13900009991")
    page.screenshot(path=str(shots / "secretary-member-new.png"), full_page=True)
    page.get_by_test_id("m-save").click()
    page.wait_for_url(re.compile(r"/members/\d+$"))
    member_id = int(page.url.rsplit("/", 1)[1])
    page.get_by_test_id("m-consent").click()
    page.get_by_test_id("m-save").click()
    page.get_by_text("已保存").wait_for()
    assert api.get(f"/members/{member_id}")["board_consent"] is True
    page.get_by_test_id("m-initial-password").locator("input").fill("Chushi-2026-mima")
    page.get_by_test_id("m-open-account").click()
    page.get_by_text("已开通登录账号").wait_for()
    _toast_is_legible(page, "已开通，请把初始密码告诉本人")
    page.screenshot(path=str(shots / "secretary-member-edit.png"), full_page=True)
    assert api.get(f"/members/{member_id}")["has_account"] is True


def test_review_queue_pages_and_batch_closes(server: LiveServer, page: Any, screenshots: Path) -> None:
    shots = _shots(screenshots)
    api = Api(server, "secretary")
    closing = api.get("/review-queue?kind=close&size=5")
    counts = api.get("/pledges/counts")["by_status"]
    sign_in(page, server, "secretary")
    page.goto(server.base_url + "/review")
    page.get_by_role("tab", name=re.compile("待销诺")).click()
    if not closing["items"]:
        page.get_by_text("没有待销诺的承诺").wait_for()
        return
    # the tab counts the server's total, not one page
    page.get_by_role("tab", name=f"待销诺（{counts['closing']}）").wait_for()
    page.get_by_test_id("batch-close-toggle").click()
    first = closing["items"][0]
    row = page.get_by_test_id(f"batch-row-{first['id']}")
    row.wait_for()
    # nothing preselected: the button waits for a choice
    assert page.get_by_test_id("batch-close").is_disabled()
    row.locator(".van-radio").first.click()
    assert page.get_by_test_id("batch-close").is_disabled()  # the verification note is kept: asked for
    page.get_by_test_id(f"batch-note-{first['id']}").locator("input").fill("已实地查看，属实")
    page.screenshot(path=str(shots / "secretary-batch-close.png"))
    page.get_by_test_id("batch-close").click()
    page.locator(".van-dialog").get_by_role("button", name="销诺").click()
    row.locator(".ok").wait_for()
    assert api.get(f"/pledges/{first['id']}")["status"] == "closed"


def test_committee_renames_a_unit_in_the_org_tree(server: LiveServer, page: Any, screenshots: Path) -> None:
    shots = _shots(screenshots)
    api = Api(server, "committee_admin")
    sign_in(page, server, "committee_admin")
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "committee-home.png"))
    page.goto(server.base_url + "/org")
    tree = api.get("/units")
    branch = next(c for c in tree[0]["children"] if c["kind"] == "branch")
    page.get_by_test_id(f"unit-manage-{branch['id']}").click()
    page.get_by_role("button", name="改名").click()
    page.get_by_test_id("unit-name").locator("input").fill(branch["name"] + "（改）")
    page.wait_for_timeout(400)
    page.screenshot(path=str(shots / "committee-org-rename.png"))
    page.locator(".van-dialog").get_by_role("button", name="确认").click()
    page.get_by_text(branch["name"] + "（改）").wait_for()
    assert api.get(f"/units/{branch['id']}")["name"] == branch["name"] + "（改）"
