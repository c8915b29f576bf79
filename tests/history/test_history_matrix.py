"""The history endpoints (变更记录) × every persona: who may read which object's history."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.boards import service as boards_service
from app.boards.schemas import BoardCreate
from app.core.permissions import Role
from app.org import service as org_service
from app.org.models import RoleGrant
from tests.factories import World
from tests.matrix import Case, check, params

API = "/api/v1"
EVERYONE_INSIDE = ["committee_admin", "secretary", "group_leader", "member", "supervisor"]


def _secretary_grant(w: World) -> int:
    assert w.db is not None
    stmt = select(col(RoleGrant.id)).where(
        col(RoleGrant.account_id) == w.secretary.account_id, col(RoleGrant.role) == Role.secretary.value
    )
    return int(w.db.execute(stmt).scalar_one())


def _board(w: World) -> int:
    assert w.db is not None
    secretary = org_service.actor_for(w.db, w.secretary.account_id or 0)
    board = boards_service.create_board(
        w.db, actor=secretary, data=BoardCreate(unit_id=w.branch.id or 0, title="公示牌")
    )
    return board.id or 0


CASES = [
    Case("GET", lambda w: f"{API}/members/{w.member.member_id}/history", name="GET /members/{id}/history",
         allowed=["committee_admin", "secretary", "member"], denied_403=["group_leader", "supervisor"]),
    Case("GET", lambda w: f"{API}/accounts/{w.member.account_id}/history", name="GET /accounts/{id}/history",
         allowed=["committee_admin", "secretary", "member"], denied_403=["group_leader", "supervisor"]),
    Case("GET", lambda w: f"{API}/grants/{_secretary_grant(w)}/history", name="GET /grants/{id}/history",
         allowed=["committee_admin", "secretary", "supervisor"], denied_403=["group_leader", "member"]),
    Case("GET", lambda w: f"{API}/units/{w.branch.id}/history", name="GET /units/{id}/history",
         allowed=EVERYONE_INSIDE),
    Case("GET", lambda w: f"{API}/boards/{_board(w)}/history", name="GET /boards/{id}/history",
         allowed=["committee_admin", "secretary"], denied_403=["group_leader", "member", "supervisor"]),
    Case("GET", lambda w: f"{API}/rating-policies/{w.branch.id}/history", name="GET /rating-policies/{id}/history",
         allowed=EVERYONE_INSIDE),
]  # fmt: skip


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
