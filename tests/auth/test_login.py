"""Sign-in, refresh rotation and reuse detection, throttling, passwords, must-change-password."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.auth.models import Account, LoginFailure, RefreshToken
from app.core import security
from app.core.time import utcnow
from tests.factories import PASSWORD, World, create_member, login

TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/auth/me"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_a_token_pair(client: TestClient, world: World) -> None:
    response = login(client, world.secretary.phone)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["must_change_password"] is False
    assert body["refresh_token"] != body["access_token"]
    assert response.headers["cache-control"] == "no-store"
    me = client.get(ME, headers=bearer(body["access_token"])).json()
    assert me["account"]["id"] == world.secretary.account_id


@pytest.mark.parametrize("spelling", ["+86 {p}", "0086{p}", "{p}", "{a}-{b}-{c}", " {p} "])
def test_login_accepts_phone_spellings(client: TestClient, world: World, spelling: str) -> None:
    p = world.member.phone or ""
    username = spelling.format(p=p, a=p[:3], b=p[3:7], c=p[7:])
    assert login(client, username).status_code == 200


def test_refresh_token_is_stored_hashed(client: TestClient, world: World, db: Session) -> None:
    pair = login(client, world.member.phone).json()
    stored = db.execute(select(col(RefreshToken.token_hash))).scalars().all()
    assert pair["refresh_token"] not in stored
    assert security.token_digest(pair["refresh_token"]) in stored


def test_wrong_password_and_unknown_phone_answer_alike(client: TestClient, world: World) -> None:
    wrong = login(client, world.member.phone, "not-the-password")
    unknown = login(client, "13999999999", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
    assert wrong.json() == unknown.json()
    assert wrong.json()["detail"] == "手机号或密码不正确"
    assert wrong.json()["code"] == "bad_credentials"


def test_unknown_phone_spends_a_real_hash(client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Timing-safe: an unknown phone runs the same argon2 check as a known one."""
    calls: list[str] = []
    real_verify = security.verify_password

    def spy(password: str, password_hash: str) -> bool:
        calls.append(password_hash[:9])
        return real_verify(password, password_hash)

    monkeypatch.setattr(security, "verify_password", spy)
    login(client, "13999999998", "whatever-it-is")
    assert calls == ["$argon2id"]


def test_unknown_phone_takes_about_as_long_as_a_wrong_password(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loose wall-clock check on top of the spy above; interleaved so machine load hits both alike."""
    # the production cost (the suite runs on a cheap one): for the account's hash and the dummy hash
    monkeypatch.setattr(security, "_hasher", PasswordHash((Argon2Hasher(),)))
    security._dummy_hash.cache_clear()
    auth_service.create_account(db, phone="13999999990", display_name="真实成本", password="Real-Cost-2026")
    security.burn_password_check("warm-up")  # the dummy hash is made once, lazily
    best = {"known": float("inf"), "unknown": float("inf")}
    for _ in range(4):  # stays under the throttling limit of 5
        for label, phone in (("known", "13999999990"), ("unknown", "13999999997")):
            started = time.perf_counter()
            assert login(client, phone, "not-the-password-x").status_code == 401
            best[label] = min(best[label], time.perf_counter() - started)
    security._dummy_hash.cache_clear()
    assert best["known"] > 0.02  # the real cost was in force
    assert best["unknown"] > best["known"] * 0.4, best
    assert best["known"] > best["unknown"] * 0.4, best


def test_throttling_after_five_failures(client: TestClient, world: World) -> None:
    for _ in range(5):
        assert login(client, world.member.phone, "wrong-password").status_code == 401
    throttled = login(client, world.member.phone)  # even the right password now waits
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "login_throttled"
    assert "分钟后再试" in throttled.json()["detail"]
    retry_after = int(throttled.headers["retry-after"])
    assert 1 <= retry_after <= 15 * 60
    # another phone is not affected
    assert login(client, world.secretary.phone).status_code == 200


def test_throttling_also_covers_unknown_phones(client: TestClient, world: World) -> None:
    for _ in range(5):
        assert login(client, "13999999996", "wrong-password").status_code == 401
    assert login(client, "13999999996", "wrong-password").status_code == 429


def test_failures_age_out_of_the_window(client: TestClient, world: World, db: Session) -> None:
    for _ in range(5):
        login(client, world.member.phone, "wrong-password")
    for failure in db.execute(select(LoginFailure)).scalars():
        failure.at = utcnow() - timedelta(minutes=16)
        db.add(failure)
    db.flush()
    assert login(client, world.member.phone).status_code == 200


def test_success_clears_earlier_failures(client: TestClient, world: World) -> None:
    for _ in range(4):
        login(client, world.member.phone, "wrong-password")
    assert login(client, world.member.phone).status_code == 200
    for _ in range(4):
        assert login(client, world.member.phone, "wrong-password").status_code == 401
    assert login(client, world.member.phone).status_code == 200


def test_failures_are_stored_without_the_phone(client: TestClient, world: World, db: Session) -> None:
    login(client, world.member.phone, "wrong-password")
    keys = db.execute(select(col(LoginFailure.phone_key))).scalars().all()
    assert keys
    assert all(world.member.phone not in key for key in keys)


def test_login_form_needs_both_fields(client: TestClient, world: World) -> None:
    response = client.post(TOKEN, data={"username": world.member.phone})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["password"]


# ---------------------------------------------------------------- refresh


def test_refresh_rotates(client: TestClient, world: World) -> None:
    first = login(client, world.member.phone).json()
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert client.get(ME, headers=bearer(pair["access_token"])).status_code == 200
    third = client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert third.status_code == 200


def test_reusing_a_refresh_token_revokes_the_family(client: TestClient, world: World, db: Session) -> None:
    first = login(client, world.member.phone).json()
    other_login = login(client, world.member.phone).json()
    rotated = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).json()
    # an attacker replays the old one
    replay = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json()["code"] == "refresh_reused"
    # the legitimate holder's newer token is dead too: the family is revoked
    assert client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]}).status_code == 401
    # another login (another family) is untouched
    assert client.post(REFRESH, json={"refresh_token": other_login["refresh_token"]}).status_code == 200


def test_unknown_and_expired_refresh_tokens(client: TestClient, world: World, db: Session) -> None:
    assert client.post(REFRESH, json={"refresh_token": "x" * 43}).status_code == 401
    pair = login(client, world.member.phone).json()
    row = db.execute(
        select(RefreshToken).where(col(RefreshToken.token_hash) == security.token_digest(pair["refresh_token"]))
    ).scalar_one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.flush()
    response = client.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 401
    assert response.json()["code"] == "refresh_expired"


def test_refresh_for_a_disabled_account(client: TestClient, world: World, db: Session) -> None:
    pair = login(client, world.member.phone).json()
    account = db.get(Account, world.member.account_id)
    assert account is not None
    account.disabled = True
    db.add(account)
    db.flush()
    assert client.post(REFRESH, json={"refresh_token": pair["refresh_token"]}).status_code == 401


def test_refresh_body_is_validated(client: TestClient, world: World) -> None:
    response = client.post(REFRESH, json={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "refresh_token"


# ---------------------------------------------------------------- passwords


@pytest.mark.parametrize(
    ("new_password", "fragment"),
    [
        ("short", "至少需要 8 个字符"),
        ("password", "太常见"),
        ("12345678", "太常见"),
        ("aaaaaaaaaaaa", "太常见"),
        ("x" * 129, "最多"),
    ],
)
def test_weak_new_passwords_are_refused(client: TestClient, world: World, new_password: str, fragment: str) -> None:
    response = client.post(
        "/api/v1/auth/password",
        headers=world.member.headers,
        json={"current_password": PASSWORD, "new_password": new_password},
    )
    assert response.status_code == 422
    assert fragment in response.json()["detail"] or fragment in str(response.json()["errors"])


def test_password_may_not_contain_the_phone(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/auth/password",
        headers=world.member.headers,
        json={"current_password": PASSWORD, "new_password": f"x{world.member.phone}"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"


def test_password_change_needs_the_current_password(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/auth/password",
        headers=world.member.headers,
        json={"current_password": "not-it-at-all", "new_password": "Brand-New-Secret-9"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"
    assert response.json()["errors"][0]["field"] == "current_password"
    assert client.get(ME, headers=world.member.headers).status_code == 200


def test_common_password_list_is_bundled() -> None:
    common = security.common_passwords()
    assert len(common) > 100
    assert {"12345678", "password", "woaini1314"} <= common
    assert security.password_problem("woaini1314") is not None
    assert security.password_problem("Dawa-Shequ-2026") is None


def test_passwords_are_argon2_hashed() -> None:
    hashed = security.hash_password("Dawa-Shequ-2026")
    assert hashed.startswith("$argon2id$")
    assert security.verify_password("Dawa-Shequ-2026", hashed)
    assert not security.verify_password("dawa-shequ-2026", hashed)
    assert not security.verify_password("anything", "not-a-hash")


# ---------------------------------------------------------------- must change password


def _must_change(client: TestClient, world: World) -> dict[str, str]:
    """A member whose account still has its initial password (made directly: cheap)."""
    from app.core.permissions import SYSTEM
    from app.members import service as members_service
    from tests.factories import password_hash

    assert world.db is not None
    member = create_member(world.db, branch=world.branch, group=world.group, name="新开通")
    members_service.open_account(world.db, actor=SYSTEM, member=member, password_hash=password_hash())
    pair = login(client, member.phone or "").json()
    assert pair["must_change_password"] is True
    return bearer(pair["access_token"])


def _fresh_account(client: TestClient, world: World) -> tuple[str, dict[str, str]]:
    """A member whose account the secretary just opened: must change the password first."""
    assert world.db is not None
    member = create_member(world.db, branch=world.branch, group=world.group, name="新开通")
    response = client.post(
        f"/api/v1/members/{member.id}/account",
        headers=world.secretary.headers,
        json={"initial_password": "Start-Here-2026"},
    )
    assert response.status_code == 201, response.text
    pair = login(client, member.phone or "", "Start-Here-2026").json()
    assert pair["must_change_password"] is True
    return member.phone or "", bearer(pair["access_token"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/units"),
        ("GET", "/api/v1/members"),
        ("GET", "/api/v1/grants"),
        ("POST", "/api/v1/members"),
    ],
)
def test_must_change_password_blocks_everything_else(client: TestClient, world: World, method: str, path: str) -> None:
    headers = _must_change(client, world)
    response = client.request(method, path, headers=headers, json={})
    assert response.status_code == 403
    assert response.json()["code"] == "password_change_required"
    assert response.json()["detail"] == "请先修改初始密码"


def test_must_change_password_can_reach_me_password_logout(client: TestClient, world: World) -> None:
    phone, headers = _fresh_account(client, world)
    me = client.get(ME, headers=headers)
    assert me.status_code == 200
    assert me.json()["account"]["must_change_password"] is True
    changed = client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"current_password": "Start-Here-2026", "new_password": "My-Own-Secret-77"},
    )
    assert changed.status_code == 204
    assert client.get(ME, headers=headers).status_code == 401  # the old token ended with the change
    pair = login(client, phone, "My-Own-Secret-77").json()
    assert pair["must_change_password"] is False
    assert client.get("/api/v1/units", headers=bearer(pair["access_token"])).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"])).status_code == 204


def test_must_change_password_can_log_out(client: TestClient, world: World) -> None:
    headers = _must_change(client, world)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get(ME, headers=headers).status_code == 401


def test_created_accounts_must_change_password(db: Session, world: World) -> None:
    account = auth_service.create_account(db, phone="13911112222", display_name="新人", password="Start-Here-2026")
    assert account.must_change_password is True
    with pytest.raises(Exception, match="该手机号已有账号"):
        auth_service.create_account(db, phone="139 1111 2222", display_name="重复", password="Start-Here-2026")


def test_purge_expired(db: Session, world: World, client: TestClient) -> None:
    pair: Any = login(client, world.member.phone).json()
    client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"]))
    assert auth_service.purge_expired(db) == 0  # not expired yet


def test_a_refresh_race_has_one_winner(client: TestClient, world: World, db: Session) -> None:
    """Another request used the token between our read and our claim: ours counts as reuse."""
    from sqlalchemy import update

    pair = login(client, world.member.phone).json()
    digest = security.token_digest(pair["refresh_token"])
    row = db.execute(select(RefreshToken).where(col(RefreshToken.token_hash) == digest)).scalar_one()
    assert row.used_at is None  # loaded: the service will see this stale copy
    db.execute(
        update(RefreshToken)
        .where(col(RefreshToken.id) == row.id)
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(Exception, match="登录已失效") as excinfo:
        auth_service.refresh(db, refresh_token=pair["refresh_token"])
    assert getattr(excinfo.value, "code", "") == "refresh_reused"
