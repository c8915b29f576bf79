"""The member's year-end dossier (建档): the year's pledges with their timelines, outcomes and ratings,
the published star history, no phone; for the secretary and the committee only."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.permissions import SYSTEM
from app.reports import dossier
from tests.factories import World
from tests.reports.test_stats import YEAR, town  # noqa: F401 (the hand-counted fixture)


def test_member_dossier_html_has_pledges_timeline_and_stars(world: World, town: Any, db: Session) -> None:  # noqa: F811
    title, html = dossier.member_html(db, actor=SYSTEM, member_id=world.member.member_id, year=YEAR)  # type: ignore[arg-type]
    assert title == f"党员甲 {YEAR} 年度承诺档案"
    assert html.count('<div class="pledge">') == 2  # a published and a closed one; the draft is no pledge
    assert "亮诺公示" in html
    assert "销诺" in html
    assert "已兑现" in html
    assert "满意 2 / 基本满意 1 / 不满意 1" in html
    assert "2026年第三季度" in html
    assert "★★★★★" in html
    assert world.member.phone not in html


def test_member_dossier_pdf_and_who_may_have_it(client: TestClient, world: World, town: Any) -> None:  # noqa: F811
    url = f"/api/v1/exports/dossier/members/{world.member.member_id}.pdf?year={YEAR}"
    r = client.get(url, headers=world.secretary.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    shots = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    pdf = shots / "dossier-member.pdf"  # looked at as pictures (pdftoppm)
    pdf.write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "年度承诺档案" in text
    assert client.get(url, headers=world.committee_admin.headers).status_code == 200
    assert client.get(url, headers=world.member.headers).status_code == 403
    assert client.get(url, headers=world.outsider.headers).status_code == 404
    assert client.get(url).status_code == 401
