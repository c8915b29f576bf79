"""The pledge ledger and the member roster as xlsx and CSV: rows as hand-counted, formula injection
escaped, phones only for who may see them, the same from `liangnuo export`."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.pledges.models import PledgeStatus
from app.reports.ledger import HEADER
from app.reports.sheets import cell_text
from tests.factories import World
from tests.pledges.factories import add_progress, member_pledge
from tests.reports.test_stats import YEAR, town  # noqa: F401 (the hand-counted fixture)

API = "/api/v1"


def _xlsx(content: bytes) -> list[list[Any]]:
    ws = load_workbook(io.BytesIO(content), read_only=True).active
    return [list(r) for r in ws.iter_rows(values_only=True)]  # type: ignore[union-attr]


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # Excel's UTF-8 mark
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_cell_text_escapes_what_a_spreadsheet_would_run() -> None:
    for hostile in ("=1+1", "+86", "-2", "@SUM(A1)", "\t=x", "\r=x"):
        assert cell_text(hostile) == "'" + hostile
    assert cell_text("平安=幸福") == "平安=幸福"
    assert (cell_text(None), cell_text(3), cell_text(True)) == ("", 3, "是")


def test_ledger_xlsx_and_csv_rows_as_counted(client: TestClient, world: World, town: Any, db: Session) -> None:  # noqa: F811
    hostile = member_pledge(world, status=PledgeStatus.published, year=YEAR, title='=HYPERLINK("x","点我")')
    add_progress(db, hostile, text="-已走访 3 户")
    params = {"unit_id": world.town.id, "year": YEAR}
    r = client.get(f"{API}/exports/ledger", params=params, headers=world.committee_admin.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    rows = _xlsx(r.content)
    assert rows[0] == HEADER
    body = rows[1:]
    assert len(body) == 6  # the 5 made pledges of the hand count + the hostile one; drafts, withdrawn, last year out
    by_title = {row[HEADER.index("承诺事项")]: row for row in body}
    evil = by_title['\'=HYPERLINK("x","点我")']
    assert evil[HEADER.index("最近进展")] == "'-已走访 3 户"
    assert evil[HEADER.index("进展次数")] == 1
    p1 = next(r for r in body if r[HEADER.index("是否逾期")] == "是")
    assert p1[HEADER.index("状态")] == "践诺中"
    assert (p1[HEADER.index("群众满意")], p1[HEADER.index("基本满意")], p1[HEADER.index("不满意")]) == (2, 1, 1)
    # ^ every counted rating of the pledge, whatever the quarter (as the close dialog counts); flagged ones not
    assert p1[HEADER.index("党支部")] == world.branch.name
    assert p1[HEADER.index("党小组")] == world.group.name
    assert p1[HEADER.index("承诺期限")].date() == date(YEAR, 1, 31)
    outcomes = sorted(r[HEADER.index("兑现结果")] or "" for r in body)
    assert outcomes == ["", "", "", "已兑现", "未兑现", "部分兑现"]
    assert sorted(r[HEADER.index("个人/集体")] for r in body).count("集体") == 1

    r = client.get(f"{API}/exports/ledger", params={**params, "format": "csv"}, headers=world.committee_admin.headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows_csv = _csv(r.content)
    assert rows_csv[0] == HEADER
    assert len(rows_csv) == 7
    assert any(row[HEADER.index("承诺事项")] == '\'=HYPERLINK("x","点我")' for row in rows_csv)

    # the secretary: their branch only
    mine = _xlsx(client.get(f"{API}/exports/ledger", params={"year": YEAR}, headers=world.secretary.headers).content)
    assert len(mine) - 1 == 5
    assert {row[0] for row in mine[1:]} == {world.branch.name}


def test_roster_phones_only_for_those_allowed(client: TestClient, world: World) -> None:
    def roster(persona: Any, unit_id: int) -> dict[str, list[Any]]:
        r = client.get(f"{API}/exports/roster", params={"unit_id": unit_id, "format": "csv"}, headers=persona.headers)
        assert r.status_code == 200, r.text
        rows = _csv(r.content)
        assert rows[0][:4] == ["姓名", "性别", "手机号", "党支部"]
        return {row[0]: row for row in rows[1:]}

    by_secretary = roster(world.secretary, world.branch.id)  # type: ignore[arg-type]
    assert set(by_secretary) == {"书记", "组长", "党员甲", "监督员"}
    assert by_secretary["党员甲"][2] == world.member.phone
    assert by_secretary["党员甲"][3] == f"{world.town.name}/{world.branch.name}"
    assert by_secretary["党员甲"][4] == world.group.name
    by_member = roster(world.member, world.branch.id)  # type: ignore[arg-type]
    assert by_member["党员甲"][2] == world.member.phone  # their own
    assert by_member["组长"][2] == ""
    by_leader = roster(world.group_leader, world.group.id)  # type: ignore[arg-type]
    assert set(by_leader) == {"书记", "组长", "党员甲"}
    assert by_leader["书记"][2] == ""
    assert by_leader["书记"][3] == f"{world.town.name}/{world.branch.name}"
    by_committee = roster(world.committee_admin, world.town.id)  # type: ignore[arg-type]
    assert len(by_committee) == 6
    assert all(row[2] for row in by_committee.values())


def test_cli_export_ledger_and_roster(world: World, town: Any, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "台账.xlsx"
    result = CliRunner().invoke(
        cli, ["export", "ledger", "--unit", str(world.branch.id), "--year", str(YEAR), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "4 行" in result.output
    assert len(_xlsx(out.read_bytes())) == 5
    csv_out = tmp_path / "名册.csv"
    result = CliRunner().invoke(cli, ["export", "roster", "--unit", world.town.name, "--out", str(csv_out)])
    assert result.exit_code == 0, result.output
    assert len(_csv(csv_out.read_bytes())) == 7
    bad = CliRunner().invoke(cli, ["export", "ledger", "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2
    assert "xlsx" in bad.output
