"""The dashboard (统计分析) at 390 px on the demo town: the committee drills town → branch → group →
members, the secretary sees their branch; charts have their tables; axe-core finds nothing serious.
Screenshots in var/screenshots/dashboard-*.png."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import sign_in
from tests.live import ROOT, LiveServer

pytestmark = pytest.mark.browser

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
RUN = """async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] })
  return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
}"""


@pytest.fixture
def axe_page(pwa_built: None, browser: Any) -> Any:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="block",
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,  # the injected axe only
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    ctx.close()
    assert not errors, errors


def _serious(page: Any) -> list[Any]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN)  # type: ignore[no-any-return]


def _shot(page: Any, shots: Path, name: str) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / f"dashboard-{name}.png"), full_page=True)


def _branch_dossier(page: Any) -> int:
    """At a branch (and only there) the branch's year-end dossier opens as a PDF: 1 if it did."""
    button = page.get_by_test_id("branch-dossier")
    if not button.count():
        return 0
    with page.expect_popup() as popup:
        button.click()
    popup.value.wait_for_url(lambda url: url.startswith("blob:"), wait_until="commit")
    popup.value.close()
    return 1


def test_committee_drills_down_town_branch_group(server: LiveServer, axe_page: Any, screenshots: Path) -> None:
    page = axe_page
    sign_in(page, server, "committee_admin")
    page.wait_for_url(server.base_url + "/")
    page.get_by_test_id("dashboard-link").click()
    page.wait_for_url("**/dashboard")
    title = page.get_by_test_id("dash-title")
    title.wait_for()
    assert "党委" in title.inner_text()
    assert page.get_by_test_id("branch-dossier").count() == 0  # only at a branch
    page.locator("[data-testid=by-status-chart] svg").first.wait_for()
    _shot(page, screenshots, "1-town")
    assert _serious(page) == []
    # the charts' figures as tables, for screen readers always and on screen when asked
    assert page.get_by_test_id("by-status-table").locator("tbody tr").count() >= 2
    page.get_by_test_id("dash-sort").select_option("overdue")

    branch_row = page.locator("[data-testid^=row-unit-]").first
    branch_name = branch_row.locator(".row-name").inner_text().split(" ")[0]
    branch_row.click()
    page.wait_for_function(
        "n => document.querySelector('[data-testid=dash-title]').innerText.startsWith(n)", arg=branch_name
    )
    _shot(page, screenshots, "2-branch")
    dossiers = _branch_dossier(page)

    group_row = page.locator("[data-testid^=row-unit-]").first
    group_row.click()
    page.wait_for_function("() => document.querySelector('[data-testid^=row-member-]')")
    assert page.locator("[data-testid^=row-member-]").count() >= 1
    dossiers += _branch_dossier(page)
    assert dossiers == 1  # the branch on the way down offered its dossier
    # a member's year-end dossier opens as a PDF
    with page.expect_popup() as popup:
        page.locator("[data-testid^=dossier-]").first.click()
    popup.value.wait_for_url(lambda url: url.startswith("blob:"), wait_until="commit")
    popup.value.close()
    page.get_by_test_id("dash-tables").check()
    _shot(page, screenshots, "3-group-members-tables")
    assert _serious(page) == []
    # back up through the breadcrumbs
    page.locator("[data-testid^=crumb-]").first.click()
    page.wait_for_function("() => document.querySelector('[data-testid=dash-title]').innerText.includes('党委')")


def test_secretary_sees_their_branch(server: LiveServer, axe_page: Any, screenshots: Path) -> None:
    page = axe_page
    sign_in(page, server, "secretary")
    page.wait_for_url(server.base_url + "/")
    page.goto(server.base_url + "/me")
    page.get_by_test_id("me-dashboard").click()
    title = page.get_by_test_id("dash-title")
    title.wait_for()
    assert "支部" in title.inner_text()
    page.locator("[data-testid=by-status-chart] svg").first.wait_for()
    _shot(page, screenshots, "4-secretary")
    assert _serious(page) == []
    assert _branch_dossier(page) == 1  # their branch's year-end dossier
    # the ledger of the branch, from the dashboard's button
    with page.expect_download() as got:
        page.get_by_test_id("ledger-xlsx").click()
    download = got.value
    assert download.suggested_filename.endswith("承诺台账.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "党支部"
    assert len(rows) > 1
