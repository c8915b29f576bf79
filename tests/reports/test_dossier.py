"""The year-end dossiers (建档): a member's (the year's pledges with their timelines, outcomes and
ratings, the published star history) and a branch's (its figures, a row per member, its collective
pledges, its level), no phone; for the secretary and the committee only."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.core.permissions import SYSTEM
from app.reports import dossier, dossier_branch
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


def test_branch_dossier_html_as_hand_counted(world: World, town: Any, db: Session) -> None:  # noqa: F811
    title, html = dossier_branch.branch_html(db, actor=SYSTEM, unit_id=world.branch.id, year=YEAR)  # type: ignore[arg-type]
    assert title == f"大洼社区党支部 {YEAR} 年度承诺档案"
    assert "测试镇党委 / 大洼社区党支部" in html
    # the statistics' figures of the branch: 4 active members, 2 with a pledge, 4 pledges (p1, p2, p4
    # and the group's collective p5), 2 closed (kept, partly), p1 overdue; villagers 2/1/0
    assert "4 名，其中 2 名做出了承诺（参与率 50%）" in html
    assert "4 项，已销诺 2 项，逾期未销诺 1 项" in html
    assert "已兑现 1 项，部分兑现 1 项，未兑现 0 项" in html
    assert "满意 2 / 基本满意 1 / 不满意 0，满意度 100%" in html
    assert '<span class="stars">★★★★★</span> ' in html  # the branch's published level
    assert "（2026年第三季度）" in html
    # one row per active member with its group
    rows = html.split('<section class="page">')[1]
    for name in ("书记", "组长", "党员甲", "监督员"):
        assert f"<td>{name}</td>" in rows
    assert "<td>党员甲</td><td>司山党小组</td>" in rows
    assert "为司山村民组换路灯" in html  # the group's collective pledge
    assert "党员乙" not in html  # another branch's member
    for persona in (world.member, world.secretary, world.outsider):
        assert persona.phone not in html


def test_branch_dossier_one_table_a_page(world: World, town: Any, db: Session, monkeypatch: Any) -> None:  # noqa: F811
    """WeasyPrint lays out one long table in more than linear time: the members come in tables of at
    most a page each (here a page of one: four members, four tables)."""
    monkeypatch.setattr(dossier_branch, "MEMBERS_PER_PAGE", 1)
    _title, html = dossier_branch.branch_html(db, actor=SYSTEM, unit_id=world.branch.id, year=YEAR)  # type: ignore[arg-type]
    assert html.count("党员承诺情况（4 名，第 ") == 4
    pages = html.split('<section class="page">')[1:]
    assert len(pages) == 4 + 1  # and the collective pledges' page
    assert all(page.count("<table>") == 1 for page in pages)


def test_branch_dossier_pdf_and_who_may_have_it(client: TestClient, world: World, town: Any) -> None:  # noqa: F811
    url = f"/api/v1/exports/dossier/units/{world.branch.id}.pdf?year={YEAR}"
    r = client.get(url, headers=world.secretary.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    shots = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    pdf = shots / "dossier-branch.pdf"  # looked at as pictures (pdftoppm)
    pdf.write_bytes(r.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "大洼社区党支部 2026 年度承诺档案" in text
    assert "党员承诺情况" in text
    assert client.get(url, headers=world.committee_admin.headers).status_code == 200
    assert client.get(url, headers=world.member.headers).status_code == 403
    assert client.get(url, headers=world.outsider.headers).status_code == 404
    assert client.get(url).status_code == 401
    town_url = f"/api/v1/exports/dossier/units/{world.town.id}.pdf?year={YEAR}"
    r = client.get(town_url, headers=world.committee_admin.headers)
    assert r.status_code == 422
    assert r.json()["code"] == "dossier_not_branch"


def test_cli_export_dossier_of_a_branch_and_a_member(world: World, town: Any, tmp_path: Path) -> None:  # noqa: F811
    path = f"{world.town.name}/{world.branch.name}"
    result = CliRunner().invoke(cli, ["export", "dossier", "--unit", path, "--year", str(YEAR), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "档案 5 份" in result.output  # the branch and its four active members
    branch_pdf = tmp_path / f"大洼社区党支部 {YEAR} 年度承诺档案.pdf"
    assert branch_pdf.read_bytes().startswith(b"%PDF")
    members = sorted(p.name for p in (tmp_path / "党员").iterdir())
    names = {"secretary": "书记", "group_leader": "组长", "member": "党员甲", "supervisor": "监督员"}
    assert members == sorted(f"{name}-{getattr(world, who).member_id}-{YEAR}.pdf" for who, name in names.items())
    one = tmp_path / "one.pdf"
    result = CliRunner().invoke(cli, ["export", "dossier", "--member", str(world.member.phone), "--out", str(one)])
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(one), "-"], capture_output=True, text=True, check=True).stdout
    assert "党员甲" in text
    bad = CliRunner().invoke(cli, ["export", "dossier", "--unit", str(world.town.id), "--out", str(tmp_path)])
    assert bad.exit_code == 1
    assert "党支部" in bad.output
    neither = CliRunner().invoke(cli, ["export", "dossier", "--out", str(tmp_path)])
    assert neither.exit_code == 2
