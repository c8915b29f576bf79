"""Role grants: who may hand out which role where; a grant covers the unit's subtree at once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import World, create_member, create_persona

GRANTS = "/api/v1/grants"


def _grant(client: TestClient, headers: dict[str, str], account_id: Any, role: str, unit_id: Any) -> Any:
    return client.post(GRANTS, headers=headers, json={"account_id": account_id, "role": role, "unit_id": unit_id})


@pytest.mark.parametrize(("role", "unit"), [("group_leader", "group"), ("supervisor", "branch"), ("member", "group")])
def test_secretary_grants_local_roles_in_the_branch(client: TestClient, world: World, role: str, unit: str) -> None:
    unit_id = getattr(world, unit).id
    response = _grant(client, world.secretary.headers, world.member.account_id, role, unit_id)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["role"] == role
    assert body["unit_id"] == unit_id
    assert body["unit_name"] == getattr(world, unit).name
    assert body["revoked_at"] is None


@pytest.mark.parametrize("role", ["secretary", "committee_admin"])
def test_secretary_cannot_grant_higher_roles(client: TestClient, world: World, role: str) -> None:
    response = _grant(client, world.secretary.headers, world.member.account_id, role, world.branch.id)
    assert response.status_code == 403


def test_secretary_cannot_grant_in_another_branch(client: TestClient, world: World) -> None:
    response = _grant(client, world.secretary.headers, world.member.account_id, "supervisor", world.other_branch.id)
    assert response.status_code == 404


def test_committee_admin_grants_a_secretary(client: TestClient, world: World) -> None:
    response = _grant(client, world.committee_admin.headers, world.member.account_id, "secretary", world.branch.id)
    assert response.status_code == 201
    # the new secretary can manage members at once
    created = client.post(
        "/api/v1/members", headers=world.member.headers, json={"name": "新党员", "branch_id": world.branch.id}
    )
    assert created.status_code == 201


@pytest.mark.parametrize(
    ("role", "unit", "code"),
    [
        ("secretary", "group", "grant_bad_unit"),
        ("secretary", "town", "grant_bad_unit"),
        ("member", "town", "grant_bad_unit"),
        ("supervisor", "town", "grant_bad_unit"),
    ],
)
def test_roles_go_on_the_right_kind_of_unit(client: TestClient, world: World, role: str, unit: str, code: str) -> None:
    response = _grant(client, world.committee_admin.headers, world.member.account_id, role, getattr(world, unit).id)
    assert response.status_code == 422
    assert response.json()["code"] == code


def test_grant_to_a_missing_account_or_unit(client: TestClient, world: World) -> None:
    assert _grant(client, world.committee_admin.headers, 987654, "member", world.branch.id).status_code == 404
    assert _grant(client, world.committee_admin.headers, world.member.account_id, "member", 987654).status_code == 404
    bad = client.post(
        GRANTS, headers=world.committee_admin.headers, json={"account_id": 1, "role": "king", "unit_id": 1}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "role"


def test_granting_twice_returns_the_same_grant(client: TestClient, world: World) -> None:
    first = _grant(client, world.secretary.headers, world.member.account_id, "supervisor", world.branch.id).json()
    second = _grant(client, world.secretary.headers, world.member.account_id, "supervisor", world.branch.id).json()
    assert first["id"] == second["id"]


def test_list_grants_within_scope(client: TestClient, world: World) -> None:
    mine = client.get(GRANTS, headers=world.secretary.headers).json()
    accounts = {g["account_id"] for g in mine["items"]}
    assert world.outsider.account_id not in accounts
    assert world.committee_admin.account_id not in accounts  # their grant is on the town, above the branch
    assert {world.secretary.account_id, world.member.account_id, world.group_leader.account_id} <= accounts
    everything = client.get(GRANTS, headers=world.committee_admin.headers).json()
    assert everything["total"] > mine["total"]
    only_one = client.get(
        f"{GRANTS}?account_id={world.group_leader.account_id}", headers=world.secretary.headers
    ).json()
    assert {g["role"] for g in only_one["items"]} == {"member", "group_leader"}
    in_group = client.get(f"{GRANTS}?unit_id={world.group.id}", headers=world.supervisor.headers).json()
    assert [(g["account_id"], g["role"]) for g in in_group["items"]] == [
        (world.group_leader.account_id, "group_leader")
    ]
    paged = client.get(f"{GRANTS}?size=2&page=2", headers=world.committee_admin.headers).json()
    assert paged["page"] == 2
    assert len(paged["items"]) == 2
    assert paged["pages"] == (paged["total"] + 1) // 2


def test_revoke_a_grant(client: TestClient, world: World) -> None:
    grant = _grant(client, world.secretary.headers, world.member.account_id, "supervisor", world.branch.id).json()
    assert client.delete(f"{GRANTS}/{grant['id']}", headers=world.secretary.headers).status_code == 204
    assert client.delete(f"{GRANTS}/{grant['id']}", headers=world.secretary.headers).status_code == 404
    roles = {g["role"] for g in client.get("/api/v1/auth/me", headers=world.member.headers).json()["grants"]}
    assert roles == {"member"}


def test_revoking_takes_effect_at_once(client: TestClient, world: World) -> None:
    me = client.get("/api/v1/auth/me", headers=world.group_leader.headers).json()
    leader_grant = next(g for g in me["grants"] if g["role"] == "group_leader")
    assert client.delete(f"{GRANTS}/{leader_grant['id']}", headers=world.secretary.headers).status_code == 204
    member_grant = next(g for g in me["grants"] if g["role"] == "member")
    assert client.delete(f"{GRANTS}/{member_grant['id']}", headers=world.secretary.headers).status_code == 204
    # no grants left: nothing is visible any more
    assert client.get("/api/v1/units", headers=world.group_leader.headers).json() == []
    assert client.get(f"/api/v1/units/{world.branch.id}", headers=world.group_leader.headers).status_code == 404


def test_secretary_cannot_revoke_a_secretary(client: TestClient, world: World) -> None:
    me = client.get("/api/v1/auth/me", headers=world.secretary.headers).json()
    own = next(g for g in me["grants"] if g["role"] == "secretary")
    assert client.delete(f"{GRANTS}/{own['id']}", headers=world.secretary.headers).status_code == 403
    assert client.delete(f"{GRANTS}/{own['id']}", headers=world.outsider.headers).status_code == 404
    assert client.delete(f"{GRANTS}/{own['id']}", headers=world.committee_admin.headers).status_code == 204


def test_a_grant_covers_the_subtree(client: TestClient, world: World) -> None:
    """A supervisor on the branch sees the members of its groups too."""
    assert world.db is not None
    in_group = create_member(world.db, branch=world.branch, group=world.group, name="组里的人")
    response = client.get(f"/api/v1/members/{in_group.id}", headers=world.supervisor.headers)
    assert response.status_code == 200


# ---------------------------------------------------------------- who may receive a branch role


@pytest.mark.parametrize("granter", ["secretary", "committee_admin"])
@pytest.mark.parametrize("role", ["member", "group_leader", "supervisor"])
def test_local_roles_go_only_to_members_of_the_branch(
    client: TestClient, world: World, granter: str, role: str
) -> None:
    unit_id = world.group.id if role == "group_leader" else world.branch.id
    headers = getattr(world, granter).headers
    # the other branch's secretary, the committee admin (of the office branch), an unused account id
    for account_id in (world.outsider.account_id, world.committee_admin.account_id, 987_654):
        r = _grant(client, headers, account_id, role, unit_id)
        assert r.status_code == 404, r.text
        assert r.json()["code"] == "grant_not_member"  # the same answer whether the account exists or not
    assert _grant(client, headers, world.supervisor.account_id, role, unit_id).status_code == 201


def test_a_member_off_the_roll_gets_no_branch_role(client: TestClient, world: World) -> None:
    assert world.db is not None
    member = create_member(world.db, branch=world.branch, group=world.group, name="已转出", status="moved")
    from app.core.permissions import SYSTEM
    from app.members import service as members_service
    from tests.factories import password_hash

    members_service.open_account(world.db, actor=SYSTEM, member=member, password_hash=password_hash())
    r = _grant(client, world.secretary.headers, member.account_id, "supervisor", world.branch.id)
    assert r.status_code == 404


def test_committee_roles_may_go_to_anyone(client: TestClient, world: World) -> None:
    """A secretary may come from elsewhere (e.g. a 第一书记 sent from the town office)."""
    r = _grant(client, world.committee_admin.headers, world.committee_admin.account_id, "secretary", world.branch.id)
    assert r.status_code == 201


@pytest.mark.parametrize("role", ["supervisor", "secretary"])
def test_no_grants_on_an_archived_unit(client: TestClient, world: World, role: str) -> None:
    assert world.db is not None
    from app.core.time import utcnow

    world.branch.archived_at = utcnow()
    world.db.add(world.branch)
    world.db.flush()
    r = _grant(client, world.committee_admin.headers, world.member.account_id, role, world.branch.id)
    assert r.status_code == 409
    assert r.json()["code"] == "unit_archived"
    assert "撤销" in r.json()["detail"]


# ---------------------------------------------------------------- which permission a role needs (grant_permission)

ROLES = ["member", "group_leader", "supervisor", "secretary", "committee_admin"]
LOCAL = {"member", "group_leader", "supervisor"}
GIVERS = ["committee_admin", "secretary", "group_leader", "supervisor", "member"]


def _may_grant(giver: str, role: str) -> bool:
    return giver == "committee_admin" or (giver == "secretary" and role in LOCAL)


@pytest.mark.parametrize("giver", GIVERS)
@pytest.mark.parametrize("role", ROLES)
def test_who_may_grant_which_role(client: TestClient, world: World, giver: str, role: str) -> None:
    """The whole matrix of POST /grants on the branch: a secretary hands out the local roles, a
    committee admin every role, nobody else any (visible: 403)."""
    assert world.db is not None
    grantee = create_persona(world.db, "受权人", branch=world.branch)
    response = _grant(client, getattr(world, giver).headers, grantee.account_id, role, world.branch.id)
    assert response.status_code == (201 if _may_grant(giver, role) else 403), response.text


@pytest.mark.parametrize("giver", GIVERS)
@pytest.mark.parametrize("role", ROLES)
def test_who_may_revoke_which_role(client: TestClient, world: World, giver: str, role: str) -> None:
    """DELETE /grants/{id} needs what granting the role needs."""
    from app.core.permissions import SYSTEM, Role
    from app.org import service as org_service

    assert world.db is not None
    grantee = create_persona(world.db, "受权人", branch=world.branch)  # not the giver: they would hold it
    grant = org_service.grant_role(
        world.db,
        actor=SYSTEM,
        account_id=grantee.account_id or 0,
        role=Role(role),
        unit_id=world.branch.id or 0,
    )
    response = client.delete(f"{GRANTS}/{grant.id}", headers=getattr(world, giver).headers)
    assert response.status_code == (204 if _may_grant(giver, role) else 403), response.text


@pytest.mark.parametrize("role", ["secretary", "committee_admin"])
def test_the_permission_is_checked_before_the_roll(client: TestClient, world: World, role: str) -> None:
    """POST /grants answers 403 for a role the caller may not give, whoever the account is (the roll
    is looked at only for a grant the caller may make)."""
    response = _grant(client, world.secretary.headers, world.outsider.account_id, role, world.branch.id)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden.grant.any"
    response = _grant(client, world.group_leader.headers, world.outsider.account_id, "supervisor", world.branch.id)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden.grant.local"
    response = _grant(client, world.secretary.headers, world.outsider.account_id, "supervisor", world.branch.id)
    assert response.status_code == 404
    assert response.json()["code"] == "grant_not_member"
