"""axe-core on every PWA screen (as the persona who uses it) and every kind of public page (issue 9).

axe-core (frontend/node_modules/axe-core, a dev dependency of the PWA) is injected into each page;
no violation of serious or critical impact may remain, and each PWA screen has one main landmark
and one h1. The figures per screen are written to $LN_SHOTS/axe.json for the closing note.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import Api, published_pledge, sign_in
from tests.live import ROOT, LiveServer

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"

RUN = """async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] })
  return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))
}"""


# the page's fetches in flight, so that a screen reached inside the app is audited once its data is in
COUNT_FETCHES = """(() => {
  let n = 0
  const f = window.fetch.bind(window)
  window.__inflight = () => n
  window.fetch = (...args) => { n += 1; return f(...args).finally(() => { n -= 1 }) }
})()"""

# a screen of the PWA reached as the app reaches it (its router on popstate), without reloading it
GO = """(path) => {
  history.pushState({}, '', path)
  dispatchEvent(new PopStateEvent('popstate', { state: history.state }))
}"""

SETTLED = """() => window.__inflight() === 0 && document.readyState === 'complete'"""


@pytest.fixture
def new_page(pwa_built: None, browser: Any) -> Iterator[Any]:
    """A factory of fresh phone-sized profiles (one per persona)."""
    if not AXE.exists():
        pytest.fail("frontend/node_modules/axe-core is missing: run `make frontend` (npm ci)")
    contexts: list[Any] = []

    def make() -> Any:
        # the CSP forbids inline scripts, as it should: the injected axe needs it bypassed in tests only
        ctx = browser.new_context(
            viewport={"width": 390, "height": 844},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            service_workers="block",
            is_mobile=True,
            has_touch=True,
            bypass_csp=True,
        )
        ctx.set_default_timeout(15_000)
        ctx.add_init_script(script=COUNT_FETCHES)
        contexts.append(ctx)
        return ctx.new_page()

    try:
        yield make
    finally:
        for ctx in contexts:
            ctx.close()


def _audit(page: Any, url: str, *, pwa: bool) -> dict[str, Any]:
    """A public page is loaded; a screen of the PWA is reached by the app's own router from the one
    before (as a user taps through it), so the app and axe load once per persona."""
    if pwa and page.evaluate("typeof window.axe") == "object":
        path = "/" + url.split("/", 3)[3]
        page.evaluate(GO, path)
        page.wait_for_function(f"() => location.pathname + location.search === {json.dumps(path)}")
        page.wait_for_timeout(150)
        page.wait_for_function(SETTLED)
        page.wait_for_timeout(150)
        page.wait_for_function(SETTLED)
    else:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(400)
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN)
    out: dict[str, Any] = {"url": url, "violations": violations}
    if pwa:
        out["main"] = page.locator("main").count()
        out["h1"] = page.locator("h1").count()
        out["title"] = page.title()
    return out


def _screens(server: LiveServer) -> dict[str, list[str]]:
    member_pledge = published_pledge(server, "axe 走一遍的承诺")
    secretary = Api(server, "secretary")
    member_id = secretary.get("/members?size=1")["items"][0]["id"]
    branch_id = next(g["unit_id"] for g in secretary.get("/auth/me")["grants"] if g["role"] == "secretary")
    me_id, year = Api(server, "member").get("/auth/me")["member"]["id"], date.today().year  # 承诺书
    return {
        "member": [
            "/",
            "/pledges?mine=1",
            f"/pledges/{member_pledge}",
            f"/pledges/{member_pledge}/progress",
            "/pledges/new",
            f"/documents/{me_id}/{year}",
            "/notifications",
            "/outbox",
            "/me",
            "/org",
            "/ratings",
            "/ratings/mine",
            "/my-board",
            "/password",
            "/registrations",
            "/pairings",
        ],
        "secretary": [
            "/",
            "/review",
            "/pledges",
            "/members",
            f"/members/{member_id}",
            f"/history/members/{member_id}",
            "/members/new",
            "/import",
            "/boards",
            "/moderation",
            "/flags",
            "/group",
            "/coverage",
            "/org",
            "/appraisal/tiers",
            f"/appraisal/panel/{branch_id}",
            f"/appraisal/self/{branch_id}",
            f"/pledges/{member_pledge}",
            "/posts",
            "/documents",
            f"/documents/{member_id}/{year}",
            "/appraisal/debrief",
            "/registrations",
            "/pairings",
        ],
        "supervisor": ["/", "/pledges", "/flags?mine=1", "/me"],
        "group_leader": ["/", "/group", "/coverage", "/my-board"],
        "committee_admin": [
            "/",
            "/org",
            f"/history/members/{member_id}",
            "/ratings",
            "/review",
            "/boards",
            "/members",
            "/import",
            "/pledges",
            "/moderation",
            "/coverage",
            "/pairings",
            "/appraisal/tiers",
            "/appraisal/ranking",
            "/appraisal/debrief",
            "/appraisal/committee",
        ],
    }


def _public_pages(server: LiveServer, page: Any) -> list[str]:
    boards = Api(server, "committee_admin").get("/boards?size=100")["items"]
    board = next(b["public_url"] for b in boards if b["kind"] == "pledges")
    urls = [board, board + "?big=1"]
    page.goto(board)
    href = page.locator("a[href*='/p/']").first.get_attribute("href", timeout=5000) or ""
    urls.append(server.base_url + href if href.startswith("/") else href)
    stars = [b["public_url"] for b in boards if b["kind"] == "stars"]
    urls.extend(stars[:1])
    urls.append(_ranking_url(server))
    return urls


def _ranking_url(server: LiveServer) -> str:
    """The town's 比学赶超 ranking of this year, published for the audit (or as published before)."""
    committee = Api(server, "committee_admin")
    town = next(g["unit_id"] for g in committee.get("/auth/me")["grants"] if g["role"] == "committee_admin")
    year = date.today().year
    status, body, _ = committee.call("POST", "/rankings", {"unit_id": town, "year": year})
    if status == 201:
        return str(body["url"])
    return str(next(p["url"] for p in committee.get("/rankings?size=50")["items"] if p["year"] == year))


def test_every_screen_and_public_page_has_no_serious_axe_violation(server: LiveServer, new_page: Any) -> None:
    page = new_page()
    results: list[dict[str, Any]] = []
    results.append({"persona": "anonymous", **_audit(page, server.base_url + "/login", pwa=True)})
    for persona, paths in _screens(server).items():
        page = new_page()
        sign_in(page, server, persona)
        for path in paths:
            results.append({"persona": persona, **_audit(page, server.base_url + path, pwa=True)})
    page = new_page()
    for url in _public_pages(server, page):
        results.append({"persona": "villager", **_audit(page, url, pwa=False)})

    shots = Path(os.environ.get("LN_SHOTS") or ROOT / "var" / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    (shots / "axe.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")

    bad = [
        (r["persona"], r["url"], v["id"], v["impact"], v["nodes"])
        for r in results
        for v in r["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    landmarks = [
        (r["persona"], r["url"], r["main"], r["h1"])
        for r in results
        if "main" in r and (r["main"] != 1 or r["h1"] != 1)
    ]
    assert not bad, "\n".join(map(str, bad))
    assert not landmarks, landmarks
    assert len({r["url"] for r in results if r["persona"] == "villager"}) >= 3
