"""Sign-in, token rotation, sign-out and passwords. Services flush; the request commits."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from app.auth.models import Account, LoginFailure, RefreshToken, RevokedAccessToken
from app.auth.schemas import TokenPair
from app.core import security
from app.core.config import settings
from app.core.errors import AppError, Conflict, NotFound, TooManyRequests, Unauthorized, Unprocessable
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
        problem = security.password_problem(password, phone=phone)
        if problem:
            raise Unprocessable(problem, code="weak_password", errors=[{"field": "password", "message": problem}])
        password_hash = security.hash_password(password)
    account = Account(
        phone=phone,
        display_name=display_name,
        password_hash=password_hash,
        must_change_password=must_change_password,
        password_changed_at=utcnow(),
    )
    session.add(account)
    session.flush()
    return account


def change_phone(session: Session, *, account_id: int, phone: str) -> Account:
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
    account.phone = phone
    session.add(account)
    session.flush()
    return account


def _failures_since(session: Session, phone_key: str) -> tuple[int, int | None]:
    window_start = utcnow() - timedelta(minutes=settings.login_window_minutes)
    count, oldest = session.execute(
        select(func.count(), func.min(col(LoginFailure.at))).where(
            col(LoginFailure.phone_key) == phone_key, col(LoginFailure.at) >= window_start
        )
    ).one()
    if not count:
        return 0, None
    retry_after = int((as_utc(oldest) - window_start).total_seconds()) + 1
    return count, max(retry_after, 1)


def authenticate(session: Session, *, phone: str, password: str) -> TokenPair:
    """Check a phone + password and issue a token pair.

    Unknown phones spend the same hashing time and get the same message as wrong passwords.
    After `login_max_failures` failures for one phone within the window the answer is 429.
    """
    phone = normalize_phone(phone)
    phone_key = security.keyed_digest(phone, "login")
    count, retry_after = _failures_since(session, phone_key)
    if count >= settings.login_max_failures:
        security_log.warning("login throttled", extra={"event": "login_throttled"})
        raise TooManyRequests(
            f"登录失败次数过多，请 {max(1, (retry_after or 60) // 60)} 分钟后再试",
            code="login_throttled",
            headers={"Retry-After": str(retry_after or 60)},
        )
    account = find_account_by_phone(session, phone)
    if account is None:
        security.burn_password_check(password)
        ok = False
    else:
        ok = security.verify_password(password, account.password_hash)
    if not ok or account is None or account.disabled:
        session.add(LoginFailure(phone_key=phone_key))
        session.flush()
        security_log.warning("login failed", extra={"event": "login_failed", "known": account is not None})
        # the failure must survive the rollback the error causes
        raise Unauthorized(BAD_LOGIN, code="bad_credentials", commit=True)
    session.execute(delete(LoginFailure).where(col(LoginFailure.phone_key) == phone_key))
    account.last_login_at = utcnow()
    session.add(account)
    return issue_tokens(session, account, family=uuid.uuid4().hex)


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


def change_password(session: Session, *, account: Account, current: str, new: str) -> None:
    """Change the password; every token issued before (on any device) stops working."""
    if not security.verify_password(current, account.password_hash):
        raise AppError(
            "当前密码不正确", code="wrong_password", errors=[{"field": "current_password", "message": "当前密码不正确"}]
        )
    set_password(session, account=account, new=new)


def set_password(session: Session, *, account: Account, new: str, must_change: bool = False) -> None:
    problem = security.password_problem(new, phone=account.phone)
    if problem:
        raise Unprocessable(problem, code="weak_password", errors=[{"field": "new_password", "message": problem}])
    account.password_hash = security.hash_password(new)
    account.must_change_password = must_change
    account.token_version += 1
    account.password_changed_at = utcnow()
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
