"""The HTTP side of abuse control for villagers' forms (no account, no JavaScript, no third party).

- Device: a random id in a signed, HttpOnly, SameSite=Lax cookie. Only its salted hash is stored.
  A missing or forged cookie gets a fresh device (a cleared cookie is a new device: the per-address
  limit and the burst flags catch a flood of those).
- Form token: `{issued}.{signature}` over (device, form, issued time). It is the CSRF token — a
  page on another site can neither read it nor produce it — and carries the minimum fill time:
  a form sent back sooner than MIN_FILL_SECONDS after it was served is not stored but shown again
  with the choice kept and a line asking to tap once more (an honest answer: a quick person is not
  a bot, and a bot that waits gains nothing it could not get from the limits and burst flags).
- Honeypot: a text field hidden from people; anything in it marks a bot.
- Rate limits per device and per salted client address (see app/core/ratelimit.py), generous enough
  for a whole village behind one mobile NAT.

Bots caught by the honeypot get the ordinary thank-you page, and nothing is stored.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from starlette.requests import Request
from starlette.responses import Response

from app.core.config import settings
from app.core.ratelimit import Limit, client_ip, limiter
from app.core.security import keyed_digest

log = logging.getLogger("liangnuo.evaluations")

DEVICE_COOKIE = "ln_d"
DEVICE_MAX_AGE = 400 * 86_400  # browsers cap cookies at 400 days
HONEYPOT_FIELD = "website"
# Small on purpose: an elderly villager who knows what to tap does it in 1–3 s after the page opens
# (issue 9: 3 s threw such ratings away); a script posts the form it just fetched within milliseconds.
MIN_FILL_SECONDS = 1
FORM_TOKEN_MAX_AGE = 12 * 3600

# name → (per device, per address). 30 honest phones behind one NAT rating 6 pledges each in ten
# minutes stay under the address limit; one device or one address flooding is capped.
LIMITS: dict[str, tuple[Limit, ...]] = {
    "rate.device": (Limit(30, 600), Limit(120, 86_400)),
    "rate.ip": (Limit(240, 600), Limit(2_000, 86_400)),
    "suggest.device": (Limit(5, 3600), Limit(20, 86_400)),
    "suggest.ip": (Limit(60, 3600), Limit(300, 86_400)),
}


@dataclass(frozen=True)
class Device:
    id: str
    is_new: bool

    @property
    def digest(self) -> str:
        return keyed_digest(self.id, "device")


def _sign_device(device_id: str) -> str:
    return keyed_digest(device_id, "device-cookie")[:32]


def device_of(request: Request) -> Device:
    """The device in the signed cookie, or a new one (the caller must then set the cookie)."""
    return device_in(request.cookies.get(DEVICE_COOKIE, ""))


def device_in(raw: str) -> Device:
    """The device a cookie value names when its signature holds, else a new one."""
    device_id, _, signature = raw.partition(".")
    if device_id and len(device_id) <= 64 and hmac.compare_digest(signature, _sign_device(device_id)):
        return Device(id=device_id, is_new=False)
    return Device(id=secrets.token_urlsafe(16), is_new=True)


def device_cookie(device: Device, *, secure: bool) -> str:
    """The Set-Cookie value that gives a new device its signed cookie (HttpOnly, SameSite=Lax, /b/)."""
    cookie = f"{DEVICE_COOKIE}={device.id}.{_sign_device(device.id)}; HttpOnly; Max-Age={DEVICE_MAX_AGE}; Path=/b/"
    return f"{cookie}; SameSite=lax{'; Secure' if secure else ''}"


def remember_device(response: Response, device: Device, request: Request) -> None:
    if device.is_new:
        response.headers.append("set-cookie", device_cookie(device, secure=request.url.scheme == "https"))


def address_digest(request: Request) -> str:
    _warn_untrusted_forwarding(request)
    return keyed_digest(client_ip(request), "ip")


_forwarding_warned = False


def _warn_untrusted_forwarding(request: Request) -> None:
    """Once per process: X-Forwarded-For arrives but no proxy is trusted. Behind a reverse proxy that
    means every villager has the proxy's address, and the per-address limits treat a whole town as one
    phone. (Served directly, the header is a client's own and rightly ignored: then this is noise.)"""
    global _forwarding_warned
    if _forwarding_warned or settings.trusted_proxies or "x-forwarded-for" not in request.headers:
        return
    _forwarding_warned = True
    log.warning(
        "X-Forwarded-For received but LIANGNUO_TRUSTED_PROXIES is empty: behind a reverse proxy, set it to "
        "the proxy's address, or all villagers share one address for rate limits"
    )


def form_token(device: Device, form: str, *, issued: int | None = None) -> str:
    issued = int(time.time()) if issued is None else issued
    return f"{issued}.{keyed_digest(f'{device.id}|{form}|{issued}', 'form')[:32]}"


class FormCheck(StrEnum):
    ok = "ok"
    invalid = "invalid"  # forged, for another form or device, or expired: a CSRF failure
    too_fast = "too_fast"  # sent back before a person could have filled it in


def check_form_token(token: str, device: Device, form: str) -> FormCheck:
    issued_s, _, signature = (token or "").partition(".")
    if not issued_s.isdigit() or len(issued_s) > 12:
        return FormCheck.invalid
    issued = int(issued_s)
    expected = form_token(device, form, issued=issued).partition(".")[2]
    if device.is_new or not hmac.compare_digest(signature, expected):
        return FormCheck.invalid
    age = time.time() - issued
    if age > FORM_TOKEN_MAX_AGE or age < -60:
        return FormCheck.invalid
    if age < MIN_FILL_SECONDS:
        return FormCheck.too_fast
    return FormCheck.ok


def throttled(kind: str, device: Device, address: str) -> int | None:
    """Count one attempt of `kind` ("rate" or "suggest"); seconds to wait when over a limit, else None."""
    checks = [(f"{kind}.device", device.digest), (f"{kind}.ip", address)]
    for name, key in checks:
        for limit in LIMITS[name]:
            wait = limiter.check(f"{name}/{limit.seconds}", key, limit)
            if wait is not None:
                return wait
    return None
