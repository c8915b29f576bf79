"""Device cookies (OWASP): strangers who know a secretary's phone cannot lock her own devices out.

Twenty wrong passwords from four addresses lock the phone for unknown devices (429), while the device
she signed in on before, carrying its signed cookie, still signs in; a forged, altered, expired or
borrowed cookie is an unknown device; a device cookie that itself sees failures is locked alone."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth import devices
from app.core.config import settings
from tests.factories import PASSWORD, World, login

ClientAt = Callable[[str], TestClient]


@pytest.fixture
def client_at(app_instance: FastAPI, db: Session) -> Iterator[ClientAt]:
    """Clients calling from given addresses, each with its own cookie jar (its own device)."""
    opened: list[TestClient] = []

    def make(address: str) -> TestClient:
        c = TestClient(app_instance, client=(address, 40000))
        c.__enter__()
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def _lock_the_phone(client_at: ClientAt, phone: str) -> None:
    """20 wrong passwords from four addresses (5 each): the phone's own lock, not the pairs'."""
    per_address = settings.login_max_failures
    assert settings.login_max_failures_per_phone == 4 * per_address == 20
    for n in range(4):
        attacker = client_at(f"203.0.113.{n + 1}")
        for _ in range(per_address):
            assert login(attacker, phone, "wrong-password").status_code == 401


def _cookie(client: TestClient, phone: str) -> str:
    value = client.cookies.get(devices.cookie_name(phone))
    assert value
    return value


def test_the_secretarys_own_device_signs_in_through_a_phone_lock(client_at: ClientAt, world: World) -> None:
    phone = world.secretary.phone
    her_phone = client_at("198.51.100.20")
    assert login(her_phone, phone).status_code == 200  # signed in before: the device cookie is set
    _lock_the_phone(client_at, phone)
    stranger = client_at("198.51.100.99")
    r = login(stranger, phone)  # an unknown device, even with the right password, waits
    assert r.status_code == 429
    assert r.json()["code"] == "login_throttled"
    assert "手机号" in r.json()["detail"]
    assert int(r.headers["retry-after"]) >= 1
    r = login(her_phone, phone)  # her own device passes the phone's lock
    assert r.status_code == 200, r.text
    assert r.json()["access_token"]
    # from another network too (the cookie, not the address, is what is trusted)
    moved = client_at("192.0.2.44")
    moved.cookies.set(devices.cookie_name(phone), _cookie(her_phone, phone))
    assert login(moved, phone).status_code == 200


def test_the_cookie_is_signed_httponly_and_scoped_to_sign_in(client_at: ClientAt, world: World) -> None:
    r = login(client_at("198.51.100.21"), world.secretary.phone)
    assert r.status_code == 200
    set_cookie = r.headers["set-cookie"]
    name = devices.cookie_name(world.secretary.phone)
    assert set_cookie.startswith(f"{name}=")
    assert world.secretary.phone not in set_cookie  # neither the name nor the value shows the number
    lowered = set_cookie.lower()
    assert "httponly" in lowered
    assert "samesite=strict" in lowered
    assert "path=/api/v1/auth" in lowered
    assert f"max-age={devices.DEVICE_DAYS * 86400}" in lowered
    assert "set-cookie" not in login(client_at("198.51.100.22"), world.secretary.phone, "wrong").headers


@pytest.mark.parametrize(
    "kind", ["forged", "altered", "expired", "future", "another_account", "garbage", "non_ascii", "superscript"]
)
def test_a_bad_device_cookie_does_not_pass(client_at: ClientAt, world: World, kind: str) -> None:
    phone = world.secretary.phone
    account_id = world.secretary.account_id
    assert account_id is not None
    genuine = devices.make_value(account_id, phone)
    now = int(time.time())
    value = {
        "forged": genuine.rsplit(".", 1)[0] + "." + "0" * 64,  # signed without the server's secret
        "altered": genuine.replace(f".{now}", f".{now + 1}", 1) if f".{now}" in genuine else genuine[:-1] + "0",
        "expired": devices.make_value(account_id, phone, issued=now - (devices.DEVICE_DAYS + 1) * 86_400),
        "future": devices.make_value(account_id, phone, issued=now + 86_400),
        "another_account": devices.make_value(pk_of(world.member), world.member.phone),
        "garbage": "v1." + "x" * 500,
        "non_ascii": genuine.rsplit(".", 1)[0] + ".\u00e9" + "0" * 63,
        "superscript": genuine.replace(f"v1.{account_id}.", "v1.\u00b2.", 1),
    }[kind]
    assert devices.parse(value, account_id=account_id, phone=phone) is None
    _lock_the_phone(client_at, phone)
    holder = client_at("198.51.100.30")
    # sent as raw header bytes: a hostile client is not limited to what a browser would send
    raw_cookie = f"{devices.cookie_name(phone)}={value}".encode("latin-1")
    r = holder.post(
        "/api/v1/auth/token", data={"username": phone, "password": PASSWORD}, headers={"Cookie": raw_cookie}
    )
    assert r.status_code == 429
    # the same cookie, genuine, would have passed
    holder.cookies.set(devices.cookie_name(phone), genuine)
    assert login(holder, phone).status_code == 200


def pk_of(persona: object) -> int:
    account_id = getattr(persona, "account_id", None)
    assert isinstance(account_id, int)
    return account_id


def test_a_device_cookie_that_sees_failures_is_locked_on_its_own(client_at: ClientAt, world: World) -> None:
    phone = world.secretary.phone
    device = client_at("198.51.100.40")
    assert login(device, phone).status_code == 200
    for _ in range(settings.login_max_failures):
        assert login(device, phone, "wrong-password").status_code == 401
    r = login(device, phone)  # that device cookie is locked now, even with the right password
    assert r.status_code == 429
    assert "设备" in r.json()["detail"]
    # ... and only it: the phone is not locked for others (the failures counted against the device)
    other = client_at("198.51.100.41")
    assert login(other, phone).status_code == 200
    assert login(client_at("198.51.100.40"), phone).status_code == 200  # same address, no cookie: a pair of its own


def test_a_right_password_on_a_trusted_device_clears_its_failures(client_at: ClientAt, world: World) -> None:
    phone = world.secretary.phone
    device = client_at("198.51.100.50")
    assert login(device, phone).status_code == 200
    first = _cookie(device, phone)
    for _ in range(settings.login_max_failures - 1):
        assert login(device, phone, "wrong-password").status_code == 401
    assert login(device, phone).status_code == 200
    # the device keeps its id (the cookie is re-issued with a fresh date) and may mistype again
    assert devices.parse(_cookie(device, phone), account_id=world.secretary.account_id, phone=phone) == devices.parse(
        first, account_id=world.secretary.account_id, phone=phone
    )
    for _ in range(settings.login_max_failures - 1):
        assert login(device, phone, "wrong-password").status_code == 401
    assert login(device, phone).status_code == 200


def test_her_own_device_changes_the_password_through_a_phone_lock(client_at: ClientAt, world: World) -> None:
    phone = world.secretary.phone
    her_phone = client_at("198.51.100.60")
    token = login(her_phone, phone).json()["access_token"]
    _lock_the_phone(client_at, phone)
    body = {"current_password": PASSWORD, "new_password": "Brand-New-Secret-9"}
    stranger = client_at("198.51.100.61")  # the same session without the device cookie waits
    r = stranger.post("/api/v1/auth/password", headers={"Authorization": f"Bearer {token}"}, json=body)
    assert r.status_code == 429
    r = her_phone.post("/api/v1/auth/password", headers={"Authorization": f"Bearer {token}"}, json=body)
    assert r.status_code == 204, r.text
