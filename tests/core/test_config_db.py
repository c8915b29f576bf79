"""Settings, generated secrets and the database connection."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Column, Integer, MetaData, Table, select
from sqlmodel import Session

from app.core import db as core_db
from app.core.config import PROJECT_ROOT, Settings, settings
from app.core.db import UTCDateTime
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGNUO_")}
    env.update(
        LIANGNUO_VAR_DIR=str(tmp_path / "var"),
        LIANGNUO_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        LIANGNUO_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def test_missing_secrets_are_generated_once_with_0600(tmp_path: Path) -> None:
    code = "from app.core.config import settings; print(settings.jwt_key); print(settings.salt)"
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=60
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr
    first, second = (run.stdout.split() for run in runs)
    assert first == second  # kept, not regenerated: sessions survive a restart
    jwt_key, salt = first
    assert len(jwt_key) * 6 >= 256  # url-safe base64: 6 bits per character
    assert jwt_key != salt
    for name, value in (("jwt_secret", jwt_key), ("hash_salt", salt)):
        path = tmp_path / "var" / name
        assert path.read_text() == value
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_truncated_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "jwt_secret").write_text("")
    s = Settings(_env_file=None, var_dir=tmp_path / "var")  # type: ignore[call-arg]
    with pytest.raises(RuntimeError, match="no usable secret"):
        _ = s.jwt_key


def test_configured_secret_is_used_and_must_be_long(tmp_path: Path) -> None:
    s = Settings(_env_file=None, var_dir=tmp_path, jwt_secret="k" * 40)  # type: ignore[call-arg]
    assert s.jwt_key == "k" * 40
    assert not (tmp_path / "jwt_secret").exists()
    with pytest.raises(ValidationError) as excinfo:
        Settings(_env_file=None, jwt_secret="short-secret")  # type: ignore[call-arg]
    assert "short-secret" not in str(excinfo.value)
    empty = Settings(_env_file=None, var_dir=tmp_path, jwt_secret="")  # type: ignore[call-arg]
    assert empty.jwt_secret is None


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("LIANGNUO_"):
            monkeypatch.delenv(key)
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.var_dir == PROJECT_ROOT / "var"
    assert s.sqlalchemy_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'liangnuo.db'}"
    assert s.is_sqlite
    assert s.uploads_dir == PROJECT_ROOT / "var" / "uploads"
    assert s.jwt_secret is None
    assert s.hash_salt is None
    assert s.access_token_minutes == 15
    assert s.login_max_failures == 5
    assert s.login_window_minutes == 15
    assert s.cors_origins == []
    assert s.trusted_proxies == []
    assert s.docs_enabled is True


def test_environment_and_list_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANGNUO_TRUSTED_PROXIES", "10.0.0.2, 10.0.0.3")
    monkeypatch.setenv("LIANGNUO_CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    monkeypatch.setenv("LIANGNUO_DATABASE_URL", "postgresql+psycopg://app@db/liangnuo")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.trusted_proxies == ["10.0.0.2", "10.0.0.3"]
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert not s.is_sqlite


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIANGNUO_PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("LIANGNUO_DOCS_ENABLED", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("LIANGNUO_PUBLIC_BASE_URL=https://liangnuo.example\nLIANGNUO_DOCS_ENABLED=false\n")
    s = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert s.public_base_url == "https://liangnuo.example"
    assert s.docs_enabled is False


def test_tests_never_touch_the_real_var_dir() -> None:
    assert settings.var_dir != PROJECT_ROOT / "var"


# ---------------------------------------------------------------- database


@pytest.mark.skipif(not settings.is_sqlite, reason="SQLite pragmas")
def test_sqlite_pragmas_on_every_connection() -> None:
    for _ in range(2):  # every new connection, not just the first
        raw = core_db.engine.raw_connection()
        try:
            cur = raw.cursor()
            values = {}
            for pragma in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous"):
                cur.execute(f"PRAGMA {pragma}")
                values[pragma] = cur.fetchone()[0]
        finally:
            raw.invalidate()  # a fresh connection next time round
        assert values["journal_mode"] == "wal"
        assert values["foreign_keys"] == 1
        assert values["busy_timeout"] >= 5000
        assert values["synchronous"] == 2  # FULL


@pytest.mark.skipif(settings.is_sqlite, reason="PostgreSQL driver")
def test_postgresql_uses_psycopg3() -> None:
    assert core_db.engine.dialect.name == "postgresql"
    assert core_db.engine.dialect.driver == "psycopg"


def test_foreign_keys_are_enforced(db: Session, world: World) -> None:
    from sqlalchemy.exc import IntegrityError

    from app.members.models import Member

    with pytest.raises(IntegrityError), db.begin_nested():  # noqa: PT012
        db.add(Member(name="孤儿", branch_id=987654))
        db.flush()


def test_utc_datetime_round_trip(db: Session) -> None:
    table = Table("utc_probe", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    conn = db.connection()
    table.create(conn)
    beijing = datetime(2026, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    conn.execute(table.insert().values(id=1, at=beijing))
    stored = conn.execute(select(table.c.at)).scalar_one()
    assert stored == beijing
    assert stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored.hour == 0
    with pytest.raises(Exception, match="naive"):
        conn.execute(table.insert().values(id=2, at=datetime(2026, 5, 1, 8, 30)))


def test_concurrent_first_starts_agree_on_one_secret(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from app.core.config import _kept_secret

    path = tmp_path / "var" / "jwt_secret"
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = set(pool.map(lambda _i: _kept_secret(path), range(16)))
    assert len(values) == 1
    assert path.read_text() == values.pop()
    assert sorted(p.name for p in path.parent.iterdir()) == ["jwt_secret"]  # no temp files left
