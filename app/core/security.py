"""Passwords (argon2 via pwdlib) and access tokens (JWT via python-jose).

This is the only module that imports jose, so a swap to another JWT library stays a one-file change.
Decoding pins HS256 as a list and requires exp, iat, aud, iss and sub: python-jose 3.5 would
otherwise accept a token without exp or aud; it does not check that iat is in the past, so that is
checked here (beyond CLOCK_SKEW_SECONDS a token is refused).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from importlib import resources

from jose import JWTError, jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import settings
from app.core.time import utcnow

ALGORITHM = "HS256"
ACCESS_TYPE = "access"
MIN_PASSWORD_LENGTH = 8
CLOCK_SKEW_SECONDS = 60
"""How far ahead of our clock a token's `iat` may be (servers' clocks drift a little): a token
issued further in the future was not issued by us, or was minted to outlive its lifetime."""

_hasher = PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


# A one-time initial password the server generated (auth.service.generate_initial_password, ~59
# random bits), void at the first sign-in: its strength is its randomness, not the hash's cost, so a
# roster import's slips are hashed at argon2id's lowest cost (~0.1 ms each instead of ~120 ms: a
# town's 1,462 new accounts in 0.2 s instead of 3 minutes). argon2 reads the cost from the hash, so
# `verify_password` checks it like any other; the member's own password gets the full cost.
_one_time_hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=256, parallelism=1),))


def hash_one_time_password(password: str) -> str:
    return _one_time_hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return _hasher.verify(password, password_hash)
    except Exception:  # a malformed stored hash is a failed login, not a crash
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def burn_password_check(password: str) -> None:
    """Spend the same time as a real check, so an unknown phone answers like a wrong password."""
    verify_password(password, _dummy_hash())


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("app.core").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, *, phone: str | None = None) -> str | None:
    """Why a new password is not acceptable (Chinese), or None when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要 {MIN_PASSWORD_LENGTH} 个字符"
    if len(password) > 128:
        return "密码最多 128 个字符"
    lowered = password.lower()
    if lowered in common_passwords() or len(set(password)) <= 2:
        return "这个密码太常见，容易被猜到，请换一个"
    if phone and (phone in password or password in phone):
        return "密码不能包含手机号"
    return None


@dataclass(frozen=True)
class AccessClaims:
    account_id: int
    token_version: int
    jti: str
    expires_at: int


class InvalidToken(Exception):
    pass


def create_access_token(account_id: int, token_version: int, *, minutes: int | None = None) -> str:
    now = utcnow()
    lifetime = timedelta(minutes=settings.access_token_minutes if minutes is None else minutes)
    claims = {
        "sub": str(account_id),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
        "tv": token_version,
        "typ": ACCESS_TYPE,
    }
    return jwt.encode(claims, settings.jwt_key, algorithm=ALGORITHM)


def decode_access_token(token: str) -> AccessClaims:
    if len(token) > 4096:
        raise InvalidToken("token too long")
    try:
        claims = jwt.decode(
            token,
            settings.jwt_key,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_aud": True,
                "require_iss": True,
                "require_sub": True,
                "require_jti": True,
                "leeway": 0,
            },
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("typ") != ACCESS_TYPE:
        raise InvalidToken("not an access token")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or iat > utcnow().timestamp() + CLOCK_SKEW_SECONDS:
        raise InvalidToken("issued in the future")
    try:
        return AccessClaims(
            account_id=int(claims["sub"]),
            token_version=int(claims["tv"]),
            jti=str(claims["jti"]),
            expires_at=int(claims["exp"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("malformed claims") from exc


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_digest(value: str, purpose: str) -> str:
    """A salted, keyed hash for values we must match but never store raw (IPs, devices, phones)."""
    return hmac.new(settings.salt.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
