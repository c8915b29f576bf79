"""The `liangnuo` CLI: migrate, check, seed-demo (the 平山镇 demo town), create-admin."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col
from typer.testing import CliRunner

from app import demo
from app.cli import cli
from app.core import db as core_db
from app.core.config import settings
from app.core.db import make_engine
from app.core.schema import alembic_config
from app.core.security import verify_password
from app.members.models import Member
from app.org.models import OrgUnit
from tests.factories import World, login, password_hash

ROOT = Path(__file__).resolve().parents[1]
LIANGNUO = Path(sys.executable).parent / "liangnuo"


@dataclass
class Town:
    db_path: Path
    accounts_json: Path
    accounts: list[dict[str, str]]
    runs: dict[str, subprocess.CompletedProcess[str]]
    migrate: Result

    def query(self, sql: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()


def _env(tmp: Path, db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGNUO_")}
    env.update(
        LIANGNUO_DATABASE_URL=f"sqlite:///{db_path}",
        LIANGNUO_VAR_DIR=str(tmp / "var"),
        LIANGNUO_LOG_LEVEL="WARNING",
        COLUMNS="200",
    )
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LIANGNUO), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Town:
    """The demo town in a temp SQLite file: `migrate` (in-process), then `seed-demo` as a real process."""
    tmp = tmp_path_factory.mktemp("town")
    db_path, accounts_json = tmp / "town.db", tmp / "out" / "demo-accounts.json"
    with pytest.MonkeyPatch.context() as patch:  # `migrate` reads the same settings as everything else
        patch.setattr(settings, "database_url", f"sqlite:///{db_path}")
        migrate = CliRunner().invoke(cli, ["migrate"])
    runs = {"seed-demo": _run(_env(tmp, db_path), "seed-demo", "--accounts-json", str(accounts_json))}
    accounts = json.loads(accounts_json.read_text(encoding="utf-8")) if accounts_json.exists() else []
    return Town(db_path=db_path, accounts_json=accounts_json, accounts=accounts, runs=runs, migrate=migrate)


def test_console_script_is_installed() -> None:
    assert LIANGNUO.exists()
    run = subprocess.run([str(LIANGNUO), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0
    for command in ("serve", "migrate", "create-admin", "seed-demo", "check"):
        assert command in run.stdout


def test_migrate(town: Town) -> None:
    assert town.migrate.exit_code == 0, town.migrate.output
    assert "数据库结构已是最新" in town.migrate.output
    assert town.query("SELECT version_num FROM alembic_version") == [
        (ScriptDirectory.from_config(alembic_config()).get_current_head(),)
    ]


def test_check_on_an_unmigrated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setattr(core_db, "engine", empty)
    result = CliRunner().invoke(cli, ["check"])
    empty.dispose()
    assert result.exit_code == 1
    assert "需要迁移" in result.output


def test_seed_demo_builds_the_town(town: Town) -> None:
    run = town.runs["seed-demo"]
    assert run.returncode == 0, run.stdout + run.stderr
    kinds = dict(town.query("SELECT kind, count(*) FROM org_unit GROUP BY kind"))
    assert kinds == {"committee": 1, "general_branch": 1, "branch": 37, "group": kinds["group"]}
    assert 50 <= kinds["group"] <= 55
    (members,) = town.query("SELECT count(*) FROM member")[0]
    assert 1440 <= members <= 1480
    # every group belongs to a branch; every member to a branch, and their group to that branch
    assert town.query(
        "SELECT count(*) FROM org_unit g JOIN org_unit b ON g.parent_id = b.id WHERE g.kind='group' AND b.kind='branch'"
    ) == [(kinds["group"],)]
    assert town.query(
        "SELECT count(*) FROM member m JOIN org_unit g ON m.group_id = g.id WHERE g.parent_id != m.branch_id"
    ) == [(0,)]
    names = [name for (name,) in town.query("SELECT name FROM member")]
    assert all(2 <= len(n) <= 3 and all("\u4e00" <= ch <= "\u9fff" for ch in n) for n in names)
    assert len(set(names)) > 800  # realistic: many different names, some repeated


def test_seed_demo_accounts_json(town: Town) -> None:
    assert stat.S_IMODE(town.accounts_json.stat().st_mode) == 0o600
    roles = {a["role"] for a in town.accounts}
    assert roles >= {"committee_admin", "secretary", "group_leader", "member", "supervisor"}
    for account in town.accounts:
        assert set(account) >= {"role", "phone", "password", "unit"}
        assert len(account["phone"]) == 11
        assert len(account["password"]) >= 8
    secretary = next(a for a in town.accounts if a["role"] == "secretary")
    assert secretary["unit"] == demo.DEMO_BRANCH
    (password_hash, must_change) = town.query(
        "SELECT password_hash, must_change_password FROM account WHERE phone = ?", secretary["phone"]
    )[0]
    assert verify_password(secretary["password"], password_hash)
    assert not must_change
    grants = town.query(
        "SELECT g.role, u.name FROM role_grant g JOIN account a ON a.id = g.account_id "
        "JOIN org_unit u ON u.id = g.unit_id WHERE a.phone = ?",
        secretary["phone"],
    )
    assert ("secretary", demo.DEMO_BRANCH) in grants
    # the printed table names the personas too
    assert secretary["phone"] in town.runs["seed-demo"].stdout


def test_seed_demo_only_into_an_empty_database(db: Session, world: World) -> None:
    again = CliRunner().invoke(cli, ["seed-demo"])
    assert again.exit_code == 1
    assert "已有数据" in again.output
    skipped = CliRunner().invoke(cli, ["seed-demo", "--if-empty"])
    assert skipped.exit_code == 0
    assert "跳过" in skipped.output


def test_seed_demo_is_deterministic(town: Town, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same town again (in the test's rolled-back transaction): same tree, names, phones and posts;
    only the passwords differ."""
    monkeypatch.setattr(demo, "hash_password", lambda _password: password_hash())  # cheap: not under test here
    accounts = demo.seed(db)
    db.flush()
    members = db.execute(select(Member.name, Member.phone, Member.post).order_by(col(Member.id))).all()
    units = db.execute(select(OrgUnit.kind, OrgUnit.name).order_by(col(OrgUnit.id))).all()
    assert [tuple(m) for m in members] == town.query("SELECT name, phone, post FROM member ORDER BY id")
    assert [tuple(u) for u in units] == town.query("SELECT kind, name FROM org_unit ORDER BY id")
    assert [(a.role, a.phone) for a in accounts] == [(a["role"], a["phone"]) for a in town.accounts]
    assert [a.password for a in accounts] != [a["password"] for a in town.accounts]


# ---------------------------------------------------------------- create-admin (in-process)


def test_create_admin_with_password(client: TestClient, world: World) -> None:
    result = CliRunner().invoke(
        cli, ["create-admin", "--phone", "137 1234 5678", "--name", "组织委员", "--password", "Strong-Admin-2026"]
    )
    assert result.exit_code == 0, result.output
    assert "已创建党委管理员" in result.output
    pair = login(client, "13712345678", "Strong-Admin-2026")
    assert pair.status_code == 200
    assert pair.json()["must_change_password"] is False
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {pair.json()['access_token']}"}).json()
    assert [(g["role"], g["unit_id"]) for g in me["grants"]] == [("committee_admin", world.town.id)]


def test_create_admin_prompts_for_password_and_root(client: TestClient, db: Session) -> None:
    result = CliRunner().invoke(
        cli,
        ["create-admin", "--phone", "13712345679", "--name", "组织委员"],
        input="Strong-Admin-2026\nStrong-Admin-2026\n平山镇党委\n",
    )
    assert result.exit_code == 0, result.output
    assert "Strong-Admin-2026" not in result.output  # hidden input
    assert "平山镇党委" in result.output
    pair = login(client, "13712345679", "Strong-Admin-2026").json()
    tree = client.get("/api/v1/units", headers={"Authorization": f"Bearer {pair['access_token']}"}).json()
    assert [(n["kind"], n["name"]) for n in tree] == [("committee", "平山镇党委")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phone", "13712345670", "--name", "甲", "--password", "12345678"], "太常见"),
        (["--phone", "13712345670", "--name", "甲", "--password", "short"], "至少需要 8 个字符"),
        (["--phone", "12", "--name", "甲", "--password", "Strong-Admin-2026"], "手机号"),
    ],
)
def test_create_admin_refuses(db: Session, world: World, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["create-admin", *args])
    assert result.exit_code == 1
    assert message in result.output


def test_create_admin_refuses_a_taken_phone(db: Session, world: World) -> None:
    result = CliRunner().invoke(
        cli, ["create-admin", "--phone", world.member.phone or "", "--name", "甲", "--password", "Strong-Admin-2026"]
    )
    assert result.exit_code == 1
    assert "该手机号已有账号" in result.output


def test_check_in_process() -> None:
    """`check` against the suite's own (migrated) database."""
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert "最新" in result.output
