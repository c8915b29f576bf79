"""党员群众代表每月测评 and 季度自评 walked on phones (390 px): the branch's secretary goes from 星级评定
to the panel, adds two representatives and prints the month's slips (the PDF the screen fetched); a
slip's QR code is read off the printed page (pdftoppm + zbar, as a phone camera would); a
representative opens it without signing in, answers at 390 px and is thanked, and the slip then says
已使用; the secretary's counts show the answer; the secretary fills and submits the quarter's
self-evaluation; the committee sees panels and self-evaluations. Every screen photographed and audited
with axe-core (no serious or critical violation)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, sign_in, small_jpeg
from tests.browser.test_axe import AXE, RUN
from tests.browser.test_debrief_walk import phone
from tests.live import LiveServer
from tests.qr import decode_pdf

pytestmark = pytest.mark.browser


def look(page: Any, folder: Path, name: str, audits: list[tuple[str, Any]]) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / f"appraisal-{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    bad = [v for v in page.evaluate(RUN) if v["impact"] in ("serious", "critical")]
    audits.append((name, bad))


def test_a_self_evaluation_photo_that_waits_in_the_outbox_is_shown_again(
    browser: Any, server: LiveServer, screenshots: Path
) -> None:
    """A photo picked while the network fails waits in the outbox; the form shows it again when
    reopened (待发送) and as the server's once it has gone out."""
    audits: list[tuple[str, Any]] = []
    secretary = Api(server, "secretary")
    branch_id = next(g["unit_id"] for g in secretary.get("/auth/me")["grants"] if g["role"] == "secretary")
    with phone(browser) as page:
        sign_in(page, server, "secretary")
        page.goto(server.base_url + f"/appraisal/self/{branch_id}")
        page.get_by_test_id("points-team").locator("input").fill("18")
        page.get_by_test_id("self-save").click()
        page.get_by_test_id("self-status").filter(has_text="填写中").wait_for()
        blocked = f"**/appraisal/branches/{branch_id}/self-evaluations/**/photos"
        page.route(blocked, lambda route: route.abort())
        page.get_by_test_id("photo-team").locator("input[type=file]").set_input_files(
            files=[{"name": "meeting.jpg", "mimeType": "image/jpeg", "buffer": small_jpeg("#2a6f97")}]
        )
        waiting = page.get_by_role("img", name=re.compile("待发送照片 1$"))
        waiting.wait_for()
        page.reload()
        waiting.wait_for()
        page.get_by_text("待发送", exact=True).first.wait_for()
        look(page, screenshots, "self-photo-waiting", audits)
        page.unroute(blocked)
        page.context.set_offline(True)
        page.context.set_offline(False)  # "online": the outbox sends at once
        page.get_by_role("img", name=re.compile("佐证照片$")).wait_for()
        assert waiting.count() == 0
        look(page, screenshots, "self-photo-sent", audits)
    bad = [(name, v) for name, found in audits for v in found]
    assert not bad, bad


def test_a_month_of_slips_and_a_quarter_self_evaluation(browser: Any, server: LiveServer, screenshots: Path) -> None:
    audits: list[tuple[str, Any]] = []
    secretary = Api(server, "secretary")
    branch_id = next(g["unit_id"] for g in secretary.get("/auth/me")["grants"] if g["role"] == "secretary")
    before = {(m["month"], m["used"]) for m in secretary.get(f"/appraisal/branches/{branch_id}/slip-counts")}

    # ---- the secretary: hub → panel, two representatives, the month's slips printed
    with phone(browser) as page:
        sign_in(page, server, "secretary")
        page.goto(server.base_url + "/ratings")
        page.get_by_test_id(f"appraisal-panel-{branch_id}").click()
        page.wait_for_url(f"**/appraisal/panel/{branch_id}")
        for name, kind in (("王代表", "党员代表"), ("李联户", "群众代表")):
            page.get_by_test_id("rep-name").locator("input").fill(name)
            page.get_by_role("radio", name=kind).click()
            page.get_by_test_id("rep-add").click()
            page.get_by_text(name, exact=True).wait_for()
        look(page, screenshots, "panel", audits)
        printed: dict[str, Any] = {}

        def keep(route: Any) -> None:  # the PDF the screen fetched, kept on its way to the page
            response = route.fetch()
            printed["body"], printed["count"] = response.body(), int(response.headers["x-slip-count"])
            route.fulfill(response=response)

        page.route(f"**/appraisal/branches/{branch_id}/slips", keep)
        with page.context.expect_page() as popup:
            page.get_by_test_id("slip-print").click()
        for _ in range(120):  # WeasyPrint takes a few seconds
            if "body" in printed:
                break
            page.wait_for_timeout(250)
        popup.value.close()
        pdf = printed["body"]
        assert pdf[:4] == b"%PDF"
        count = printed["count"]
        assert count >= 2

    urls = decode_pdf(pdf, screenshots / "appraisal-slips")
    assert len(urls) == count
    assert all(u.startswith(f"{server.base_url}/t/{branch_id}/") for u in urls)

    # ---- a representative: the slip's QR code opened on a phone, no sign-in
    with phone(browser) as page:
        page.goto(urls[0])
        assert page.locator("h1").inner_text().endswith("党员群众代表测评")
        look(page, screenshots, "slip-form", audits)
        for i, choice in enumerate(("满意", "基本满意", "满意")):
            page.locator("fieldset").nth(i).get_by_label(choice, exact=True).check()
        page.get_by_role("button", name="提交测评").click()
        page.wait_for_url("**/t/done")
        assert "测评已提交" in page.content()
        look(page, screenshots, "slip-thanks", audits)
        page.goto(urls[0])
        assert "这张测评票已使用" in page.locator("h1").inner_text()
        look(page, screenshots, "slip-used", audits)
        page.goto(server.base_url + "/t")
        look(page, screenshots, "slip-entry", audits)

    # ---- the secretary: the answer counted; the quarter's self-evaluation filled and submitted
    after = secretary.get(f"/appraisal/branches/{branch_id}/slip-counts")
    assert {(m["month"], m["used"]) for m in after} != before
    assert any(m["used"] >= 1 and m["issued"] == count for m in after)
    with phone(browser) as page:
        sign_in(page, server, "secretary")
        page.goto(server.base_url + f"/appraisal/panel/{branch_id}")
        page.get_by_test_id("slip-counts").wait_for()
        look(page, screenshots, "counts", audits)
        page.goto(server.base_url + f"/appraisal/self/{branch_id}")
        page.get_by_test_id("points-team").wait_for()
        for key, value in (("team", 18), ("cadres", 17), ("mechanism", 16), ("economy", 15), ("masses", 19)):
            page.get_by_test_id(f"points-{key}").locator("input").fill(str(value))
        page.get_by_test_id("note-team").locator("textarea").fill("班子团结，每月按时开展主题党日")
        page.get_by_test_id("self-save").click()
        page.get_by_test_id("self-status").filter(has_text="填写中").wait_for()
        look(page, screenshots, "self-draft", audits)
        page.get_by_test_id("self-submit").click()
        page.get_by_test_id("self-status").filter(has_text="已提交").wait_for()
        look(page, screenshots, "self-submitted", audits)

    # ---- the committee: panels of its branches, the quarter's self-evaluations beside its assessment
    with phone(browser) as page:
        sign_in(page, server, "committee_admin")
        page.goto(server.base_url + "/ratings")
        page.get_by_test_id("appraisal-committee").click()
        page.wait_for_url("**/appraisal/committee")
        page.get_by_test_id(f"panel-{branch_id}").wait_for()
        look(page, screenshots, "committee-panels", audits)
        page.get_by_role("tab", name="季度自评").click()
        page.get_by_test_id("self-list").wait_for()
        assert "已提交" in page.get_by_test_id("self-list").inner_text()
        look(page, screenshots, "committee-self", audits)

    bad = [(name, v) for name, found in audits for v in found]
    assert not bad, bad
