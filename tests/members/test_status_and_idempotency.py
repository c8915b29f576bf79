"""A member leaving the roll loses their login; idempotent POSTs on members, units and grants."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.auth.models import Account
from app.members.models import Member
from app.org.models import OrgUnit, RoleGrant
from tests.factories import PASSWORD, World, create_member, create_unit, login

API = "/api/v1"
MEMBERS = f"{API}/members"


def _roles(client: TestClient, headers: dict[str, str]) -> set[tuple[str, int]]:
    me = client.get(f"{API}/auth/me", headers=headers).json()
    return {(g["role"], g["unit_id"]) for g in me["grants"]}


def _active_roles(db: Session, account_id: int | None) -> set[tuple[str, int]]:
    rows = db.execute(
        select(col(RoleGrant.role), col(RoleGrant.unit_id)).where(
            col(RoleGrant.account_id) == account_id, col(RoleGrant.revoked_at).is_(None)
        )
    ).all()
    return {(str(r), int(u)) for r, u in rows}


def _set_status(client: TestClient, world: World, member_id: int | None, status: str) -> Any:
    return client.patch(f"{MEMBERS}/{member_id}", json={"status": status}, headers=world.secretary.headers)


# ---------------------------------------------------------------- leaving the roll


@pytest.mark.parametrize("status", ["moved", "inactive"])
def test_leaving_the_roll_ends_the_login_and_the_roles(
    client: TestClient, world: World, db: Session, status: str
) -> None:
    leader = world.group_leader
    assert client.get(f"{API}/units", headers=leader.headers).status_code == 200
    r = _set_status(client, world, leader.member_id, status)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == status
    # signed out everywhere at once, and no new sign-in
    assert client.get(f"{API}/units", headers=leader.headers).status_code == 401
    assert login(client, leader.phone or "").status_code == 401
    assert _active_roles(db, leader.account_id) == set()
    account = db.get(Account, leader.account_id)
    assert account is not None
    db.refresh(account)
    assert account.disabled is True


def test_back_on_the_roll_the_member_role_returns(client: TestClient, world: World, db: Session) -> None:
    leader = world.group_leader
    assert _set_status(client, world, leader.member_id, "inactive").status_code == 200
    assert _set_status(client, world, leader.member_id, "moved").status_code == 200  # still off the roll
    assert login(client, leader.phone or "").status_code == 401
    assert _set_status(client, world, leader.member_id, "active").status_code == 200
    pair = login(client, leader.phone or "", PASSWORD)
    assert pair.status_code == 200
    token = {"Authorization": f"Bearer {pair.json()['access_token']}"}
    # the member role again; leading the group is granted anew by the secretary
    assert _roles(client, token) == {("member", world.branch.id)}


def test_no_one_takes_themself_off_the_roll(client: TestClient, world: World) -> None:
    r = client.patch(
        f"{MEMBERS}/{world.secretary.member_id}", json={"status": "inactive"}, headers=world.secretary.headers
    )
    assert r.status_code == 409
    assert r.json()["code"] == "own_status"
    # other edits of one's own record are fine
    r = client.patch(f"{MEMBERS}/{world.secretary.member_id}", json={"post": "村医"}, headers=world.secretary.headers)
    assert r.status_code == 200


def test_moving_a_member_off_the_roll_grants_nothing_in_the_new_branch(
    client: TestClient, world: World, db: Session
) -> None:
    assert _set_status(client, world, world.member.member_id, "moved").status_code == 200
    r = client.post(
        f"{MEMBERS}/{world.member.member_id}/move",
        json={"branch_id": world.other_branch.id},
        headers=world.committee_admin.headers,
    )
    assert r.status_code == 200, r.text
    assert _active_roles(db, world.member.account_id) == set()


def test_changing_the_group_by_patch_ends_leading_the_old_one(client: TestClient, world: World, db: Session) -> None:
    second = create_unit(db, kind=world.group.kind, name="第二党小组", parent=world.branch)  # type: ignore[arg-type]
    r = client.patch(
        f"{MEMBERS}/{world.group_leader.member_id}", json={"group_id": second.id}, headers=world.secretary.headers
    )
    assert r.status_code == 200
    assert _roles(client, world.group_leader.headers) == {("member", world.branch.id)}


# ---------------------------------------------------------------- Idempotency-Key


def _count(db: Session, model: Any, *where: Any) -> int:
    return int(db.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def _twice(client: TestClient, path: str, body: dict[str, Any], headers: dict[str, str], key: str) -> Any:
    first = client.post(path, json=body, headers={**headers, "Idempotency-Key": key})
    again = client.post(path, json=body, headers={**headers, "Idempotency-Key": key})
    assert first.status_code in (200, 201), first.text
    assert again.status_code == first.status_code
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    return first.json()


def test_creating_a_member_twice_with_one_key(client: TestClient, world: World, db: Session) -> None:
    body = {
        "name": "重试党员",
        "branch_id": world.branch.id,
        "phone": "13912340001",
        "initial_password": "Start-Here-2026",
    }
    _twice(client, MEMBERS, body, world.secretary.headers, "member-create-1")
    assert _count(db, Member, col(Member.name) == "重试党员") == 1
    assert _count(db, Account, col(Account.phone) == "13912340001") == 1


def test_moving_a_member_twice_with_one_key(client: TestClient, world: World, db: Session) -> None:
    path = f"{MEMBERS}/{world.member.member_id}/move"
    moved = _twice(client, path, {"branch_id": world.other_branch.id}, world.committee_admin.headers, "move-1")
    assert moved["branch_id"] == world.other_branch.id
    member = db.get(Member, world.member.member_id)
    assert member is not None
    db.refresh(member)
    assert member.version == moved["version"]  # moved once: one version step


def test_opening_an_account_twice_with_one_key(client: TestClient, world: World, db: Session) -> None:
    member = create_member(db, branch=world.branch, name="待开通", phone="13912340002")
    path = f"{MEMBERS}/{member.id}/account"
    _twice(client, path, {"initial_password": "Start-Here-2026"}, world.secretary.headers, "account-1")
    assert _count(db, Account, col(Account.phone) == "13912340002") == 1


def test_creating_a_unit_twice_with_one_key(client: TestClient, world: World, db: Session) -> None:
    body = {"kind": "group", "name": "重试小组", "parent_id": world.branch.id}
    _twice(client, f"{API}/units", body, world.committee_admin.headers, "unit-1")
    assert _count(db, OrgUnit, col(OrgUnit.name) == "重试小组") == 1


def test_granting_twice_with_one_key(client: TestClient, world: World, db: Session) -> None:
    body = {"account_id": world.member.account_id, "role": "supervisor", "unit_id": world.branch.id}
    _twice(client, f"{API}/grants", body, world.secretary.headers, "grant-1")
    assert (
        _count(db, RoleGrant, col(RoleGrant.account_id) == world.member.account_id, col(RoleGrant.role) == "supervisor")
        == 1
    )


def test_a_failed_request_keeps_no_key(client: TestClient, world: World) -> None:
    """A refusal is not stored: the retry (after fixing the cause) does the work."""
    headers = {**world.secretary.headers, "Idempotency-Key": "unit-by-secretary"}
    body = {"kind": "group", "name": "书记建组", "parent_id": world.branch.id}
    assert client.post(f"{API}/units", json=body, headers=headers).status_code == 403
    body = {"name": "后来的党员", "branch_id": world.branch.id}
    assert client.post(MEMBERS, json=body, headers=headers).status_code == 201
