"""The five steps in the PWA: a member drafts and submits (报诺), the secretary approves (定诺) and
publishes (亮诺), the member reports progress with a photo (践诺)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, sign_in, small_jpeg
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def test_draft_submit_approve_publish_progress(
    browser: Any, context: Any, server: LiveServer, screenshots: Path
) -> None:
    title = "为司山组独居老人每月上门一次"
    page = context.new_page()

    # 报诺: the member drafts a pledge and submits it
    sign_in(page, server, "member")
    page.screenshot(path=str(screenshots / "home-member-empty.png"))
    page.get_by_test_id("new-pledge").click()
    page.wait_for_url("**/pledges/new")
    page.locator("textarea[name=title]").fill(title)
    page.locator("textarea[name=content]").fill("每月至少上门一次，帮助老人买药、打扫卫生，记录需求并及时反映给村委。")
    page.get_by_text("公益服务").click()  # the category's name from the server's vocabulary
    page.screenshot(path=str(screenshots / "pledge-form.png"))
    page.get_by_test_id("save-submit").click()
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    pledge_id = int(page.url.rsplit("/", 1)[1])
    page.get_by_test_id("status").filter(has_text="待审核").wait_for()
    page.goto(server.base_url + "/")
    page.get_by_test_id(f"pledge-{pledge_id}").filter(has_text="待审核").wait_for()
    page.screenshot(path=str(screenshots / "home-member.png"), full_page=True)

    # 定诺 and 亮诺: the secretary finds it in the review queue, approves it and publishes it
    sec_ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", service_workers="block")
    sec = sec_ctx.new_page()
    try:
        sign_in(sec, server, "secretary")
        summary = sec.get_by_test_id("review-summary")  # a secretary's home starts with the review counts
        summary.filter(has_text="待审核").filter(has_text="待销诺").wait_for()
        sec.screenshot(path=str(screenshots / "home-secretary.png"), full_page=True)
        sec.goto(server.base_url + "/review")
        card = sec.get_by_test_id(f"pledge-{pledge_id}")
        card.wait_for()
        sec.screenshot(path=str(screenshots / "review-queue.png"), full_page=True)
        card.click()
        sec.get_by_test_id("action-approve").click()
        sec.locator(".van-dialog__confirm").click()
        sec.get_by_test_id("status").filter(has_text="待公示").wait_for()
        sec.get_by_test_id("action-publish").click()
        sec.locator(".van-dialog__confirm").click()
        sec.get_by_test_id("status").filter(has_text="践诺中").wait_for()
    finally:
        sec_ctx.close()

    # 践诺: the member reports progress with a photo
    page.goto(f"{server.base_url}/pledges/{pledge_id}")
    page.get_by_test_id("add-progress").click()
    page.wait_for_url(f"**/pledges/{pledge_id}/progress")
    page.get_by_test_id("progress-text").locator("textarea").fill("今天上门看望了 3 户独居老人，帮王大爷修好了水管。")
    page.get_by_role("button", name="增加").click()
    page.get_by_role("button", name="增加").click()
    page.get_by_test_id("photo-input").locator("input[type=file]").set_input_files(
        files=[{"name": "visit.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg(size=(2400, 1800))}]
    )
    page.get_by_role("img", name="照片 1").wait_for()
    page.screenshot(path=str(screenshots / "progress-form.png"), full_page=True)
    page.get_by_test_id("progress-submit").click()
    page.wait_for_url(f"**/pledges/{pledge_id}")
    progress = page.get_by_test_id("tl-progress")
    progress.wait_for()
    assert "修好了水管" in progress.inner_text()
    thumb = progress.locator("img").first
    thumb.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    page.locator(".van-toast").wait_for(state="hidden")
    page.screenshot(path=str(screenshots / "pledge-detail.png"), full_page=True)

    # the server has it once, with the photo shrunk on the phone (≤ 1600 px) and 20 %
    api = Api(server, "member")
    pledge = api.get(f"/pledges/{pledge_id}")
    assert pledge["status"] == "published"
    assert pledge["percent"] == 20
    entries = api.get(f"/pledges/{pledge_id}/timeline?size=100")["items"]
    reports = [e for e in entries if e["kind"] == "progress"]
    assert len(reports) == 1
    assert len(reports[0]["photos"]) == 1
    assert max(reports[0]["photos"][0]["width"], reports[0]["photos"][0]["height"]) <= 1600
    assert [e["action"] for e in entries if e["kind"] == "event"][:3] == ["publish", "approve", "submit"]
