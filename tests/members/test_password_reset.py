"""A forgotten password: a one-time initial password shown once, changed at the next sign-in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.auth.models import Account
from app.core.idempotency import IdempotencyRecord
from tests.factories import PASSWORD, World, create_member, login

API = "/api/v1"


def _reset(client: TestClient, world: World, member_id: int | None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/members/{member_id}/password-reset", headers=headers or world.secretary.headers)


def test_reset_gives_a_one_time_password_and_ends_every_session(client: TestClient, world: World, db: Session) -> None:
    member = world.member
    assert client.get(f"{API}/auth/me", headers=member.headers).status_code == 200
    r = _reset(client, world, member.member_id)
    assert r.status_code == 201, r.text
    slip = r.json()
    assert slip["member_id"] == member.member_id
    assert slip["login"] == member.phone
    assert slip["must_change_password"] is True
    password = slip["initial_password"]
    assert len(password) == 14
    assert password.count("-") == 2
    assert r.headers["cache-control"] == "no-store"
    # every session of the member ended at once
    assert client.get(f"{API}/auth/me", headers=member.headers).status_code == 401
    # never stored in clear
    account = db.get(Account, member.account_id)
    assert account is not None
    db.refresh(account)
    assert password not in account.password_hash
    assert account.must_change_password is True
    # the old password no longer works; the new one signs in and must be changed first
    assert login(client, member.phone or "", PASSWORD).status_code == 401
    signed = login(client, member.phone or "", password)
    assert signed.status_code == 200, signed.text
    assert signed.json()["must_change_password"] is True
    token = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    blocked = client.get(f"{API}/pledges", headers=token)
    assert blocked.status_code == 403
    assert blocked.json()["code"] == "password_change_required"
    changed = client.post(
        f"{API}/auth/password",
        json={"current_password": password, "new_password": "Mine-Again-2026"},
        headers=token,
    )
    assert changed.status_code == 204, changed.text
    # the slip's password was good once: after the change it is worth nothing
    assert login(client, member.phone or "", password).status_code == 401
    fresh = login(client, member.phone or "", "Mine-Again-2026")
    assert fresh.status_code == 200
    assert fresh.json()["must_change_password"] is False


def test_each_reset_gives_another_password(client: TestClient, world: World) -> None:
    first = _reset(client, world, world.member.member_id).json()["initial_password"]
    second = _reset(client, world, world.member.member_id).json()["initial_password"]
    assert first != second


def test_a_replay_does_not_reset_again_and_never_shows_the_password(
    client: TestClient, world: World, db: Session
) -> None:
    headers = {**world.secretary.headers, "Idempotency-Key": "reset-slip-1"}
    first = _reset(client, world, world.member.member_id, headers)
    assert first.status_code == 201
    password = first.json()["initial_password"]
    again = _reset(client, world, world.member.member_id, headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["initial_password"] is None
    assert again.json()["login"] == world.member.phone
    # the stored copy has no clear password, and the first password still works
    stored = db.execute(
        select(col(IdempotencyRecord.response_body)).where(col(IdempotencyRecord.key) == "reset-slip-1")
    ).scalar_one()
    assert password.encode() not in stored
    assert login(client, world.member.phone or "", password).status_code == 200


def test_committee_admin_resets_across_the_subtree(client: TestClient, world: World) -> None:
    r = _reset(client, world, world.outsider.member_id, world.committee_admin.headers)
    assert r.status_code == 201, r.text


def test_refusals_are_chinese_problems(client: TestClient, world: World, db: Session) -> None:
    no_account = create_member(db, branch=world.branch, name="未开通")
    r = _reset(client, world, no_account.id)
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "account_missing"
    assert "开通" in r.json()["detail"]

    own = _reset(client, world, world.secretary.member_id)
    assert own.status_code == 409
    assert own.json()["code"] == "own_password"

    assert client.patch(
        f"{API}/members/{world.group_leader.member_id}", json={"status": "inactive"}, headers=world.secretary.headers
    ).is_success
    off = _reset(client, world, world.group_leader.member_id)
    assert off.status_code == 409
    assert off.json()["code"] == "member_not_active"

    # another branch's secretary does not see the member; a member may not reset anyone
    assert _reset(client, world, world.member.member_id, world.outsider.headers).status_code == 404
    denied = _reset(client, world, world.group_leader.member_id, world.member.headers)
    assert denied.status_code == 403
    assert denied.json()["detail"]
