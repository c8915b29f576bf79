"""双报到 and 结对帮扶 (issue 13) walked at 390 px on the demo town: a member asks to register in another
community, that community's secretary accepts, the member pledges to the community; the member's
pairings (private details), a new pairing and a visit; the secretary's register and the committee's
counts; the boards show 报到党员 and 结对帮扶 N 户 but no household. Screenshots in
var/screenshots/pairing-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.browser.helpers import Api, sign_in
from tests.live import ROOT, LiveServer

pytestmark = pytest.mark.browser

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] })
  return r.violations.filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
}"""


@pytest.fixture
def new_page(pwa_built: None, browser: Any) -> Iterator[Any]:
    """Fresh phone-sized profiles, one per person (the CSP is bypassed only to inject axe-core)."""
    contexts: list[Any] = []
    errors: list[str] = []

    def make() -> Any:
        ctx = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            service_workers="block",
            is_mobile=True,
            has_touch=True,
            bypass_csp=True,
        )
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.on("pageerror", lambda e: errors.append(str(e)))
        return pg

    try:
        yield make
    finally:
        for ctx in contexts:
            ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def _shot(page: Any, shots: Path, name: str) -> None:
    """A screenshot for a person to look at, and axe-core: nothing serious or critical."""
    page.wait_for_timeout(2400)  # a success toast has faded (it would cover the screen in the picture)
    page.screenshot(path=str(shots / f"pairing-{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN)
    assert not violations, (name, violations)


def _open_from_me(page: Any, server: LiveServer, testid: str, url: str) -> None:
    page.goto(server.base_url + "/me")
    page.get_by_test_id(testid).click()
    page.wait_for_url("**" + url)


def test_member_registers_in_a_community_and_its_secretary_accepts(
    server: LiveServer, new_page: Any, screenshots: Path
) -> None:
    # its name as it is now (another walk on this server may have renamed a branch)
    grants = Api(server, "other_secretary").get("/auth/me")["grants"]
    community = next(g["unit_name"] for g in grants if g["role"] == "secretary")
    page = new_page()
    sign_in(page, server, "member")
    _open_from_me(page, server, "me-registrations", "/registrations")
    page.get_by_test_id("registration-branch").select_option(label=community)
    page.get_by_test_id("registration-note").locator("input").fill("在县城上班，周末可参加社区服务")
    page.get_by_test_id("registration-ask").click()
    card = page.locator("[data-testid^=reg-card-]").filter(has_text=community).first
    card.wait_for()
    assert "待社区确认" in card.inner_text()
    _shot(page, screenshots, "1-member-request")

    other = new_page()
    sign_in(other, server, "other_secretary")
    _open_from_me(other, server, "me-registrations", "/registrations")
    other.get_by_role("tab", name="社区报到党员").click()
    member_name = server.account("member")["name"]
    row = other.locator("[data-testid^=community-registration-]").filter(has_text=member_name).first
    row.wait_for()
    _shot(other, screenshots, "2-community-requests")
    row.get_by_test_id("registration-accept").click()
    other.get_by_role("button", name="确定").click()
    other.locator("[data-testid^=community-registration-]").filter(has_text=member_name).filter(
        has_text="已报到"
    ).first.wait_for()
    _shot(other, screenshots, "3-community-accepted")

    page.reload()
    card = page.locator("[data-testid^=reg-card-]").filter(has_text=community).first
    card.get_by_test_id("registration-pledge").click()
    page.get_by_test_id("registration-pledge-title").locator("input").fill("每月参加一次社区环境整治")
    page.get_by_test_id("registration-pledge-content").locator("textarea").fill(
        "每月第一个周六到社区参加环境卫生整治。"
    )
    _shot(page, screenshots, "4-pledge-to-community")
    page.get_by_role("button", name="保存草稿").click()
    page.wait_for_url("**/pledges/*")
    page.get_by_text("每月参加一次社区环境整治").first.wait_for()
    _shot(page, screenshots, "5-community-pledge-draft")
    pledge_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    # vetted by the community's secretary, not the member's own
    status, _, _ = Api(server, "secretary").call("GET", f"/pledges/{pledge_id}")
    assert status == 404
    status, body, _ = Api(server, "other_secretary").call("GET", f"/pledges/{pledge_id}")
    assert status == 200, body


def test_pairings_visits_register_counts_and_the_boards(server: LiveServer, new_page: Any, screenshots: Path) -> None:
    engine = create_engine(server.env["LIANGNUO_DATABASE_URL"])
    with engine.connect() as conn:
        households = {h for (h,) in conn.execute(text("SELECT household_name FROM pairing"))}
    engine.dispose()
    page = new_page()
    sign_in(page, server, "member")
    _open_from_me(page, server, "me-pairings", "/pairings")
    cards = page.locator("[data-testid^=pairing-card-]").filter(has_text="结对中")
    cards.first.wait_for()
    assert cards.count() == 2
    _shot(page, screenshots, "6-member-pairings")
    # a new pairing
    page.get_by_test_id("pairing-household").locator("input").fill("檀秋月户")
    page.get_by_test_id("pairing-group").locator("input").fill("七组")
    page.get_by_test_id("pairing-needs").locator("textarea").fill("独居老人，需要定期看望")
    page.get_by_test_id("pairing-add").click()
    page.locator("[data-testid^=pairing-card-]").filter(has_text="檀秋月户").first.wait_for()
    # a visit on the pairing that has a published pledge; its name in the text is refused
    with_pledge = page.locator("[data-testid^=pairing-card-]").filter(has_text="结对帮扶承诺 1 项").first
    with_pledge.get_by_test_id("pairing-visit").click()
    page.get_by_test_id("pairing-visit-text").locator("textarea").fill("帮助联系了村医上门看病")
    _shot(page, screenshots, "7-visit")
    page.get_by_role("button", name="记录", exact=True).click()
    page.locator("[data-testid^=pairing-card-]").filter(has_text="走访 2 次").first.wait_for()
    _shot(page, screenshots, "8-after-visit")

    sec = new_page()
    sign_in(sec, server, "secretary")
    _open_from_me(sec, server, "me-pairings", "/pairings")
    sec.get_by_role("tab", name="结对台账").click()
    sec.get_by_test_id("pairing-counts").wait_for()
    sec.locator("[data-testid^=pairing-card-]").filter(has_text="檀秋月户").first.wait_for()
    _shot(sec, screenshots, "9-secretary-register")

    com = new_page()
    sign_in(com, server, "committee_admin")
    _open_from_me(com, server, "me-pairings", "/pairings")
    com.get_by_role("tab", name="结对台账").click()
    table = com.get_by_test_id("pairing-counts")
    table.wait_for()
    assert table.locator("tbody tr").count() >= 30
    _shot(com, screenshots, "10-committee-counts")

    # the boards: 结对帮扶 N 户 and 报到党员, never a household
    # the branch's board, by its id: another walk on this server may have renamed the branch or taken
    # its board down (then a new one is put up, as a secretary would)
    secretary = Api(server, "secretary")
    branch_id = next(g["unit_id"] for g in secretary.get("/auth/me")["grants"] if g["role"] == "secretary")
    boards = secretary.get(f"/boards?unit_id={branch_id}&kind=pledges&size=100")["items"]
    branch_board = next((b["public_url"] for b in boards if b["unit_id"] == branch_id), None)
    if branch_board is None:
        status, made, _ = secretary.call("POST", "/boards", {"unit_id": branch_id})
        assert status == 201, (status, made)
        branch_board = made["public_url"]
    board = new_page()
    board.goto(branch_board)
    board.get_by_text("报到党员 · 向社区作承诺").wait_for()
    html = board.content()
    assert "结对帮扶 3 户" in html
    assert "到本社区报到" in html
    leaked = [h for h in households | {"檀秋月户"} if h in html]
    assert not leaked
    _shot(board, screenshots, "11-branch-board")
