from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    title: str
    body: str
    link: str
    subject_type: str | None
    subject_id: int | None
    created_at: datetime
    read_at: datetime | None
    read: bool = False

    @classmethod
    def of(cls, row: object) -> NotificationRead:
        read = cls.model_validate(row)
        read.read = read.read_at is not None
        return read


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    updated: int
