"""任期承诺 at 390 px: a group leader drafts a term pledge in the PWA (the term option is theirs), the
secretary vets and publishes it, and its page says from when 回头看 is possible (a third of the term in);
a term begun 400 days ago gets its 回头看 note; the group leader's pledge page shows it, the board
shows the term and the note. axe-core finds nothing serious. Screenshots in var/screenshots/term-*.png."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, sign_in
from tests.browser.test_stats_dashboard import _serious, axe_page  # noqa: F401  (the fixture)
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def _shot(page: Any, shots: Path, name: str) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / f"term-{name}.png"), full_page=True)


def test_group_leader_pledges_for_the_term_and_sees_the_review(
    server: LiveServer,
    axe_page: Any,  # noqa: F811
    screenshots: Path,
) -> None:
    page = axe_page
    sign_in(page, server, "group_leader")
    page.goto(server.base_url + "/pledges/new")
    page.locator("textarea[name=title]").fill("任期内修通组内断头路")
    page.locator("textarea[name=content]").fill("三年内把组里两条断头路修通，每季度向群众报告一次进展。")
    page.get_by_test_id("term-toggle").click()
    end = date(date.today().year + 2, 12, 31).isoformat()
    page.locator("input[name=due_date]").fill(end)
    _shot(page, screenshots, "1-form")
    assert _serious(page) == []
    page.get_by_test_id("save-submit").click()
    page.wait_for_url(re.compile(r".*/pledges/\d+$"))
    pid = int(page.url.rsplit("/", 1)[1])

    secretary = Api(server, "secretary")
    read = secretary.get(f"/pledges/{pid}")
    assert read["kind"] == "term"
    secretary.act(pid, "approve")
    secretary.act(pid, "publish")
    # begun today: 回头看 opens a third of the way in; the page says from when (the server's dates)
    read = secretary.get(f"/pledges/{pid}")
    assert "review" not in read["allowed_actions"]
    page.reload()
    window = page.get_by_test_id("review-window")
    window.wait_for()
    opens = date.fromisoformat(read["review_opens_on"])
    assert f"{opens.year}年{opens.month}月{opens.day}日" in window.inner_text()
    assert "任期过三分之一" in window.inner_text()
    _shot(page, screenshots, "2-window")

    # a term begun 400 days ago (drafted over the API): its 回头看 is open, and done
    leader = Api(server, "group_leader")
    start = date.fromordinal(date.today().toordinal() - 400)
    status, made, _ = leader.call(
        "POST",
        "/pledges",
        {
            "title": "任期内修通组内第二条路",
            "content": "任期内把组里第二条断头路修通，每季度报告一次进展。",
            "category": "post_duty",
            "kind": "term",
            "term_start": start.isoformat(),
            "due_date": end,
        },
    )
    assert status == 201, made
    pid = int(made["id"])
    leader.act(pid, "submit")
    secretary.act(pid, "approve")
    secretary.act(pid, "publish")
    assert "review" in secretary.get(f"/pledges/{pid}")["allowed_actions"]
    secretary.act(pid, "review", {"reason": "回头看：第一条路已完成路基，第二条路要抓紧选线。"})

    page.goto(f"{server.base_url}/pledges/{pid}")
    review = page.get_by_test_id("term-review")
    review.wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=term-review]').innerText.includes('第一条路')")
    assert "至" in page.get_by_test_id("term-facts").inner_text()
    assert "下一次回头看" in page.get_by_test_id("review-window").inner_text()
    _shot(page, screenshots, "3-detail")
    assert _serious(page) == []

    # the board: the term on the card, the note on the pledge page
    leader = Api(server, "group_leader").get("/auth/me")
    group = next(g["unit_id"] for g in leader["grants"] if g["role"] == "group_leader")
    board = secretary.get(f"/units/{group}/boards?size=10")["items"][0]
    page.goto(board["public_url"])
    assert "任期承诺：" in page.content()
    page.locator(f"a.pt[href*='/p/{pid}']").first.click()
    page.wait_for_url(re.compile(rf".*/p/{pid}.*"))
    assert "任期承诺回头看" in page.content()
    assert "第一条路已完成路基" in page.content()
    _shot(page, screenshots, "4-board-pledge")
    assert _serious(page) == []
