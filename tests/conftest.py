"""Test set-up: one migrated database per run (SQLite file, or a fresh PostgreSQL schema when
TEST_DATABASE_URL is set), each test inside a transaction that is rolled back, and the personas.

The database is chosen before the app is imported, because the engine is built from settings.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="liangnuo-test-"))
_PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
_SCHEMA = f"lt_{os.getpid()}_{secrets.token_hex(3)}"


def _database_url() -> str:
    if not _PG_URL:
        return f"sqlite:///{_TMP / 'test.db'}"
    import psycopg

    plain = _PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(plain, connect_timeout=5, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{_SCHEMA}"')
    except psycopg.OperationalError as exc:
        # never a silent skip: `make test` asked for PostgreSQL, so its absence fails the run
        raise SystemExit(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {exc}") from exc
    sep = "&" if "?" in _PG_URL else "?"
    return f"{_PG_URL}{sep}options=-csearch_path%3D{_SCHEMA}"


os.environ["LIANGNUO_DATABASE_URL"] = _database_url()
os.environ["LIANGNUO_VAR_DIR"] = str(_TMP / "var")
os.environ["LIANGNUO_PUBLIC_BASE_URL"] = "http://testserver"
os.environ["LIANGNUO_SCHEDULER_ENABLED"] = "false"
# the defaults the suite assumes, whatever a developer's .env (e.g. for docker compose) says
os.environ["LIANGNUO_DOCS_ENABLED"] = "true"
os.environ["LIANGNUO_CORS_ORIGINS"] = ""
os.environ["LIANGNUO_TRUSTED_PROXIES"] = ""
os.environ["LIANGNUO_JWT_SECRET"] = ""  # empty: generated into the temp var dir
os.environ["LIANGNUO_HASH_SALT"] = ""
os.environ.setdefault("LIANGNUO_LOG_LEVEL", "WARNING")

from fastapi.testclient import TestClient  # noqa: E402
from pwdlib import PasswordHash  # noqa: E402
from pwdlib.hashers.argon2 import Argon2Hasher  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app.core import db as core_db  # noqa: E402
from app.core import security as core_security  # noqa: E402
from app.core.config import settings  # noqa: E402
from app.core.schema import upgrade  # noqa: E402
from app.main import create_app  # noqa: E402
from tests.factories import World, build_world  # noqa: E402

# argon2id at its lowest cost for the whole suite: hundreds of logins would otherwise spend ~0.1 s
# each. The cost lives in each hash, so nothing else changes; the timing-safety test puts the real
# cost back (tests/auth/test_login.py).
core_security._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {core_db.engine.dialect.name} ({'schema ' + _SCHEMA if _PG_URL else 'file'})"


@pytest.fixture(scope="session", autouse=True)
def _migrated_database() -> Iterator[None]:
    upgrade(settings.sqlalchemy_url)
    yield
    core_db.engine.dispose()
    if _PG_URL:
        import psycopg

        with psycopg.connect(_PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{_SCHEMA}" CASCADE')


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A session on a connection whose outer transaction is rolled back after the test.

    Every request the app handles gets its own session on the same connection; its commit only
    releases a SAVEPOINT, so nothing outlives the test.
    """
    connection = core_db.engine.connect()
    outer = connection.begin()

    def session_on_connection(*, read_only: bool = False) -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    monkeypatch.setattr(core_db, "new_session", session_on_connection)
    session = session_on_connection()
    try:
        yield session
    finally:
        session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def app_instance():  # type: ignore[no-untyped-def]
    # the schema check at start-up is tested on its own (tests/core/test_app.py); here the test
    # connection holds SQLite's write lock, so a second connection must not be opened
    return create_app(check_schema_on_start=False)


@pytest.fixture
def client(app_instance, db: Session) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app_instance, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def world(db: Session) -> World:
    """A committee with two branches, groups and one account per persona."""
    return build_world(db)


@pytest.fixture
def query_counter(db: Session) -> Iterator[list[str]]:
    """Collects the SQL statements run on the test connection (for N+1 assertions)."""
    statements: list[str] = []
    engine = core_db.engine

    def _count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    yield statements
    event.remove(engine, "before_cursor_execute", _count)


for _name in ("committee_admin", "secretary", "group_leader", "member", "supervisor", "outsider"):

    def _persona(world: World, _n: str = _name):  # type: ignore[no-untyped-def]
        return getattr(world, _n)

    globals()[_name] = pytest.fixture(_persona, name=_name)


@pytest.fixture
def anonymous() -> dict[str, str]:
    return {}
