"""The group leader's 党小组情况 and the member's 我的公示牌 at phone size (issue 9), and the newcomer's
printout: `make run`'s logins and board URLs, and the README's persona table that must match them.

Each screen is reached by tapping from 我的 as the person who uses it, screenshotted to $LN_SHOTS
(default var/screenshots) for a person to look at, and audited with axe-core (no serious or critical
violation).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, small_jpeg
from tests.live import ROOT, LiveServer

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] })
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
}"""
PHOTO_SHOWN = "() => { const i = document.querySelector('.preview img.photo'); return i && i.naturalWidth > 0 }"


def _shots(default: Path) -> Path:
    out = Path(os.environ.get("LN_SHOTS") or default)
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def new_page(pwa_built: None, browser: Any) -> Iterator[Any]:
    """A fresh phone-sized profile per person (the CSP is bypassed only to inject axe-core)."""
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


def _axe(page: Any) -> None:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN)
    assert not violations, violations


def _as(page: Any, server: LiveServer, role: str) -> None:
    acc = server.account(role)
    page.goto(server.base_url + "/login")
    page.fill("input[name=phone]", acc["phone"])
    page.fill("input[name=password]", acc["password"])
    page.click("button[type=submit]")
    page.wait_for_url(server.base_url + "/")


def _from_me(page: Any, server: LiveServer, testid: str, path: str) -> None:
    page.goto(server.base_url + "/me")
    page.get_by_test_id(testid).click()
    page.wait_for_url(server.base_url + path)


def test_group_leader_sees_who_pledged_and_reported_and_the_groups_qr(
    server: LiveServer, new_page: Any, screenshots: Path
) -> None:
    shots = _shots(screenshots)
    api = Api(server, "group_leader")
    group_id = next(g["unit_id"] for g in api.get("/auth/me")["grants"] if g["role"] == "group_leader")
    expected = api.get(f"/units/{group_id}/pledge-status")

    page = new_page()
    _as(page, server, "group_leader")
    _from_me(page, server, "me-group", "/group")
    summary = page.get_by_test_id("group-summary")
    summary.wait_for()
    text = summary.inner_text()
    assert "司山党小组" in text
    assert str(expected["members"]) in text
    assert "今年已承诺" in text
    assert "本月报告进展" in text
    first = expected["items"][0]
    row = page.get_by_test_id(f"member-{first['member_id']}")
    row.wait_for()
    assert first["name"] in row.inner_text()
    page.get_by_test_id("board-link-0").wait_for()
    assert "司山党小组" in page.get_by_test_id("board-link-0").inner_text()
    page.wait_for_timeout(400)
    page.screenshot(path=str(shots / "group-leader-group-status.png"), full_page=True)
    _axe(page)

    # those who have not reported this month, counted over the whole group
    page.get_by_test_id("filter-report").click()
    page.wait_for_timeout(600)
    missing = api.get(f"/units/{group_id}/pledge-status?missing=report")
    names = page.locator(".member .name").all_inner_texts()
    assert names == [m["name"] for m in missing["items"]][: len(names)]
    assert all("本月未报告" in t for t in page.locator(".member").all_inner_texts())

    # the group's board: its QR code full screen, to show a neighbour
    page.get_by_test_id("board-qr-0").click()
    full = page.get_by_test_id("qr-fullscreen")
    full.wait_for()
    img = full.locator("img")
    assert "/qr.svg" in (img.get_attribute("src") or "")
    page.wait_for_function("() => document.querySelector('[data-testid=qr-fullscreen] img').naturalWidth > 0")
    page.wait_for_timeout(400)
    page.screenshot(path=str(shots / "group-leader-board-qr-fullscreen.png"))
    page.get_by_test_id("qr-close").click()
    full.wait_for(state="hidden")


def test_member_sees_their_board_their_public_card_and_uploads_a_photo(
    server: LiveServer, new_page: Any, screenshots: Path, tmp_path: Path
) -> None:
    shots = _shots(screenshots)
    api = Api(server, "member")
    mine = api.get("/my-boards")
    assert mine["consent"] is True
    assert mine["boards"]
    assert mine["boards"][0]["shown"] is True

    page = new_page()
    _as(page, server, "member")
    _from_me(page, server, "me-my-board", "/my-board")
    card = page.get_by_test_id("public-card")
    card.wait_for()
    page.get_by_text(mine["card"]["name"], exact=False).first.wait_for()
    text = card.inner_text()
    assert mine["card"]["post"] in text
    for p in mine["card"]["pledges"][:3]:
        assert p["title"] in text
    # nothing private: the member's phone is nowhere on the screen
    assert server.account("member")["phone"] not in page.content()
    board = page.get_by_test_id("board-link-0")
    assert "公示牌上有您" in board.inner_text()
    page.wait_for_timeout(400)
    page.screenshot(path=str(shots / "member-my-board.png"), full_page=True)
    _axe(page)

    # the QR code to show a neighbour, full screen
    page.get_by_test_id("board-qr-0").click()
    page.get_by_test_id("qr-fullscreen").wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=qr-fullscreen] img').naturalWidth > 0")
    page.wait_for_timeout(400)
    page.screenshot(path=str(shots / "member-board-qr-fullscreen.png"))
    _axe(page)
    page.get_by_test_id("qr-close").click()

    # a photo of their own, through the outbox; the card then shows it as the board does
    photo = tmp_path / "me.jpg"
    photo.write_bytes(small_jpeg("#2a6f97", (480, 640)))
    page.get_by_test_id("photo-input").set_input_files(str(photo))
    page.get_by_text("照片已更新").wait_for()
    page.wait_for_function(PHOTO_SHOWN)
    src = page.locator(".preview img.photo").get_attribute("src") or ""
    assert re.search(r"/b/[^/]+/img/[0-9a-f]{64}\.jpg$", src), src
    assert api.get("/my-boards")["has_photo"] is True
    page.locator(".preview").scroll_into_view_if_needed()
    page.wait_for_timeout(2500)  # the toast gone
    page.screenshot(path=str(shots / "member-my-board-with-photo.png"))
    # the board villagers see has the same photo
    with urllib.request.urlopen(server.base_url + src, timeout=10) as r:  # noqa: S310
        assert r.status == 200


def _readme_personas() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| 角色 | role | 姓名 | 手机号 |") :]
    rows = []
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
        rows.append(cells[:5])
    return rows


def test_make_runs_printout_matches_the_readme_and_its_boards_open(server: LiveServer) -> None:
    out = subprocess.run(
        [sys.executable, "scripts/print_demo_logins.py", str(server.var_dir / "accounts.json"), server.base_url],
        cwd=ROOT,
        env={**os.environ, **server.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    printed = []
    for line in out.splitlines():
        m = re.match(r"^  (\S+)\s+(\w+)\s+(\S+)\s+(\d{11}) / \S+\s+(\S+)$", line)
        if m:
            printed.append(list(m.groups()))
    assert printed == _readme_personas(), out
    board = re.search(r"公示牌（群众扫码看到的页面）：(\S+)\s+(\S+/b/\S+)", out)
    stars = re.search(r"创星榜（已公布的星级）：(\S+)\s+(\S+/s/\S+)", out)
    assert board, out
    assert stars, out
    assert board.group(1) == "司山党小组党员公开承诺公示牌"
    for url in (board.group(2), stars.group(2)):
        with urllib.request.urlopen(url, timeout=15) as r:  # noqa: S310
            assert r.status == 200
            assert "text/html" in r.headers["Content-Type"]
