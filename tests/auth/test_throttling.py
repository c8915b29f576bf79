"""Login throttling by phone and address, wrong current passwords, and password hashing outside the
request's transaction (SQLite's write lock is not held for argon2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app.auth.models import LoginFailure
from app.core import security
from app.core.config import settings
from tests.factories import PASSWORD, World, login

PASSWORD_URL = "/api/v1/auth/password"
ClientAt = Callable[[str], TestClient]


@pytest.fixture
def client_at(app_instance: FastAPI, db: Session) -> Iterator[ClientAt]:
    """Clients calling from given addresses (the default test client is "testclient")."""
    opened: list[TestClient] = []

    def make(address: str) -> TestClient:
        c = TestClient(app_instance, client=(address, 40000))
        c.__enter__()
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def _failures(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(LoginFailure)).scalar_one())


def test_five_failures_lock_the_phone_only_from_that_address(client_at: ClientAt, world: World) -> None:
    attacker, secretary_at_home = client_at("203.0.113.9"), client_at("198.51.100.20")
    for _ in range(settings.login_max_failures):
        assert login(attacker, world.secretary.phone, "wrong-password").status_code == 401
    r = login(attacker, world.secretary.phone)
    assert r.status_code == 429
    assert r.json()["code"] == "login_throttled"
    # the secretary, elsewhere, still signs in: a stranger cannot lock her out
    assert login(secretary_at_home, world.secretary.phone).status_code == 200


def test_guessing_one_phone_from_many_addresses_is_limited(client_at: ClientAt, world: World) -> None:
    limit = settings.login_max_failures_per_phone
    per_address = settings.login_max_failures - 1  # never trips the per-address-and-phone limit
    failures = 0
    address = 0
    while failures < limit:
        address += 1
        c = client_at(f"203.0.113.{address}")
        for _ in range(min(per_address, limit - failures)):
            assert login(c, world.member.phone, "wrong-password").status_code == 401
            failures += 1
    r = login(client_at("198.51.100.1"), world.member.phone)
    assert r.status_code == 429
    assert "手机号" in r.json()["detail"]


def test_spraying_many_phones_from_one_address_is_limited(client_at: ClientAt, world: World) -> None:
    sprayer, neighbour = client_at("203.0.113.50"), client_at("198.51.100.50")
    for i in range(settings.login_max_failures_per_address):
        assert login(sprayer, f"1390000{i:04d}", "Summer-2026!").status_code == 401
    r = login(sprayer, world.member.phone)  # even a right password from there waits
    assert r.status_code == 429
    assert "网络" in r.json()["detail"]
    assert int(r.headers["retry-after"]) >= 1
    assert login(neighbour, world.member.phone).status_code == 200


def test_a_village_nat_is_not_silenced_by_a_few_typos(client_at: ClientAt, world: World) -> None:
    village = client_at("203.0.113.77")
    personas = (world.member, world.secretary, world.group_leader, world.supervisor)
    for persona in personas:  # everyone mistypes twice, then gets it right
        for _ in range(2):
            assert login(village, persona.phone, "typo-typo-typo").status_code == 401
        assert login(village, persona.phone).status_code == 200


def test_wrong_current_passwords_are_throttled(client: TestClient, world: World, db: Session) -> None:
    wrong = {"current_password": "not-it-at-all", "new_password": "Brand-New-Secret-9"}
    for _ in range(settings.login_max_failures):
        r = client.post(PASSWORD_URL, headers=world.member.headers, json=wrong)
        assert r.status_code == 400
        assert r.json()["code"] == "wrong_password"
    assert _failures(db) == settings.login_max_failures
    right = {"current_password": PASSWORD, "new_password": "Brand-New-Secret-9"}
    r = client.post(PASSWORD_URL, headers=world.member.headers, json=right)
    assert r.status_code == 429
    assert login(client, world.member.phone).status_code == 429  # the same limit as logins


def test_a_right_current_password_records_nothing(client: TestClient, world: World, db: Session) -> None:
    body = {"current_password": PASSWORD, "new_password": "Brand-New-Secret-9"}
    assert client.post(PASSWORD_URL, headers=world.member.headers, json=body).status_code == 204
    assert _failures(db) == 0
    # a weak new password is refused before the current one is even checked: nothing recorded
    body = {"current_password": "Brand-New-Secret-9", "new_password": "123"}
    fresh = login(client, world.member.phone, "Brand-New-Secret-9").json()["access_token"]
    r = client.post(PASSWORD_URL, headers={"Authorization": f"Bearer {fresh}"}, json=body)
    assert r.json()["code"] == "weak_password"
    assert _failures(db) == 0


# ---------------------------------------------------------------- hashing outside the transaction


@contextmanager
def _watch_hashing(db: Session, monkeypatch: pytest.MonkeyPatch, name: str) -> Iterator[list[tuple[bool, int]]]:
    """Record, at each call of security.<name>, whether a request transaction is open on the test
    connection (each request's session is a SAVEPOINT inside the test's own), and how many failure
    records are already committed."""
    connection = db.connection()
    outer = connection.get_nested_transaction()
    seen: list[tuple[bool, int]] = []
    real = getattr(security, name)

    def watched(*args: object, **kwargs: object) -> object:
        seen.append((connection.get_nested_transaction() is not outer, _failures(db)))
        return real(*args, **kwargs)

    monkeypatch.setattr(security, name, watched)
    yield seen


def test_login_checks_the_password_outside_the_transaction(
    client: TestClient, world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _watch_hashing(db, monkeypatch, "verify_password") as seen:
        assert login(client, world.member.phone, "wrong-password").status_code == 401
        assert login(client, world.member.phone).status_code == 200
    # no transaction open while hashing; the attempt already counted (concurrent guesses do too)
    assert seen == [(False, 1), (False, 2)]
    assert _failures(db) == 0  # the right password cleared this phone's failures from here


def test_change_password_hashes_outside_the_transaction(
    client: TestClient, world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _watch_hashing(db, monkeypatch, "hash_password") as seen:
        body = {"current_password": PASSWORD, "new_password": "Brand-New-Secret-9"}
        assert client.post(PASSWORD_URL, headers=world.member.headers, json=body).status_code == 204
    assert [in_transaction for in_transaction, _ in seen] == [False]


@pytest.mark.parametrize("route", ["create", "open"])
def test_opening_an_account_hashes_outside_the_transaction(
    client: TestClient, world: World, db: Session, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    from tests.factories import create_member

    headers = world.secretary.headers
    with _watch_hashing(db, monkeypatch, "hash_password") as seen:
        if route == "create":
            body = {"name": "新党员", "branch_id": world.branch.id, "phone": "13912345678"}
            r = client.post("/api/v1/members", json={**body, "initial_password": "Start-Here-2026"}, headers=headers)
        else:
            member = create_member(db, branch=world.branch, name="待开通")
            db.flush()
            r = client.post(
                f"/api/v1/members/{member.id}/account", json={"initial_password": "Start-Here-2026"}, headers=headers
            )
    assert r.status_code == 201, r.text
    assert r.json()["has_account"] is True
    assert [in_transaction for in_transaction, _ in seen] == [False]
