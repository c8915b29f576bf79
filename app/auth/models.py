"""Accounts, refresh-token families, revoked access tokens and login failures."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.time import utcnow


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    display_name: str = Field(max_length=40)
    must_change_password: bool = Field(default=False)
    disabled: bool = Field(default=False)
    token_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RefreshToken(SQLModel, table=True):
    """An opaque refresh token, stored hashed. Tokens of one login form a family; reuse revokes it."""

    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    family: str = Field(max_length=32, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RevokedAccessToken(SQLModel, table=True):
    """Access tokens signed out before they expire (by jti); rows can be purged after expiry."""

    __tablename__ = "revoked_access_token"

    jti: str = Field(primary_key=True, max_length=32)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class LoginFailure(SQLModel, table=True):
    """A failed password check (a login, or a wrong current password when changing it), keyed by
    salted hashes of the phone and of the client's address (never the phone or the address itself).

    A sign-in attempt is recorded here before its password is checked, and deleted again when the
    password was right, so attempts still being checked count too (see auth.service.authenticate)."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    phone_key: str = Field(max_length=64, index=True)
    ip_key: str | None = Field(default=None, max_length=64, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
