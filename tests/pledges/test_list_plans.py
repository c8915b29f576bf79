"""The lists a secretary pages through are answered from indexes, on both databases: every statement
of `my pledges`, the branch's pledges and the member roll is explained, and none reads a whole table
of pledges or members. PostgreSQL is asked with sequential scans switched off, so the test proves an
index the planner can use exists (on a test-sized table it would rightly prefer a scan); SQLite's
plan does not depend on the table's size. At county scale (bench/api.py) the same statements took
33 ms (my pledges) and 28 ms (members) as full scans, 0.1–0.2 ms with these plans."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.core import db as core_db
from tests.factories import World
from tests.pledges.factories import create_pledge

LARGE = ("pledge", "member")


@pytest.fixture
def captured(db: Session) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(core_db.engine, "before_cursor_execute", grab)
    yield seen
    event.remove(core_db.engine, "before_cursor_execute", grab)


def _full_scans(db: Session, statements: list[tuple[str, Any]]) -> list[str]:
    conn = db.connection()
    postgres = conn.dialect.name == "postgresql"
    found = []
    if postgres:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    for statement, params in statements:
        prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        rows = conn.exec_driver_sql(prefix + statement, params).all()
        plan = "\n".join(str(r[0] if postgres else r[-1]) for r in rows)
        for table in LARGE:
            pattern = rf"Seq Scan on {table}\b" if postgres else rf"^SCAN {table}\b(?! USING)"
            if re.search(pattern, plan, re.MULTILINE):
                found.append(f"{table}: {statement[:160]}")
    if postgres:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = on")
    return found


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("member", "/api/v1/pledges?mine=true"),
        ("secretary", "/api/v1/pledges?mine=true"),
        ("secretary", "/api/v1/pledges?unit_id={branch}"),
        ("secretary", "/api/v1/members?unit_id={branch}"),
        ("secretary", "/api/v1/members"),
        ("group_leader", "/api/v1/members"),
    ],
)
def test_the_secretarys_lists_read_no_whole_table(
    client: TestClient, db: Session, world: World, captured: list[tuple[str, Any]], persona: str, url: str
) -> None:
    for n in range(3):
        create_pledge(db, unit=world.group, member_id=world.member.member_id, title=f"承诺{n}")
    captured.clear()
    r = client.get(url.format(branch=world.branch.id), headers=getattr(world, persona).headers)
    assert r.status_code == 200, r.text
    assert captured, "the list ran its statements on the test connection"
    assert _full_scans(db, list(captured)) == []
