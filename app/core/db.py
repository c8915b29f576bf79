"""Engine, sessions and the shared column types.

SQLite gets WAL, foreign keys, a busy timeout and synchronous=FULL on every connection, and real
transactions (pysqlite's implicit ones do not nest SAVEPOINTs correctly). One session per request:
the dependency commits once when the route returned without error, before the response is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel

from app.core import generation
from app.core.config import settings
from app.core.errors import AppError
from app.core.time import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata
metadata.naming_convention = NAMING_CONVENTION


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return as_utc(value) if dialect.name != "sqlite" else as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


def _configure_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers BEGIN IMMEDIATE: they take the write lock up front and queue on busy_timeout,
        # instead of one failing with "database is locked" when it upgrades a read lock. Readers
        # (GET requests, see get_session) BEGIN DEFERRED: under WAL they never wait for anyone.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql("BEGIN DEFERRED" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def make_engine(url: str, *, foreign_keys: bool = True, pool: Any = None) -> Engine:
    """An engine for `url`; migrations pass foreign_keys=False (SQLite batch mode rebuilds tables)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # the pool as large as PostgreSQL's: with the default 5 (+10 overflow) connections, a busy
        # server opened and closed a connection (and ran its PRAGMAs) for most requests
        kwargs: dict[str, Any] = {"poolclass": pool} if pool else {"pool_size": 10, "max_overflow": 10}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10}, **kwargs)
        _configure_sqlite(engine, foreign_keys=foreign_keys)
        return engine
    if pool:
        return create_engine(url, poolclass=pool)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


engine: Engine = make_engine(settings.sqlalchemy_url)
# the same pool; on SQLite its transactions begin DEFERRED (no write lock until a write)
read_engine: Engine = engine.execution_options(sqlite_begin="DEFERRED")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_session(*, read_only: bool = False) -> Session:
    """A session; `read_only` ones may still write, but on SQLite take the write lock only then."""
    return Session(read_engine if read_only else engine, expire_on_commit=False)


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: commit if the route succeeded, roll back otherwise."""
    with new_session(read_only=request.method in READ_METHODS) as session:
        try:
            yield session
            session.commit()
        except AppError as exc:
            session.commit() if exc.commit else session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def end_read_phase(session: Session) -> None:
    """End a request's transaction while it has only read, before slow CPU work (argon2, decoding
    photos), so SQLite's write lock (and PostgreSQL row locks) are not held during it. The next
    query begins a fresh transaction; loaded objects stay usable (expire_on_commit=False).

    Refuses (RuntimeError) once the transaction has written anything, flushed or not: committing
    half of a request's work early would break its all-or-nothing."""
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        raise RuntimeError("end_read_phase() after a write would commit it early")
    session.commit()


_WROTE = "liangnuo.wrote"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True  # a flush with nothing to write does not fire this


@event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # every worker's memoised pages are stale from now on (core.generation)
    if session.info.pop(_WROTE, None):
        generation.bump()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)


def lock_names(session: Session, *names: str) -> None:
    """Serialise the transactions that lock the same names, across every worker and server, until
    this transaction ends — for a check-then-write that must not let two requests through at once
    (a throttle's last place). PostgreSQL: transaction-level advisory locks, taken in sorted order so
    two transactions never deadlock. SQLite: a writer's transaction already holds the database's one
    write lock from its first statement (BEGIN IMMEDIATE), so nothing more is needed."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in sorted(set(names)):
        session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(name, 0))))


def insert_for(session: Session) -> Any:
    """The dialect's `insert` with `.on_conflict_do_update()` (SQLite and PostgreSQL spell ON CONFLICT
    alike): for an upsert two requests may race on, instead of check-then-insert."""
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def pk(row: Any) -> int:
    """The primary key of a flushed row (SQLModel types `id` as optional until it is saved)."""
    value = row.id
    if value is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush first")
    return int(value)
