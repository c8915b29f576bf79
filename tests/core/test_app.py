"""Start-up refuses an un-migrated database; /healthz and /readyz."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlmodel import Session

from app import main
from app.core import db as core_db
from app.core.schema import SchemaState, alembic_config

ROOT = Path(__file__).resolve().parents[2]
LIANGNUO = Path(sys.executable).parent / "liangnuo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _flat(text: str) -> str:
    """Rich wraps long lines; compare without the line breaks."""
    return "".join(text.split())


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGNUO_")}
    env.update(
        LIANGNUO_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}",
        LIANGNUO_VAR_DIR=str(tmp_path / "var"),
        COLUMNS="200",
    )
    run = subprocess.run(
        [str(LIANGNUO), "serve", "--port", str(_free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    output = _flat(run.stdout + run.stderr)
    assert run.returncode != 0
    assert _flat("数据库结构不是最新") in output
    assert "liangnuomigrate" in output
    assert "Traceback" not in output


def test_lifespan_refuses_an_unmigrated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = core_db.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setattr(core_db, "engine", empty)
    with pytest.raises(main.SchemaNotReady, match="liangnuo migrate"):  # noqa: SIM117
        with TestClient(main.create_app()):
            pass
    empty.dispose()


def test_lifespan_starts_on_a_migrated_database() -> None:
    with TestClient(main.create_app()) as c:
        assert c.get("/healthz").json() == {"status": "ok"}


def test_readyz_at_head(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["schema"] == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_readyz_when_the_schema_is_behind(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main, "schema_state", lambda _bind: SchemaState(current="0001", head="9999"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "schema_outdated"
    assert client.get("/healthz").status_code == 200  # the process is fine


def test_readyz_when_the_database_is_down(client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: object) -> Session:
        raise ConnectionError("no database")

    monkeypatch.setattr(core_db, "new_session", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert response.json()["detail"] == "数据库无法连接"
