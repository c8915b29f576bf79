"""Access tokens: every forged, stale or malformed token is a 401 with problem+json.

Tokens are built by hand (base64 + HMAC) so the tests do not share python-jose's assumptions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import settings
from app.core.security import InvalidToken, create_access_token, decode_access_token
from tests.factories import PASSWORD, World, login

ME = "/api/v1/auth/me"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(
    claims: dict[str, Any], *, key: str | None = None, alg: str = "HS256", header: dict[str, Any] | None = None
) -> str:
    head = _b64(json.dumps(header or {"alg": alg, "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    signing_input = f"{head}.{body}".encode()
    if alg == "none":
        return f"{head}.{body}."
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    signature = hmac.new((key or settings.jwt_key).encode(), signing_input, digest).digest()
    return f"{head}.{body}.{_b64(signature)}"


def good_claims(account_id: int, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(account_id),
        "iat": now,
        "exp": now + 600,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
        "tv": 1,
        "typ": "access",
    }
    for key, value in overrides.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return claims


def _get_me(client: TestClient, token: str) -> Any:
    return client.get(ME, headers={"Authorization": f"Bearer {token}"})


def assert_401(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["code"] in {"unauthorized", "token_invalid", "token_revoked"}
    assert "登录" in body["detail"]


def test_a_hand_made_valid_token_is_accepted(client: TestClient, world: World) -> None:
    """The forger itself is right: with every claim in place the token works."""
    assert world.member.account_id is not None
    response = _get_me(client, forge(good_claims(world.member.account_id)))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("label", "overrides", "kwargs"),
    [
        ("alg none", {}, {"alg": "none"}),
        ("alg none, upper case", {}, {"alg": "none", "header": {"alg": "None", "typ": "JWT"}}),
        ("HS512 instead of HS256", {}, {"alg": "HS512"}),
        ("wrong key", {}, {"key": "x" * 64}),
        ("expired", {"exp": int(time.time()) - 5, "iat": int(time.time()) - 905}, {}),
        ("missing exp", {"exp": None}, {}),
        ("missing iat", {"iat": None}, {}),
        ("missing aud", {"aud": None}, {}),
        ("wrong aud", {"aud": "someone-else"}, {}),
        ("missing iss", {"iss": None}, {}),
        ("wrong iss", {"iss": "evil"}, {}),
        ("missing sub", {"sub": None}, {}),
        ("sub not a number", {"sub": "admin"}, {}),
        ("missing jti", {"jti": None}, {}),
        ("missing tv", {"tv": None}, {}),
        ("stale token version", {"tv": 0}, {}),
        ("not an access token", {"typ": "refresh"}, {}),
        ("unknown account", {"sub": "987654321"}, {}),
    ],
)
def test_bad_tokens_are_401(
    client: TestClient, world: World, label: str, overrides: dict[str, Any], kwargs: dict[str, Any]
) -> None:
    assert world.member.account_id is not None
    token = forge(good_claims(world.member.account_id, **overrides), **kwargs)
    assert_401(_get_me(client, token))


@pytest.mark.parametrize(
    "token", ["", "garbage", "a.b.c", "x" * 5000, "Bearer", "eyJhbGciOiJIUzI1NiJ9.e30.", "...", "a" * 100 + ".."]
)
def test_malformed_tokens_are_401(client: TestClient, world: World, token: str) -> None:
    assert_401(_get_me(client, token))


def test_wrong_scheme_is_401(client: TestClient, world: World) -> None:
    response = client.get(ME, headers={"Authorization": f"Basic {world.member.token()}"})
    assert_401(response)


def test_refresh_token_used_as_access_token_is_401(client: TestClient, world: World) -> None:
    pair = login(client, world.member.phone).json()
    assert_401(_get_me(client, pair["refresh_token"]))


def test_token_after_logout_is_401(client: TestClient, world: World) -> None:
    pair = login(client, world.member.phone).json()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert client.get(ME, headers=headers).status_code == 200
    response = client.post("/api/v1/auth/logout", headers=headers, json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 204
    assert_401(client.get(ME, headers=headers))
    # the refresh token of that login is dead too
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401


def test_logout_revokes_only_that_token(client: TestClient, world: World) -> None:
    first = login(client, world.member.phone).json()
    second = login(client, world.member.phone).json()
    client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {first['access_token']}"})
    assert_401(_get_me(client, first["access_token"]))
    assert _get_me(client, second["access_token"]).status_code == 200


def test_token_after_password_change_is_401(client: TestClient, world: World) -> None:
    pair = login(client, world.member.phone).json()
    other_device = world.member.token()
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    response = client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": "Brand-New-Secret-9"},
    )
    assert response.status_code == 204, response.text
    assert_401(client.get(ME, headers=headers))
    assert_401(_get_me(client, other_device))
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    assert login(client, world.member.phone).status_code == 401
    assert login(client, world.member.phone, "Brand-New-Secret-9").status_code == 200


def test_disabled_account_token_is_401(client: TestClient, world: World) -> None:
    from app.auth.models import Account

    assert world.db is not None
    account = world.db.get(Account, world.member.account_id)
    assert account is not None
    account.disabled = True
    world.db.add(account)
    world.db.flush()
    assert_401(_get_me(client, world.member.token()))
    assert login(client, world.member.phone).status_code == 401


def test_issued_token_claims() -> None:
    token = create_access_token(42, 3)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "HS256"
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert set(claims) >= {"sub", "iat", "exp", "iss", "aud", "jti", "tv"}
    assert claims["sub"] == "42"
    assert claims["tv"] == 3
    assert claims["exp"] - claims["iat"] == 15 * 60
    decoded = decode_access_token(token)
    assert decoded.account_id == 42
    assert decoded.token_version == 3


def test_expired_token_is_rejected_by_decoder() -> None:
    with pytest.raises(InvalidToken):
        decode_access_token(create_access_token(1, 1, minutes=-1))


def test_jose_is_imported_only_in_security() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "app"
    importers = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if any(
            line.strip().startswith(("import jose", "from jose")) for line in p.read_text(encoding="utf-8").splitlines()
        )
    )
    assert importers == ["core/security.py"]
