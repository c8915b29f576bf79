"""Villagers' satisfaction ratings (群众测评) and suggestions (意见建议卡), given from a public board.

No villager has an account: a rating is tied to a device (a signed cookie) and a rating period, and
only salted hashes of the device and the client address are stored, never the raw values.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.time import utcnow


class Satisfaction(StrEnum):
    satisfied = "satisfied"
    basic = "basic"
    unsatisfied = "unsatisfied"


SATISFACTION_LABELS = {
    Satisfaction.satisfied: "满意",
    Satisfaction.basic: "基本满意",
    Satisfaction.unsatisfied: "不满意",
}


class RatingStatus(StrEnum):
    counted = "counted"
    flagged = "flagged"  # part of a burst on one pledge: not counted until a secretary accepts it
    discarded = "discarded"


class SuggestionStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


SUGGESTION_STATUS_LABELS = {
    SuggestionStatus.pending: "待审核",
    SuggestionStatus.approved: "已公开",
    SuggestionStatus.rejected: "未公开",
}


class PublicRating(SQLModel, table=True):
    """One device's satisfaction with one pledge in one rating period; a second rating replaces it."""

    __tablename__ = "public_rating"
    __table_args__ = (
        UniqueConstraint("pledge_id", "device_hash", "period"),
        Index("ix_public_rating_pledge_id_created_at", "pledge_id", "created_at"),
        Index("ix_public_rating_branch_id_status", "branch_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="pledge.id")
    # copied from the pledge when rated, so summaries and moderation need no join into pledges
    branch_id: int = Field(foreign_key="org_unit.id")
    unit_id: int = Field(foreign_key="org_unit.id")  # the owner's group (or the owning unit)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    period: str = Field(max_length=10, index=True)  # "2026Q4": the calendar quarter in China time
    choice: Satisfaction = Field(sa_type=String(12))
    status: RatingStatus = Field(default=RatingStatus.counted, sa_type=String(10))
    device_hash: str = Field(max_length=64)
    ip_hash: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reviewed_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Suggestion(SQLModel, table=True):
    """A villager's suggestion to a pledge or to a unit; public only once a secretary approved it."""

    __table_args__ = (Index("ix_suggestion_branch_id_status", "branch_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="org_unit.id", index=True)  # the board's unit, or the pledge's
    branch_id: int = Field(foreign_key="org_unit.id")  # whose moderation queue it is in
    pledge_id: int | None = Field(default=None, foreign_key="pledge.id", index=True)
    text: str = Field(max_length=200)
    # what the public sees: phone and ID numbers masked
    public_text: str = Field(default="", max_length=200)
    status: SuggestionStatus = Field(default=SuggestionStatus.pending, sa_type=String(10))
    device_hash: str = Field(max_length=64)
    ip_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    moderated_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    moderated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str = Field(default="", max_length=200)
    # the branch's answer (答复) to an approved suggestion, shown under it on the boards
    reply: str = Field(default="", max_length=500)
    public_reply: str = Field(default="", max_length=500)  # masked as the suggestion is
    replied_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    replied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
