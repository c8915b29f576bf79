"""A 述职评议 round walked through the PWA on phones: the committee creates and opens a round from
星级评定 → 述职评议; the branch secretary writes the 述职 report with a photo (through the outbox);
the committee schedules the session and prints the branch's 代表评议票 (the PDF the screen fetched); a
slip's QR code is read off the printed page and opened on a phone without signing in, where a
representative reads the report's masked summary and scores it; the committee scores the report, sees
the combined score (committee 70%, representatives 30%), closes the round and publishes the report on
the branch's board, where villagers read its text masked and without the photo. Every screen is
photographed and audited with axe-core (no serious or critical violation)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, sign_in, small_jpeg
from tests.browser.test_axe import AXE, RUN
from tests.live import LiveServer
from tests.qr import decode_pdf

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "service_workers": "block",
    "has_touch": True,
    "is_mobile": True,
    "bypass_csp": True,  # the injected axe-core only
}
PHONE_NUMBER = "13912345678"


@contextmanager
def phone(browser: Any) -> Iterator[Any]:
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


def look(page: Any, folder: Path, name: str, audits: list[tuple[str, Any]]) -> None:
    """Photograph the screen and audit it with axe-core."""
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / f"debrief-{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    bad = [v for v in page.evaluate(RUN) if v["impact"] in ("serious", "critical")]
    audits.append((name, bad))


def print_sheet(page: Any, branch_id: int, report_id: int) -> tuple[bytes, int]:
    """Tap 打印代表评议票 and keep the PDF the screen fetched on its way to the new tab."""
    printed: dict[str, Any] = {}

    def keep(route: Any) -> None:
        response = route.fetch()
        printed["body"], printed["count"] = response.body(), int(response.headers["x-slip-count"])
        route.fulfill(response=response)

    page.route(f"**/debrief-reports/{report_id}/slips", keep)
    with page.context.expect_page() as popup:
        page.get_by_test_id(f"print-slips-{branch_id}").click()
    for _ in range(120):  # WeasyPrint takes a few seconds
        if "body" in printed:
            break
        page.wait_for_timeout(250)
    popup.value.close()
    assert printed["body"][:4] == b"%PDF"
    return printed["body"], printed["count"]


def confirm_dialog(page: Any, button: str) -> None:
    page.locator(".van-dialog").get_by_role("button", name=button).click()


def test_a_debrief_round_from_draft_to_the_board(browser: Any, server: LiveServer, screenshots: Path) -> None:
    audits: list[tuple[str, Any]] = []
    committee = Api(server, "committee_admin")
    secretary = Api(server, "secretary")
    branch_id = next(g["unit_id"] for g in secretary.get("/auth/me")["grants"] if g["role"] == "secretary")
    years = {r["year"] for r in committee.get("/debrief-rounds?size=100")["items"] if r["kind"] == "half"}
    year = next(y for y in range(date.today().year, 2000, -1) if y not in years)

    # ---- the committee: hub → 述职评议 → a new round, opened
    with phone(browser) as page:
        sign_in(page, server, "committee_admin")
        page.goto(server.base_url + "/ratings")
        page.get_by_test_id("debrief-link").click()
        page.wait_for_url("**/appraisal/debrief")
        page.get_by_text("半年述职", exact=True).click()
        page.get_by_test_id("debrief-year").fill(str(year))
        page.get_by_test_id("debrief-due").fill((date.today() + timedelta(days=5)).isoformat())
        look(page, screenshots, "committee-rounds", audits)
        page.get_by_test_id("debrief-create").click()
        page.wait_for_url(re.compile(r".*/appraisal/debrief/\d+$"))
        round_id = int(page.url.rstrip("/").split("/")[-1])
        page.get_by_test_id("round-status").filter(has_text="草稿").wait_for()
        page.get_by_test_id("action-open").click()
        confirm_dialog(page, "开始收取述职报告")
        page.get_by_test_id("round-status").filter(has_text="收取述职报告").wait_for()
        page.get_by_test_id(f"report-{branch_id}").filter(has_text="未提交").wait_for()
        page.get_by_test_id("report-counts").filter(has_text="已提交 0 /").wait_for()
        look(page, screenshots, "committee-round-open", audits)

    # ---- the secretary writes the report with a photo
    with phone(browser) as page:
        sign_in(page, server, "secretary")
        page.goto(server.base_url + "/appraisal/debrief")
        page.get_by_test_id(f"my-report-{round_id}").click()
        page.wait_for_url(re.compile(r".*/appraisal/debrief/reports/\d+$"))
        report_id = int(page.url.rstrip("/").split("/")[-1])
        text = f"上半年支部完成承诺 12 项，走访群众 86 户。联系电话 {PHONE_NUMBER}。\n下一步：抓好村务公开。"
        page.get_by_test_id("debrief-text").locator("textarea").fill(text)
        page.get_by_test_id("debrief-photo-input").locator("input[type=file]").set_input_files(
            files=[{"name": "meeting.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg()}]
        )
        page.locator(".ph img").first.wait_for()
        look(page, screenshots, "secretary-report-form", audits)
        page.get_by_test_id("debrief-submit").click()
        page.get_by_test_id("report-state").filter(has_text="已提交").wait_for()
        page.locator(".ph img[alt='附件 1']").wait_for()
        look(page, screenshots, "secretary-report-sent", audits)
    report = secretary.get(f"/debrief-reports/{report_id}")
    assert report["text"] == text
    assert len(report["attachments"]) == 1
    assert report["late"] is False

    # the branch has a panel of representatives (the secretary keeps it: test_appraisal_walk.py)
    status, _, _ = committee.call(
        "POST", f"/appraisal/branches/{branch_id}/representatives", {"name": "赵联户", "kind": "masses"}
    )
    assert status == 201

    # ---- the committee: session, the representatives' slips printed, scoring
    with phone(browser) as page:
        sign_in(page, server, "committee_admin")
        page.goto(f"{server.base_url}/appraisal/debrief/{round_id}")
        page.get_by_test_id("session-at").fill(f"{date.today() + timedelta(days=6)}T09:30")
        page.get_by_test_id("session-place").fill("镇党委三楼会议室")
        page.get_by_test_id("session-save").click()
        page.get_by_test_id("round-session").filter(has_text="镇党委三楼会议室").wait_for()
        page.get_by_test_id("action-schedule").click()
        page.get_by_test_id("round-status").filter(has_text="已安排述职会").wait_for()
        page.get_by_test_id("round-weight").filter(has_text="党员群众代表评议占 30%").wait_for()
        pdf, count = print_sheet(page, branch_id, report_id)
        page.get_by_test_id(f"slip-counts-{branch_id}").filter(has_text=f"已发 {count} 张，已收回 0 张").wait_for()
        page.wait_for_selector(".van-toast", state="hidden")  # the last step's toast gone from the picture
        look(page, screenshots, "committee-slips-printed", audits)
        page.get_by_test_id("action-start_scoring").click()
        confirm_dialog(page, "开始评议打分")
        page.get_by_test_id("round-status").filter(has_text="评议打分中").wait_for()
        page.get_by_test_id(f"score-{branch_id}").click()
        page.wait_for_url(f"**/appraisal/debrief/reports/{report_id}/score")
        for key, value in {"duty": 26, "pledges": 27, "team": 17, "masses": 18}.items():
            field = page.get_by_test_id(f"score-{key}")
            field.fill(str(value))
            field.blur()
        page.get_by_test_id("score-total").filter(has_text="合计 88 分").wait_for()
        look(page, screenshots, "committee-score", audits)
        page.get_by_test_id("score-submit").click()
        page.get_by_test_id("score-result").filter(has_text="已有 1 人评分，平均 88 分").wait_for()

    # ---- a representative: a slip's QR code read off the sheet, opened on a phone without signing in
    urls = decode_pdf(pdf, screenshots / "debrief-slips")
    assert len(urls) == count
    assert all(u.startswith(f"{server.base_url}/t/debrief/{branch_id}/") for u in urls)
    with phone(browser) as page:
        page.goto(urls[0])
        assert page.locator("h1").inner_text() == "述职评议 代表评议票"
        html = page.content()
        assert "上半年支部完成承诺 12 项" in html
        assert PHONE_NUMBER not in html
        assert "/attachments/" not in html
        look(page, screenshots, "slip-form", audits)
        for label, value in (("履职尽责", 20), ("承诺践诺", 20), ("班子建设", 15), ("群众满意", 15)):  # 70
            page.get_by_label(re.compile(label)).fill(str(value))
        page.get_by_role("button", name="提交评分").click()
        page.wait_for_url("**/t/done?of=debrief")
        assert "评议已提交" in page.locator("h1").inner_text()
        look(page, screenshots, "slip-thanks", audits)
        page.goto(urls[0])
        assert "这张评议票已使用" in page.locator("h1").inner_text()

    # ---- the committee: the combined score, then close and publish
    with phone(browser) as page:
        sign_in(page, server, "committee_admin")
        page.goto(f"{server.base_url}/appraisal/debrief/{round_id}")
        page.get_by_test_id("report-result").filter(has_text="综合 82.6 分").wait_for()  # 88 × 70% + 70 × 30%
        page.get_by_test_id("report-result").filter(has_text="代表评议 1 张，平均 70 分").wait_for()
        page.get_by_test_id(f"slip-counts-{branch_id}").filter(has_text="已收回 1 张").wait_for()
        look(page, screenshots, "committee-combined", audits)
        page.get_by_test_id("action-close").click()
        confirm_dialog(page, "结束评议")
        page.get_by_test_id("round-status").filter(has_text="已结束").wait_for()
        page.get_by_test_id(f"publish-{branch_id}").click()
        confirm_dialog(page, "公开")
        page.get_by_test_id(f"report-{branch_id}").filter(has_text="已公开").wait_for()
        look(page, screenshots, "committee-round-closed", audits)

    # ---- the secretary's own record shows the result
    with phone(browser) as page:
        sign_in(page, server, "secretary")
        page.goto(f"{server.base_url}/appraisal/debrief/reports/{report_id}")
        page.get_by_test_id("my-result").filter(has_text="评议得分 82.6 分").wait_for()
        page.get_by_test_id("my-result-rule").filter(has_text="党委成员评分占 70%，党员群众代表评议占 30%").wait_for()
        look(page, screenshots, "secretary-result", audits)
        page.goto(f"{server.base_url}/appraisal/debrief")
        page.get_by_text("综合得分 82.6 分（党委成员 1 人评分 88 分，代表评议 1 张 70 分）").wait_for()
        look(page, screenshots, "secretary-record", audits)

    # ---- the villagers: the branch's board shows the text, masked, without the photo
    boards = committee.get(f"/boards?unit_id={branch_id}&kind=pledges&size=100")["items"]
    board = next(b for b in boards if b["kind"] == "pledges" and b["unit_id"] == branch_id)
    with phone(browser) as page:
        page.goto(board["public_url"])
        section = page.locator("h2", has_text="支部书记述职")
        section.wait_for()
        html = page.content()
        assert "上半年支部完成承诺 12 项" in html
        assert PHONE_NUMBER not in html
        assert "/attachments/" not in html
        section.scroll_into_view_if_needed()
        page.locator("section.card", has_text="上半年支部完成承诺").first.screenshot(
            path=str(screenshots / "debrief-board-section.png")
        )
        page.screenshot(path=str(screenshots / "debrief-board.png"), full_page=True)
        page.add_script_tag(path=str(AXE))
        audits.append(("board", [v for v in page.evaluate(RUN) if v["impact"] in ("serious", "critical")]))

    bad = [(name, v["id"], v["nodes"]) for name, found in audits for v in found]
    assert not bad, bad
