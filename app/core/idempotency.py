"""Idempotent POSTs: an `Idempotency-Key` header makes a retried request return the first response.

(The request-handling part follows the table model below.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.time import utcnow


class IdempotencyRecord(SQLModel, table=True):
    """One (account, key): the request's fingerprint and, once done, the response to replay.

    `status_code` is NULL while the first request is still in flight."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int
    key: str = Field(max_length=100)
    fingerprint: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=300)
    status_code: int | None = Field(default=None)
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
    response_headers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
