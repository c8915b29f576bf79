"""Ids too large for the database: a 404 or a 422 problem, never a 500.

SQLite raises OverflowError beyond 2**63 - 1, PostgreSQL "integer out of range" beyond 2**31 - 1. The
`Id` type refuses them where org, members and auth take ids; the error handlers catch the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError

from app.core.errors import NotFound, database_value_error
from tests.factories import World

API = "/api/v1"
HUGE = 2**63  # beyond SQLite's INTEGER
LARGE = 2**31  # beyond PostgreSQL's integer, within SQLite's

Call = Callable[[World, int], tuple[str, str, dict[str, Any] | None]]

CALLS: dict[str, Call] = {
    # pledges
    "GET /pledges/{id}": lambda w, n: ("GET", f"{API}/pledges/{n}", None),
    "GET /pledges?member_id": lambda w, n: ("GET", f"{API}/pledges?member_id={n}", None),
    "POST /pledges": lambda w, n: (
        "POST",
        f"{API}/pledges",
        {"title": "修路", "content": "修好村口的路", "category": "other", "member_id": n},
    ),
    "POST /pledges/{id}/notes": lambda w, n: ("POST", f"{API}/pledges/{n}/notes", {"text": "好"}),
    # boards
    "GET /boards/{id}": lambda w, n: ("GET", f"{API}/boards/{n}", None),
    "GET /boards?unit_id": lambda w, n: ("GET", f"{API}/boards?unit_id={n}", None),
    "POST /boards member_ids": lambda w, n: (
        "POST",
        f"{API}/boards",
        {"unit_id": w.group.id, "title": "公示牌", "member_ids": [n]},
    ),
    "POST /boards unit_id": lambda w, n: ("POST", f"{API}/boards", {"unit_id": n, "title": "公示牌"}),
    # members
    "GET /members/{id}": lambda w, n: ("GET", f"{API}/members/{n}", None),
    "GET /members?unit_id": lambda w, n: ("GET", f"{API}/members?unit_id={n}", None),
    "PATCH /members/{id}": lambda w, n: ("PATCH", f"{API}/members/{n}", {"post": "村医"}),
    "POST /members group_id": lambda w, n: (
        "POST",
        f"{API}/members",
        {"name": "新党员", "branch_id": w.branch.id, "group_id": n},
    ),
    "POST /members/{id}/move": lambda w, n: (
        "POST",
        f"{API}/members/{w.member.member_id}/move",
        {"branch_id": n},
    ),
    # units
    "GET /units/{id}": lambda w, n: ("GET", f"{API}/units/{n}", None),
    "GET /units?root_id": lambda w, n: ("GET", f"{API}/units?root_id={n}", None),
    "POST /units parent_id": lambda w, n: ("POST", f"{API}/units", {"kind": "group", "name": "新组", "parent_id": n}),
    "POST /units/{id}/move": lambda w, n: ("POST", f"{API}/units/{w.group.id}/move", {"parent_id": n}),
    # grants
    "POST /grants account_id": lambda w, n: (
        "POST",
        f"{API}/grants",
        {"account_id": n, "role": "member", "unit_id": w.branch.id},
    ),
    "POST /grants unit_id": lambda w, n: (
        "POST",
        f"{API}/grants",
        {"account_id": w.member.account_id, "role": "member", "unit_id": n},
    ),
    "GET /grants?account_id": lambda w, n: ("GET", f"{API}/grants?account_id={n}", None),
    "DELETE /grants/{id}": lambda w, n: ("DELETE", f"{API}/grants/{n}", None),
    # evaluations and notifications
    "POST /suggestions/{id}/moderate": lambda w, n: (
        "POST",
        f"{API}/evaluations/suggestions/{n}/moderate",
        {"approve": True},
    ),
    "POST /notifications/{id}/read": lambda w, n: ("POST", f"{API}/notifications/{n}/read", None),
}


@pytest.mark.parametrize("number", [HUGE, LARGE], ids=["2**63", "2**31"])
@pytest.mark.parametrize("name", list(CALLS))
def test_an_id_too_large_is_a_problem_not_a_500(client: TestClient, world: World, name: str, number: int) -> None:
    method, path, body = CALLS[name](world, number)
    r = client.request(method, path, json=body, headers=world.committee_admin.headers)
    if method == "GET" and "?" in path and r.status_code == 200:
        return  # a list filtered by an id nothing has may also just be empty
    assert r.status_code in (404, 422), f"{name}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"]


def test_a_public_board_page_with_a_huge_id_is_a_404_page(client: TestClient, world: World) -> None:
    r = client.get(f"/b/no-such-board/p/{HUGE}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")


def test_ids_where_org_and_members_take_them_are_validated(client: TestClient, world: World) -> None:
    r = client.get(f"{API}/members/{HUGE}", headers=world.committee_admin.headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "member_id"
    r = client.get(f"{API}/units/0", headers=world.committee_admin.headers)
    assert r.status_code == 422


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_which_database_errors_are_the_clients() -> None:
    sqlite_overflow = OverflowError("Python int too large to convert to SQLite INTEGER")
    assert isinstance(database_value_error(sqlite_overflow), NotFound)
    assert database_value_error(OverflowError("date value out of range")) is None  # a real bug: 500
    out_of_range = DataError("SELECT 1", {}, _PgError("22003"))
    assert isinstance(database_value_error(out_of_range), NotFound)
    too_long = database_value_error(DataError("INSERT", {}, _PgError("22001")))
    assert too_long is not None
    assert too_long.status == 422
    assert database_value_error(DataError("SELECT 1", {}, _PgError("22012"))) is None  # division by zero
