"""Bearer token → signed-in account, or 401."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth import service
from app.auth.models import Account
from app.core.db import SessionDep
from app.core.errors import Forbidden, Unauthorized
from app.core.security import AccessClaims, InvalidToken, decode_access_token

security_log = logging.getLogger("liangnuo.security")

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


@dataclass(frozen=True)
class SignedIn:
    account: Account
    claims: AccessClaims


def _signed_in(request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> SignedIn:
    if not token:
        raise Unauthorized()
    try:
        claims = decode_access_token(token)
    except InvalidToken:
        security_log.warning("invalid access token", extra={"event": "token_invalid"})
        raise Unauthorized("登录已失效，请重新登录", code="token_invalid") from None
    account = session.get(Account, claims.account_id)
    if (
        account is None
        or account.disabled
        or account.token_version != claims.token_version
        or service.is_revoked(session, claims.jti)
    ):
        security_log.warning("revoked or stale access token", extra={"event": "token_revoked"})
        raise Unauthorized("登录已失效，请重新登录", code="token_revoked")
    request.state.account_id = account.id
    return SignedIn(account=account, claims=claims)


def signed_in_any(signed: Annotated[SignedIn, Depends(_signed_in)]) -> SignedIn:
    """Signed in, even if the account still has to change its initial password."""
    return signed


def signed_in(signed: Annotated[SignedIn, Depends(_signed_in)]) -> SignedIn:
    if signed.account.must_change_password:
        raise Forbidden("请先修改初始密码", code="password_change_required")
    return signed


SignedInAny = Annotated[SignedIn, Depends(signed_in_any)]
SignedInDep = Annotated[SignedIn, Depends(signed_in)]
