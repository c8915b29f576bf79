"""Weak village networks: writes made offline wait in the outbox (IndexedDB) and are sent once,
automatically, when the connection returns — even when a response is lost on the way back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, published_pledge, sign_in, small_jpeg
from tests.live import LiveServer

pytestmark = pytest.mark.browser


STORED_OUTBOX = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('liangnuo-outbox')
  open.onupgradeneeded = () => open.transaction.abort() // not created yet: don't create it here
  open.onerror = () => reject(open.error)
  open.onsuccess = () => {
    const req = open.result.transaction('outbox').objectStore('outbox').getAll()
    req.onsuccess = () => resolve(req.result.map((i) => ({
      path: i.path, photos: i.form.files.length, blob: i.form.files[0].blob instanceof Blob })))
  }
})"""


def progress_reports(server: LiveServer, pledge_id: int) -> list[dict[str, Any]]:
    entries = Api(server, "member").get(f"/pledges/{pledge_id}/timeline?size=100")["items"]
    return [e for e in entries if e["kind"] == "progress"]


def test_progress_made_offline_is_queued_and_sent_once_when_online(
    context: Any, page: Any, server: LiveServer, screenshots: Path
) -> None:
    pledge_id = published_pledge(server, "清理司山组河道垃圾")
    sign_in(page, server, "member")
    page.goto(f"{server.base_url}/pledges/{pledge_id}/progress")
    page.get_by_text("承诺：清理司山组河道垃圾").wait_for()

    context.set_offline(True)
    page.get_by_text("网络已断开").wait_for()
    page.get_by_test_id("progress-text").locator("textarea").fill("河道垃圾清了一半，明天继续。")
    page.get_by_test_id("photo-input").locator("input[type=file]").set_input_files(
        files=[{"name": "river.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg("#2a6f97")}]
    )
    page.get_by_role("img", name="照片 1").wait_for()
    page.get_by_test_id("progress-submit").click()
    page.wait_for_url(f"**/pledges/{pledge_id}")
    count = page.get_by_test_id("outbox-count")
    count.filter(has_text="待发送 1 条").wait_for()
    page.get_by_test_id("pending-here").wait_for()
    page.screenshot(path=str(screenshots / "offline-pending.png"), full_page=True)
    assert progress_reports(server, pledge_id) == []

    # it waits in IndexedDB, the photo as a Blob, and is listed on the outbox page
    count.click()
    page.wait_for_url("**/outbox")
    page.get_by_test_id("outbox-item").filter(has_text="1 张照片").wait_for()
    stored = page.evaluate(STORED_OUTBOX)
    assert stored == [{"path": f"/pledges/{pledge_id}/progress", "photos": 1, "blob": True}]

    context.set_offline(False)
    count.wait_for(state="detached", timeout=15_000)
    reports = progress_reports(server, pledge_id)
    assert len(reports) == 1
    assert reports[0]["text"] == "河道垃圾清了一半，明天继续。"
    assert len(reports[0]["photos"]) == 1
    # nothing is sent twice later on
    page.wait_for_timeout(1500)
    assert len(progress_reports(server, pledge_id)) == 1


def test_a_lost_response_is_retried_with_the_same_key_and_applied_once(page: Any, server: LiveServer) -> None:
    pledge_id = published_pledge(server, "帮助困难户申请低保")
    sign_in(page, server, "member")
    keys: list[str] = []

    def lose_first_response(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        response = route.fetch()  # the server does the work …
        if len(keys) == 1:
            route.abort("connectionreset")  # … but the phone never hears back
        else:
            route.fulfill(response=response)

    page.route(f"**/api/v1/pledges/{pledge_id}/progress", lose_first_response)
    page.goto(f"{server.base_url}/pledges/{pledge_id}/progress")
    page.get_by_test_id("progress-text").locator("textarea").fill("已陪同到镇民政办递交材料。")
    page.get_by_test_id("progress-submit").click()
    page.wait_for_url(f"**/pledges/{pledge_id}")
    page.get_by_test_id("outbox-count").filter(has_text="待发送 1 条").wait_for()
    page.get_by_test_id("outbox-count").wait_for(state="detached", timeout=20_000)  # the retry got its answer
    page.get_by_test_id("tl-progress").wait_for()
    assert len(keys) == 2, keys
    assert keys[0]
    assert keys[0] == keys[1]
    assert len(progress_reports(server, pledge_id)) == 1


@pytest.mark.usefixtures("pwa_built")
def test_with_a_service_worker_the_app_starts_offline_and_shows_the_last_seen_lists(
    browser: Any, server: LiveServer
) -> None:
    pledge_id = published_pledge(server, "组织党员义务植树")
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")  # service workers allowed
    try:
        page = ctx.new_page()
        sign_in(page, server, "member")
        page.get_by_test_id(f"pledge-{pledge_id}").wait_for()
        assert page.evaluate("navigator.serviceWorker.ready.then((r) => !!r.active)")
        page.wait_for_timeout(300)  # let the lists land in IndexedDB
        ctx.set_offline(True)
        page.reload()
        page.get_by_text("网络已断开").wait_for()
        page.get_by_text("离线查看").first.wait_for()
        page.get_by_test_id(f"pledge-{pledge_id}").filter(has_text="组织党员义务植树").wait_for()
    finally:
        ctx.close()
