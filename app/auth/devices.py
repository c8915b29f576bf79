"""Device cookies: a device that has signed in to an account before is not locked out by strangers.

OWASP's "slow down online guessing attacks with device cookies": a successful sign-in sets a signed,
HttpOnly cookie that names the account (its id and phone), a random device id and when it was issued.
A later sign-in to that account carrying a valid cookie is a *trusted device*: it skips the locks
meant for unknown clients (the phone's, the address's, the pair's — which anyone who knows a
secretary's number can trip) and is limited by its own lock instead (`login_max_failures` wrong
passwords with the cookie lock that cookie alone). A cookie that is forged, altered, expired, or
names another account or phone counts for nothing: the request is an unknown device.

The signature is HMAC-SHA256 with a server secret kept under var/ like the JWT secret
(`var/device_cookie_secret`, generated once, 0600). One cookie per account on a device (its name
carries a keyed hash of the phone), so a phone shared by several members keeps each one's.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response

from app.core import security
from app.core.config import _kept_secret, settings
from app.core.validation import normalize_phone

VERSION = "v1"
COOKIE_PREFIX = "ln_device_"
DEVICE_DAYS = 180
MAX_COOKIE_CHARS = 200
_DIGITS = re.compile(r"[0-9]{1,12}")
_DEVICE = re.compile(r"[A-Za-z0-9_-]{8,64}")


@lru_cache(maxsize=8)
def _key_at(path: str) -> bytes:
    from pathlib import Path

    return _kept_secret(Path(path)).encode()


def _key() -> bytes:
    return _key_at(str(settings.var_dir / "device_cookie_secret"))


def cookie_name(phone: str) -> str:
    """The cookie's name for this phone (a keyed hash: the name does not reveal the number)."""
    return COOKIE_PREFIX + security.keyed_digest(normalize_phone(phone), "device-cookie-name")[:16]


def _signature(account_id: int, phone: str, device: str, issued: int) -> str:
    message = f"{VERSION}|{account_id}|{normalize_phone(phone)}|{device}|{issued}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Device:
    """A valid device cookie: the account it names and its random device id."""

    account_id: int
    device: str

    @property
    def failure_key(self) -> str:
        """What this device's failed sign-ins are counted under (a salted hash, never the id)."""
        return security.keyed_digest(f"{self.account_id}:{self.device}", "login-device")


def make_value(account_id: int, phone: str, *, device: str | None = None, issued: int | None = None) -> str:
    device = device or secrets.token_urlsafe(16)
    issued = int(time.time()) if issued is None else issued
    return f"{VERSION}.{account_id}.{device}.{issued}.{_signature(account_id, phone, device, issued)}"


def parse(value: str | None, *, account_id: int | None, phone: str, now: float | None = None) -> Device | None:
    """The device a cookie value names, if it is genuine, unexpired and for this account and phone."""
    if not value or account_id is None or len(value) > MAX_COOKIE_CHARS:
        return None
    parts = value.split(".")
    if len(parts) != 5 or parts[0] != VERSION:
        return None
    _, account, device, issued_text, signature = parts
    if not (_DIGITS.fullmatch(account) and _DIGITS.fullmatch(issued_text) and _DEVICE.fullmatch(device)):
        return None
    if int(account) != account_id:
        return None
    issued = int(issued_text)
    expected = _signature(account_id, phone, device, issued)
    if not hmac.compare_digest(signature.encode("utf-8", "replace"), expected.encode()):
        return None
    now = time.time() if now is None else now
    if issued > now + 300 or now - issued > DEVICE_DAYS * 86_400:  # issued in the future, or expired
        return None
    return Device(account_id=account_id, device=device)


def from_request(request: Request, *, account_id: int | None, phone: str) -> Device | None:
    return parse(request.cookies.get(cookie_name(phone)), account_id=account_id, phone=phone)


def set_cookie(response: Response, request: Request, *, account_id: int, phone: str, device: Device | None) -> None:
    """(Re)issue the device cookie after a successful sign-in; a known device keeps its id."""
    response.set_cookie(
        cookie_name(phone),
        make_value(account_id, phone, device=device.device if device else None),
        max_age=DEVICE_DAYS * 86_400,
        path=request.url.path.rsplit("/", 1)[0] or "/",  # the auth routes only (/api/v1/auth)
        httponly=True,
        secure=settings.public_base_url.startswith("https://") or request.url.scheme == "https",
        samesite="strict",
    )
