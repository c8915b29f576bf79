"""In-app notifications (消息): one row per recipient account, marked read, never deleted.

Notifications sit below pledges, so they name their subject generically (`subject_type`, `subject_id`)
instead of holding a foreign key into a higher domain. `dedupe_key` makes a notification that a job
may create repeatedly (a due-date reminder) exist at most once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.time import utcnow


class Notification(SQLModel, table=True):
    __table_args__ = (Index("ix_notification_account_id_read_at", "account_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    kind: str = Field(sa_type=String(30))
    title: str = Field(max_length=100)
    body: str = Field(default="", max_length=300)
    link: str = Field(default="", max_length=200)  # a path in the PWA, e.g. /pledges/12
    subject_type: str | None = Field(default=None, max_length=20)
    subject_id: int | None = Field(default=None)
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
