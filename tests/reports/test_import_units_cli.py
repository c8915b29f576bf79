"""Org units from a file (the committee's), and `liangnuo import` from the command line: a dry run by
default, `--commit` to write, the slips written to a PDF only the operator can read."""

from __future__ import annotations

import stat
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col
from typer.testing import CliRunner

from app.cli import cli
from app.members.models import Member
from app.org.models import OrgUnit
from tests.factories import World
from tests.reports.importing import UNIT_HEADERS, member_row, post_file, problems, xlsx


def _unit(db: Session, name: str) -> OrgUnit:
    return db.execute(select(OrgUnit).where(col(OrgUnit.name) == name)).scalars().one()


def test_units_import_creates_parents_first_and_reimport_changes_nothing(
    client: TestClient, world: World, db: Session
) -> None:
    admin = world.committee_admin.headers
    bad = [
        ["第二党总支", "党总支", "测试镇党委", ""],
        ["新村党支部", "党支部", "测试镇党委/第二党总支", "2"],  # under a unit of this file
        ["东头党小组", "党小组", "新村党支部", ""],  # two levels of new units
        ["北坡党小组", "党小组", "测试镇党委/大洼社区党支部", ""],
        ["大洼社区党支部", "党支部", "测试镇党委", ""],  # exists: unchanged
        ["错组", "党小组", "测试镇党委", ""],  # a group under a committee
        ["无名", "小队", "测试镇党委", ""],  # unknown kind
        ["孤儿党小组", "党小组", "测试镇党委/没有这个党支部", ""],  # unknown parent
        ["机关党支部", "党总支", "测试镇党委", ""],  # a branch of that name is there already
    ]
    r = post_file(client, admin, xlsx(bad, headers=UNIT_HEADERS), kind="units", unit_id=world.town.id)
    assert problems(r.json()) == [
        (7, "类型", "bad_parent"),
        (8, "类型", "unknown_kind"),
        (9, "上级组织", "unknown_unit"),
        (10, "类型", "kind_mismatch"),
    ]
    good = xlsx(bad[:5], headers=UNIT_HEADERS)
    checked = post_file(client, admin, good, kind="units", unit_id=world.town.id).json()
    assert checked["ok"] is True, checked["problems"]
    assert (checked["created"], checked["unchanged"]) == (4, 1)
    done = post_file(client, admin, good, kind="units", unit_id=world.town.id, action="confirm")
    assert done.status_code == 200, done.text
    general, branch, group = _unit(db, "第二党总支"), _unit(db, "新村党支部"), _unit(db, "东头党小组")
    assert (branch.parent_id, branch.sort_order, group.parent_id) == (general.id, 2, branch.id)
    assert _unit(db, "北坡党小组").parent_id == world.branch.id
    again = post_file(client, admin, good, kind="units", unit_id=world.town.id, action="confirm").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)
    assert "没有需要更改的内容" in again["message"]


def test_cli_dry_run_then_commit(world: World, db: Session, tmp_path: Path) -> None:
    roster = tmp_path / "名册.xlsx"
    roster.write_bytes(xlsx([member_row("冯一", "13912347001"), member_row("冯二", "13912347002", group="")]))
    count = db.execute(select(func.count()).select_from(Member)).scalar_one()
    runner = CliRunner()
    dry = runner.invoke(cli, ["import", "members", str(roster), "--unit", "测试镇党委/大洼社区党支部"])
    assert dry.exit_code == 0, dry.output
    assert "检查通过" in dry.output
    assert "没有写入" in dry.output
    assert db.execute(select(func.count()).select_from(Member)).scalar_one() == count
    slips = tmp_path / "slips.pdf"
    args = ["import", "members", str(roster), "--unit", "大洼社区党支部", "--commit", "--slips", str(slips)]
    done = runner.invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert "导入完成：新增 2 人" in done.output
    assert db.execute(select(func.count()).select_from(Member)).scalar_one() == count + 2
    assert slips.read_bytes().startswith(b"%PDF")
    assert stat.S_IMODE(slips.stat().st_mode) == 0o600
    # a file with problems: the report, exit 1, nothing written
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([member_row("冯三", "123")]))
    failed = runner.invoke(cli, ["import", "members", str(bad), "--unit", str(world.branch.id), "--commit"])
    assert failed.exit_code == 1
    assert "手机号格式不正确" in failed.output
    assert db.execute(select(func.count()).select_from(Member)).scalar_one() == count + 2
    template = tmp_path / "template.xlsx"
    assert runner.invoke(cli, ["import", "template", "units", str(template)]).exit_code == 0
    assert template.read_bytes().startswith(b"PK")
