"""A database of its own for a test that migrates, downgrades, backs up or restores: a temp SQLite
file, or a fresh schema on the PostgreSQL server the suite uses (never the suite's own schema, which
the other tests are using), dropped afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
PG_PLAIN = PG_URL.replace("postgresql+psycopg://", "postgresql://")  # what psycopg and pg_dump take


@dataclass(frozen=True)
class Scratch:
    url: str  # the SQLAlchemy URL
    schema: str | None  # PostgreSQL: the schema; SQLite: None
    path: Path | None  # SQLite: the file; PostgreSQL: None


def admin(sql: str) -> None:
    """One statement on the PostgreSQL server, outside any transaction."""
    import psycopg

    with psycopg.connect(PG_PLAIN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def schema_url(schema: str) -> str:
    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"


@contextmanager
def scratch_database(tmp_path: Path, prefix: str) -> Iterator[Scratch]:
    if not PG_URL:
        path = tmp_path / f"{prefix}.db"
        yield Scratch(f"sqlite:///{path}", None, path)
        return
    schema = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    admin(f'CREATE SCHEMA "{schema}"')
    try:
        yield Scratch(schema_url(schema), schema, None)
    finally:
        admin(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
