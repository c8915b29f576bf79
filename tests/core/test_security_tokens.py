"""Access tokens issued in the future (`iat` ahead of the clock) are refused beyond a small skew."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from app.core.security import CLOCK_SKEW_SECONDS, InvalidToken, decode_access_token
from tests.auth.test_jwt import forge, good_claims
from tests.factories import World


@pytest.mark.parametrize("ahead", [CLOCK_SKEW_SECONDS + 5, 3600, 86400 * 365])
def test_token_issued_in_the_future_is_refused(ahead: int) -> None:
    now = int(time.time())
    token = forge(good_claims(1, iat=now + ahead, exp=now + ahead + 600))
    with pytest.raises(InvalidToken):
        decode_access_token(token)


def test_token_within_the_clock_skew_is_accepted() -> None:
    now = int(time.time())
    claims = decode_access_token(forge(good_claims(7, iat=now + CLOCK_SKEW_SECONDS - 5)))
    assert claims.account_id == 7


def test_future_token_is_a_401_problem(client: TestClient, world: World) -> None:
    now = int(time.time())
    real = decode_access_token(world.secretary.token())
    assert client.get("/api/v1/auth/me", headers=world.secretary.headers).status_code == 200
    token = forge(good_claims(real.account_id, iat=now + 3600, exp=now + 7200, tv=real.token_version))
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
