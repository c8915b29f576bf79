"""The foundation's endpoints × every persona (see tests/matrix.py for how to add yours)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.core.permissions import Role
from app.org.models import RoleGrant, UnitKind
from tests.factories import PASSWORD, World, create_member, create_unit
from tests.matrix import ANONYMOUS, PERSONAS, Case, check, params
from tests.pledges.matrix_documents import CASES as POST_AND_DOCUMENT_CASES

API = "/api/v1"
EVERYONE = list(PERSONAS)
IN_BRANCH = ["committee_admin", "secretary", "group_leader", "member", "supervisor"]
MANAGERS = ["committee_admin", "secretary"]
NOT_MANAGERS = ["group_leader", "member", "supervisor"]


def _leader_grant_id(w: World) -> int:
    assert w.db is not None
    grant_id = w.db.execute(
        select(col(RoleGrant.id)).where(
            col(RoleGrant.account_id) == w.group_leader.account_id, col(RoleGrant.role) == Role.group_leader
        )
    ).scalar_one()
    return int(grant_id)


def _general_branch_id(w: World) -> int:
    assert w.db is not None
    return int(create_unit(w.db, kind=UnitKind.general_branch, name="新党总支", parent=w.town).id or 0)


def _member_without_account(w: World) -> int:
    assert w.db is not None
    return int(create_member(w.db, branch=w.branch, group=w.group, name="待开通").id or 0)


CASES = [
    # public
    Case("GET", lambda w: "/healthz", name="GET /healthz", allowed=[ANONYMOUS, *EVERYONE], hidden_404=()),
    Case("GET", lambda w: "/readyz", name="GET /readyz", allowed=[ANONYMOUS, *EVERYONE], hidden_404=()),
    # auth: every signed-in account, for itself
    Case("GET", lambda w: f"{API}/auth/me", name="GET /auth/me", allowed=EVERYONE, hidden_404=()),
    Case(
        "POST",
        lambda w: f"{API}/auth/password",
        name="POST /auth/password",
        allowed=EVERYONE,
        hidden_404=(),
        body_factory=lambda w: {"current_password": PASSWORD, "new_password": "Another-Strong-2026"},
        expect=204,
    ),
    Case("POST", lambda w: f"{API}/auth/logout", name="POST /auth/logout", allowed=EVERYONE, hidden_404=(), expect=204),
    # org tree
    Case("GET", lambda w: f"{API}/units", name="GET /units", allowed=EVERYONE, hidden_404=()),
    Case("GET", lambda w: f"{API}/units?root_id={w.branch.id}", name="GET /units?root_id", allowed=IN_BRANCH),
    Case("GET", lambda w: f"{API}/units/{w.branch.id}", name="GET /units/{id}", allowed=IN_BRANCH),
    Case(
        "POST",
        lambda w: f"{API}/units",
        name="POST /units",
        allowed=["committee_admin"],
        denied_403=["secretary", *NOT_MANAGERS],
        body_factory=lambda w: {"kind": "group", "name": "新党小组", "parent_id": w.branch.id},
        expect=201,
    ),
    Case(
        "PATCH",
        lambda w: f"{API}/units/{w.branch.id}",
        name="PATCH /units/{id}",
        allowed=["committee_admin"],
        denied_403=["secretary", *NOT_MANAGERS],
        body_factory=lambda w: {"name": "大洼社区第一党支部"},
    ),
    Case(
        "POST",
        lambda w: f"{API}/units/{w.branch.id}/move",
        name="POST /units/{id}/move",
        allowed=["committee_admin"],
        denied_403=["secretary", *NOT_MANAGERS],
        body_factory=lambda w: {"parent_id": _general_branch_id(w)},
    ),
    Case(
        "POST",
        lambda w: f"{API}/units/{w.group.id}/archive",
        name="POST /units/{id}/archive",
        allowed=["committee_admin"],
        denied_403=["secretary", *NOT_MANAGERS],
    ),
    # role grants
    Case(
        "GET",
        lambda w: f"{API}/grants",
        name="GET /grants",
        allowed=[*MANAGERS, "supervisor", "outsider"],
        denied_403=["group_leader", "member"],
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}/grants?unit_id={w.branch.id}",
        name="GET /grants?unit_id",
        allowed=[*MANAGERS, "supervisor"],
        denied_403=["group_leader", "member"],
    ),
    Case(
        "POST",
        lambda w: f"{API}/grants",
        name="POST /grants (local role)",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=lambda w: {"account_id": w.member.account_id, "role": "group_leader", "unit_id": w.group.id},
        expect=201,
    ),
    Case(
        "POST",
        lambda w: f"{API}/grants",
        name="POST /grants (secretary role)",
        allowed=["committee_admin"],
        denied_403=["secretary", *NOT_MANAGERS],
        body_factory=lambda w: {"account_id": w.member.account_id, "role": "secretary", "unit_id": w.branch.id},
        expect=201,
    ),
    Case(
        "DELETE",
        lambda w: f"{API}/grants/{_leader_grant_id(w)}",
        name="DELETE /grants/{id}",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        expect=204,
    ),
    # members
    Case("GET", lambda w: f"{API}/members", name="GET /members", allowed=EVERYONE, hidden_404=()),
    Case("GET", lambda w: f"{API}/members?unit_id={w.branch.id}", name="GET /members?unit_id", allowed=IN_BRANCH),
    Case("GET", lambda w: f"{API}/members/{w.member.member_id}", name="GET /members/{id}", allowed=IN_BRANCH),
    Case(
        "POST",
        lambda w: f"{API}/members",
        name="POST /members",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=lambda w: {"name": "新党员", "branch_id": w.branch.id, "group_id": w.group.id},
        expect=201,
    ),
    Case(
        "PATCH",
        lambda w: f"{API}/members/{w.member.member_id}",
        name="PATCH /members/{id}",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=lambda w: {"post": "环境卫生监督岗"},
    ),
    Case(
        "POST",
        lambda w: f"{API}/members/{w.member.member_id}/move",
        name="POST /members/{id}/move (within the branch)",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=lambda w: {"branch_id": w.branch.id, "group_id": None},
    ),
    Case(
        "POST",
        lambda w: f"{API}/members/{w.member.member_id}/move",
        name="POST /members/{id}/move (to another branch)",
        allowed=["committee_admin"],
        denied_403=NOT_MANAGERS,
        # the secretary cannot see the other branch at all
        hidden_404=["secretary", "outsider"],
        body_factory=lambda w: {"branch_id": w.other_branch.id, "group_id": w.other_group.id},
    ),
    Case(
        "POST",
        lambda w: f"{API}/members/{_member_without_account(w)}/account",
        name="POST /members/{id}/account",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=lambda w: {"initial_password": "Start-Here-2026"},
        expect=201,
    ),
    Case(
        "POST",
        lambda w: f"{API}/members/{w.group_leader.member_id}/password-reset",
        name="POST /members/{id}/password-reset",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        expect=201,
    ),
]
CASES += POST_AND_DOCUMENT_CASES  # posts (设岗定责) and the 承诺书


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
