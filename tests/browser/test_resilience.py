"""What protects a person's work: autosaved drafts, stale versions, writes the server refuses,
returns with a reason, and the first sign-in's forced password change."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, published_pledge, sign_in
from tests.live import LiveServer

pytestmark = pytest.mark.browser


# the titles of the drafts autosaved in IndexedDB (a promise)
SAVED_DRAFT_TITLES = """() => new Promise((resolve) => {
  const open = indexedDB.open('liangnuo-drafts')
  open.onupgradeneeded = () => open.transaction.abort() // not created yet: don't create it here
  open.onerror = () => resolve([])
  open.onsuccess = () => {
    try {
      const req = open.result.transaction('drafts').objectStore('drafts').getAll()
      req.onsuccess = () => resolve(req.result.map((d) => d.title))
      req.onerror = () => resolve([])
    } catch (e) { resolve([]) }
  }
})"""


def submitted_pledge(server: LiveServer, title: str) -> int:
    member = Api(server, "member")
    status, created, _ = member.call(
        "POST", "/pledges", {"title": title, "content": "组织党员和群众一起清扫。", "category": "public_service"}
    )
    assert status == 201, created
    member.act(int(created["id"]), "submit")
    return int(created["id"])


def test_typed_draft_survives_a_reload(page: Any, server: LiveServer) -> None:
    sign_in(page, server, "member")
    page.goto(server.base_url + "/pledges/new")
    page.locator("textarea[name=title]").fill("每季度清理一次村口水塘")
    page.locator("textarea[name=content]").fill("带头清理水塘垃圾，")
    for _ in range(50):  # autosave writes 300 ms after typing stops
        if "每季度清理一次村口水塘" in page.evaluate(SAVED_DRAFT_TITLES):
            break
        page.wait_for_timeout(100)
    page.reload()
    page.get_by_text("已恢复您上次没有提交的内容").wait_for()
    assert page.locator("textarea[name=title]").input_value() == "每季度清理一次村口水塘"
    assert page.locator("textarea[name=content]").input_value() == "带头清理水塘垃圾，"


def test_a_stale_version_is_reloaded_with_a_warning(page: Any, server: LiveServer) -> None:
    pledge_id = submitted_pledge(server, "修缮司山组文化广场路灯")
    sign_in(page, server, "secretary")
    page.goto(f"{server.base_url}/pledges/{pledge_id}")
    page.get_by_test_id("action-approve").wait_for()
    Api(server, "secretary").act(pledge_id, "approve")  # someone else (another device) was quicker
    page.get_by_test_id("action-approve").click()
    page.locator(".van-dialog__confirm").click()
    page.get_by_text("内容已被他人修改").wait_for()
    page.get_by_test_id("status").filter(has_text="待公示").wait_for()


def test_return_with_reason_reaches_the_member(browser: Any, page: Any, server: LiveServer) -> None:
    pledge_id = submitted_pledge(server, "帮助村民网上缴纳医保")
    sign_in(page, server, "secretary")
    page.goto(f"{server.base_url}/pledges/{pledge_id}")
    page.get_by_test_id("action-return").click()
    page.locator(".van-dialog__confirm").click()
    page.get_by_text("请填写内容").wait_for()  # a return needs a reason
    page.get_by_test_id("dialog-text").locator("textarea").fill("请写清楚帮助多少户、什么时候完成")
    page.locator(".van-dialog__confirm").click()
    page.get_by_test_id("status").filter(has_text="草稿").wait_for()

    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", service_workers="block")
    try:
        member = ctx.new_page()
        sign_in(member, server, "member")
        member.goto(f"{server.base_url}/pledges/{pledge_id}")
        member.get_by_test_id("returned").filter(has_text="请写清楚帮助多少户").wait_for()
        member.get_by_test_id("action-submit").wait_for()
    finally:
        ctx.close()


def test_a_write_the_server_refuses_is_kept_with_its_chinese_error(
    context: Any, page: Any, server: LiveServer, screenshots: Path
) -> None:
    pledge_id = published_pledge(server, "为五保户代购生活用品")
    sign_in(page, server, "member")
    page.goto(f"{server.base_url}/pledges/{pledge_id}/progress")
    page.get_by_text("承诺：为五保户代购生活用品").wait_for()
    context.set_offline(True)
    page.get_by_test_id("progress-text").locator("textarea").fill("本周代购两次。")
    page.get_by_test_id("progress-submit").click()
    page.get_by_test_id("outbox-count").filter(has_text="待发送 1 条").wait_for()
    Api(server, "secretary").act(pledge_id, "cancel", {"reason": "承诺人已外出务工"})  # meanwhile
    context.set_offline(False)
    page.get_by_test_id("outbox-count").filter(has_text="1 条需处理").wait_for()  # 409: not retried
    page.get_by_test_id("outbox-count").click()
    item = page.get_by_test_id("outbox-item")
    item.filter(has_text="未能发送").wait_for()
    assert "不能报告进展" in item.inner_text()
    page.screenshot(path=str(screenshots / "outbox-failed.png"), full_page=True)
    page.get_by_role("button", name="放弃").click()
    page.locator(".van-dialog__confirm").click()
    page.get_by_text("全部已发送").wait_for()


def test_first_sign_in_must_change_the_password(page: Any, server: LiveServer) -> None:
    secretary = Api(server, "secretary")
    me = secretary.get("/auth/me")
    branch_id = me["member"]["branch_id"]
    phone = "139" + "".join(random.choice("0123456789") for _ in range(8))
    status, body, _ = secretary.call(
        "POST",
        "/members",
        {"name": "程新民", "phone": phone, "branch_id": branch_id, "initial_password": "chu-shi-Mima-2026"},
    )
    assert status == 201, body
    page.goto(server.base_url + "/login")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", "chu-shi-Mima-2026")
    page.click("button[type=submit]")
    page.wait_for_url("**/password")
    page.get_by_text("这是您第一次登录").wait_for()
    page.goto(server.base_url + "/")  # nothing else opens before the password is changed
    page.wait_for_url("**/password")
    page.get_by_role("button", name="保存新密码").wait_for()
    fields = page.locator("input[type=password]")  # a reload keeps the one-time password (this tab only)
    assert fields.count() == 2
    fields.nth(0).fill("xin-de-Mima-9931")
    fields.nth(1).fill("xin-de-Mima-9931")
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_url(server.base_url + "/")
    page.get_by_text("，程新民").wait_for()
