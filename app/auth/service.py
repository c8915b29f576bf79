"""Sign-in, token rotation, sign-out and passwords. Services flush; the request commits."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, false, func, or_, select, update
from sqlmodel import Session, col

from app.auth import devices, history
from app.auth.models import Account, LoginFailure, RefreshToken, RevokedAccessToken
from app.auth.schemas import TokenPair
from app.core import db, security
from app.core.config import settings
from app.core.db import pk
from app.core.errors import AppError, Conflict, NotFound, TooManyRequests, Unauthorized, Unprocessable
from app.core.permissions import SYSTEM, Actor
from app.core.time import as_utc, utcnow
from app.core.validation import PHONE_FORMAT_MESSAGE, is_valid_phone, normalize_phone

security_log = logging.getLogger("liangnuo.security")

BAD_LOGIN = "手机号或密码不正确"


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound()
    return account


def find_account_by_phone(session: Session, phone: str) -> Account | None:
    return session.execute(select(Account).where(col(Account.phone) == normalize_phone(phone))).scalar_one_or_none()


def create_account(
    session: Session,
    *,
    phone: str,
    display_name: str,
    password: str | None = None,
    password_hash: str | None = None,
    must_change_password: bool = True,
    actor: Actor = SYSTEM,
) -> Account:
    """Create an account; the password is checked against the policy unless a hash is given."""
    phone = normalize_phone(phone)
    if not is_valid_phone(phone):  # the phone is the login name: it must be one a person can type
        raise Unprocessable(
            PHONE_FORMAT_MESSAGE, code="invalid_phone", errors=[{"field": "phone", "message": PHONE_FORMAT_MESSAGE}]
        )
    if find_account_by_phone(session, phone) is not None:
        raise Conflict("该手机号已有账号", code="phone_taken")
    if password_hash is None:
        if password is None:
            raise Unprocessable("请设置初始密码", code="password_required")
        password_hash = new_password_hash(password, phone=phone)
    account = Account(
        phone=phone,
        display_name=display_name,
        password_hash=password_hash,
        must_change_password=must_change_password,
        password_changed_at=utcnow(),
    )
    session.add(account)
    session.flush()
    history.created(session, actor, [account])
    return account


def create_accounts(
    session: Session,
    *,
    accounts: list[tuple[str, str, str]],
    must_change_password: bool = True,
    actor: Actor = SYSTEM,
) -> list[Account]:
    """Many accounts at once (a roster import): (phone, display name, ready password hash) each. The
    rules of `create_account` hold for all of them, checked before anything is written (a phone a
    person can type, none taken, none twice); then one batched insert."""
    phones = [normalize_phone(phone) for phone, _name, _hash in accounts]
    if not all(is_valid_phone(p) for p in phones):
        raise Unprocessable(PHONE_FORMAT_MESSAGE, code="invalid_phone")
    if len(set(phones)) != len(phones):
        raise Conflict("同一个手机号不能开通两个账号", code="phone_taken")
    for start in range(0, len(phones), 500):
        chunk = phones[start : start + 500]
        if session.execute(select(col(Account.phone)).where(col(Account.phone).in_(chunk))).first() is not None:
            raise Conflict("该手机号已有账号", code="phone_taken")
    now = utcnow()
    rows = [
        Account(
            phone=phone,
            display_name=name,
            password_hash=password_hash,
            must_change_password=must_change_password,
            password_changed_at=now,
        )
        for phone, (_phone, name, password_hash) in zip(phones, accounts, strict=True)
    ]
    session.add_all(rows)
    session.flush()
    history.created(session, actor, rows)
    return rows


def change_phone(session: Session, *, account_id: int, phone: str, actor: Actor = SYSTEM) -> Account:
    """Change an account's login phone (a member's phone changed); another account's is refused."""
    account = get_account(session, account_id)
    phone = normalize_phone(phone)
    if not is_valid_phone(phone):
        raise Unprocessable(PHONE_FORMAT_MESSAGE, code="invalid_phone")
    other = find_account_by_phone(session, phone)
    if other is not None and other.id != account.id:
        raise Conflict(
            "该手机号已有账号", code="phone_taken", errors=[{"field": "phone", "message": "该手机号已有账号"}]
        )
    history.changed(session, actor, account.id, "phone", {"phone": [account.phone, phone]})
    account.phone = phone
    session.add(account)
    session.flush()
    return account


@dataclass(frozen=True)
class FailureKeys:
    """What failed password checks are kept by: salted hashes of the phone and of the client's address,
    or, for a trusted device (a valid device cookie, auth.devices), that device's own key alone.

    A trusted device's failures are stored with `phone_key` = the device's key and no address, so they
    count towards that device's lock only, never the phone's or the address's."""

    phone: str
    address: str | None
    device: str | None = None

    @classmethod
    def of(cls, phone: str, client: str | None, device: devices.Device | None = None) -> FailureKeys:
        return cls(
            phone=security.keyed_digest(normalize_phone(phone), "login"),
            address=security.keyed_digest(client, "login-address") if client else None,
            device=device.failure_key if device else None,
        )


def _throttle(session: Session, keys: FailureKeys) -> None:
    """429 when recent failures reached a limit. A trusted device is limited by its own failures
    (`login_max_failures`); any other client, in one query:

    - for this phone from this address (`login_max_failures`, 5): guessing one password. Keyed on
      the pair, so someone elsewhere cannot lock a known secretary out with five wrong guesses;
    - for this phone from anywhere (`login_max_failures_per_phone`): guessing it from many addresses;
    - from this address for any phone (`login_max_failures_per_address`, generous: a village shares
      one NAT address): trying one password on many phones (spraying).

    The phone's and the address's locks stop unknown devices only: whoever learns a secretary's number
    can trip them, and her own devices (which signed in before) pass.
    """
    # until `_begin_check` commits this check's own failure record: concurrent attempts through any
    # worker are counted one after another, so exactly the configured number get a password check
    db.lock_names(session, *(f"login:{k}" for k in ([keys.device] if keys.device else [keys.phone, keys.address]) if k))
    window_start = utcnow() - timedelta(minutes=settings.login_window_minutes)
    at = col(LoginFailure.at)
    if keys.device:
        same_device = col(LoginFailure.phone_key) == keys.device
        count, oldest = session.execute(select(func.count(), func.min(at)).where(at >= window_start, same_device)).one()
        _refuse_over(((count, oldest, settings.login_max_failures, "这台设备上的登录失败次数过多"),), window_start)
        return
    same_phone = col(LoginFailure.phone_key) == keys.phone
    same_address = col(LoginFailure.ip_key) == keys.address if keys.address else false()
    pair = and_(same_phone, same_address)
    row = session.execute(
        select(
            func.sum(case((pair, 1), else_=0)),
            func.min(case((pair, at))),
            func.sum(case((same_phone, 1), else_=0)),
            func.min(case((same_phone, at))),
            func.sum(case((same_address, 1), else_=0)),
            func.min(case((same_address, at))),
        ).where(at >= window_start, or_(same_phone, same_address))
    ).one()
    limits = (
        (settings.login_max_failures, "登录失败次数过多"),
        (settings.login_max_failures_per_phone, "这个手机号的登录失败次数过多"),
        (settings.login_max_failures_per_address, "这个网络上的登录失败次数过多"),
    )
    counted = zip(row[::2], row[1::2], strict=True)
    _refuse_over(
        tuple((count, oldest, limit, reason) for (count, oldest), (limit, reason) in zip(counted, limits, strict=True)),
        window_start,
    )


def _refuse_over(counts: tuple[tuple[Any, Any, int, str], ...], window_start: datetime) -> None:
    """429 with Retry-After for the first (count, oldest, limit, reason) whose count reached its limit."""
    for count, oldest, limit, reason in counts:
        if count and count >= limit:
            retry_after = max(1, int((as_utc(oldest) - window_start).total_seconds()) + 1)
            security_log.warning("login throttled", extra={"event": "login_throttled"})
            raise TooManyRequests(
                f"{reason}，请 {max(1, retry_after // 60)} 分钟后再试",
                code="login_throttled",
                headers={"Retry-After": str(retry_after)},
            )


def _begin_check(session: Session, keys: FailureKeys) -> int:
    """Record a password check as failed before it runs, and commit: a check still running counts
    towards the limits too (many guesses sent at once cannot all pass the throttle), and the slow
    hash then runs outside any transaction (SQLite's write lock is not held for it). The record is
    deleted again when the password was right."""
    if keys.device:
        failure = LoginFailure(phone_key=keys.device, ip_key=None)
    else:
        failure = LoginFailure(phone_key=keys.phone, ip_key=keys.address)
    session.add(failure)
    session.flush()
    failure_id = pk(failure)
    session.commit()  # deliberately early: see above; the request's own commit follows as usual
    return failure_id


def _check_passed(session: Session, keys: FailureKeys) -> None:
    """A right password clears the failures of this phone from this address (the check's own record
    among them); others' failures for the phone, and this address's for other phones, stay. On a
    trusted device: that device's failures."""
    if keys.device:
        session.execute(delete(LoginFailure).where(col(LoginFailure.phone_key) == keys.device))
        return
    pair = col(LoginFailure.phone_key) == keys.phone
    if keys.address:
        pair = and_(pair, col(LoginFailure.ip_key) == keys.address)
    session.execute(delete(LoginFailure).where(pair))


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the tokens, and what the device cookie is (re)issued for."""

    tokens: TokenPair
    account_id: int
    phone: str
    device: devices.Device | None


def sign_in(
    session: Session, *, phone: str, password: str, client: str | None = None, device_cookie: str | None = None
) -> SignIn:
    """Check a phone + password and issue a token pair.

    Unknown phones spend the same hashing time and get the same message as wrong passwords. Too many
    recent failures (see `_throttle`) answer 429 before any password is checked. `client` is the
    caller's address (core.ratelimit.client_ip); `device_cookie` the value of this phone's device
    cookie, if the caller sent one (auth.devices): a valid one makes this a trusted device.
    """
    phone = normalize_phone(phone)
    account = find_account_by_phone(session, phone)
    device = devices.parse(device_cookie, account_id=account.id if account else None, phone=phone)
    keys = FailureKeys.of(phone, client, device)
    _throttle(session, keys)
    _begin_check(session, keys)
    if account is None:
        security.burn_password_check(password)
        ok = False
    else:
        ok = security.verify_password(password, account.password_hash)
    if not ok or account is None or account.disabled:
        security_log.warning(
            "login failed",
            extra={"event": "login_failed", "known": account is not None, "trusted_device": device is not None},
        )
        raise Unauthorized(BAD_LOGIN, code="bad_credentials")
    _check_passed(session, keys)
    account.last_login_at = utcnow()
    session.add(account)
    tokens = issue_tokens(session, account, family=uuid.uuid4().hex)
    return SignIn(tokens=tokens, account_id=pk(account), phone=phone, device=device)


def authenticate(session: Session, *, phone: str, password: str, client: str | None = None) -> TokenPair:
    """`sign_in` without a device cookie: the tokens only."""
    return sign_in(session, phone=phone, password=password, client=client).tokens


def issue_tokens(session: Session, account: Account, *, family: str) -> TokenPair:
    assert account.id is not None
    refresh = security.new_opaque_token()
    session.add(
        RefreshToken(
            account_id=account.id,
            family=family,
            token_hash=security.token_digest(refresh),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        )
    )
    session.flush()
    return TokenPair(
        access_token=security.create_access_token(account.id, account.token_version),
        refresh_token=refresh,
        expires_in=settings.access_token_minutes * 60,
        must_change_password=account.must_change_password,
    )


def _revoke_family(session: Session, family: str) -> None:
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family) == family, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


def refresh(session: Session, *, refresh_token: str) -> TokenPair:
    """Rotate a refresh token. A token used twice means it leaked: the whole family is revoked."""
    row = session.execute(
        select(RefreshToken).where(col(RefreshToken.token_hash) == security.token_digest(refresh_token))
    ).scalar_one_or_none()
    if row is None:
        raise Unauthorized("登录已失效，请重新登录", code="refresh_invalid")
    if row.used_at is not None or row.revoked_at is not None:
        _revoke_family(session, row.family)
        session.flush()
        security_log.warning("refresh token reuse", extra={"event": "refresh_reuse", "account_id": row.account_id})
        raise Unauthorized("登录已失效，请重新登录", code="refresh_reused", commit=True)
    if as_utc(row.expires_at) <= utcnow():
        raise Unauthorized("登录已过期，请重新登录", code="refresh_expired")
    account = session.get(Account, row.account_id)
    if account is None or account.disabled:
        raise Unauthorized("账号不可用", code="account_disabled")
    # claim the token atomically: of two requests racing with the same token only one wins, and the
    # other is treated as the reuse it is
    claimed = session.execute(
        update(RefreshToken)
        .where(
            col(RefreshToken.id) == row.id,
            col(RefreshToken.used_at).is_(None),
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        _revoke_family(session, row.family)
        session.flush()
        security_log.warning("refresh token reuse", extra={"event": "refresh_reuse", "account_id": row.account_id})
        raise Unauthorized("登录已失效，请重新登录", code="refresh_reused", commit=True)
    family = row.family
    session.expire(row)
    return issue_tokens(session, account, family=family)


def logout(session: Session, *, claims: security.AccessClaims, refresh_token: str | None) -> None:
    """Revoke this access token and, when given, its refresh-token family."""
    from datetime import UTC, datetime

    session.merge(RevokedAccessToken(jti=claims.jti, expires_at=datetime.fromtimestamp(claims.expires_at, UTC)))
    if refresh_token:
        row = session.execute(
            select(RefreshToken).where(col(RefreshToken.token_hash) == security.token_digest(refresh_token))
        ).scalar_one_or_none()
        if row is not None and row.account_id == claims.account_id:
            _revoke_family(session, row.family)
    session.flush()


def is_revoked(session: Session, jti: str) -> bool:
    return session.get(RevokedAccessToken, jti) is not None


def change_password(
    session: Session,
    *,
    account: Account,
    current: str,
    new: str,
    client: str | None = None,
    device_cookie: str | None = None,
) -> None:
    """Change the password; every token issued before (on any device) stops working.

    A wrong current password counts as a failed login (same limits, 429 past them; a trusted device,
    see `sign_in`, by its own lock), so a stolen session cannot be used to guess the password. Both
    hashes run outside the write lock."""
    device = devices.parse(device_cookie, account_id=account.id, phone=account.phone)
    keys = FailureKeys.of(account.phone, client, device)
    _throttle(session, keys)
    check_new_password(new, phone=account.phone, field="new_password")  # before anything is recorded
    _begin_check(session, keys)
    if not security.verify_password(current, account.password_hash):
        security_log.warning("wrong current password", extra={"event": "password_change_failed"})
        raise AppError(
            "当前密码不正确", code="wrong_password", errors=[{"field": "current_password", "message": "当前密码不正确"}]
        )
    new_hash = security.hash_password(new)
    _check_passed(session, keys)
    set_password(session, account=account, password_hash=new_hash)
    history.changed(session, Actor(account_id=account.id or 0), account.id, "password_change")


def check_new_password(password: str, *, phone: str | None, field: str = "password") -> None:
    """422 with the reason when a new password is not acceptable (cheap: no hashing)."""
    problem = security.password_problem(password, phone=phone)
    if problem:
        raise Unprocessable(problem, code="weak_password", errors=[{"field": field, "message": problem}])


def new_password_hash(password: str, *, phone: str | None, field: str = "password") -> str:
    """The hash of an acceptable new password (422 with the reason otherwise). Slow (argon2): call it
    outside the write phase of a request (core.db.end_read_phase)."""
    check_new_password(password, phone=phone, field=field)
    return security.hash_password(password)


def set_password(
    session: Session,
    *,
    account: Account,
    new: str | None = None,
    password_hash: str | None = None,
    must_change: bool = False,
) -> None:
    """Give an account a new password (or its ready hash) and sign it out everywhere."""
    if password_hash is None:
        assert new is not None, "a password or its hash"
        password_hash = new_password_hash(new, phone=account.phone, field="new_password")
    account.password_hash = password_hash
    account.must_change_password = must_change
    account.password_changed_at = utcnow()
    sign_out_everywhere(session, account)


# letters and digits that cannot be mistaken for one another when read off paper (no 0/o, 1/l/i)
_SLIP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def generate_initial_password(*, phone: str | None = None) -> str:
    """A one-time initial password for a slip: three groups of four (e.g. "k7mq-x2pd-9bnr", ~59 bits),
    readable aloud and typed on a phone's keyboard without shift; always acceptable to the policy."""
    while True:
        groups = ("".join(secrets.choice(_SLIP_ALPHABET) for _ in range(4)) for _ in range(3))
        password = "-".join(groups)
        if security.password_problem(password, phone=phone) is None:
            return password


def reset_password(session: Session, *, account_id: int, password_hash: str, actor: Actor = SYSTEM) -> Account:
    """A password set by someone else (a secretary's reset): it must be changed at the next sign-in,
    and every session of the account ends now."""
    account = get_account(session, account_id)
    set_password(session, account=account, password_hash=password_hash, must_change=True)
    history.changed(session, actor, account_id, "password_reset")
    security_log.info("password reset", extra={"event": "password_reset", "account_id": account_id})
    return account


def disable_account(session: Session, *, account_id: int, actor: Actor = SYSTEM) -> Account:
    """The account can no longer sign in, and is signed out everywhere at once."""
    account = get_account(session, account_id)
    if not account.disabled:
        history.changed(session, actor, account_id, "disable", {"disabled": [False, True]})
        account.disabled = True
        sign_out_everywhere(session, account)
    return account


def enable_account(session: Session, *, account_id: int, actor: Actor = SYSTEM) -> Account:
    account = get_account(session, account_id)
    if account.disabled:
        history.changed(session, actor, account_id, "enable", {"disabled": [True, False]})
        account.disabled = False
        session.add(account)
        session.flush()
    return account


def sign_out_everywhere(session: Session, account: Account) -> None:
    """Every access token issued so far stops working (token version), every refresh token too."""
    account.token_version += 1
    session.add(account)
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.account_id) == account.id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )
    session.flush()


def purge_expired(session: Session) -> int:
    """Housekeeping: drop revoked-token rows and login failures that can no longer matter."""
    now = utcnow()
    result = session.execute(delete(RevokedAccessToken).where(col(RevokedAccessToken.expires_at) < now))
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) < now - timedelta(days=1)))
    return int(getattr(result, "rowcount", 0) or 0)
