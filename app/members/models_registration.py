"""双报到 (001 "'五联双报到'工作机制……在职党员全部到社区报到"): a member employed elsewhere — their own
branch elsewhere — also registers in their home community, a community branch. The registration and
its event log (app/members/registration.py)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.time import utcnow


class RegistrationStatus(StrEnum):
    requested = "requested"  # 待社区确认
    active = "active"  # 已报到
    declined = "declined"  # 社区未接收
    withdrawn = "withdrawn"  # 本人撤回
    ended = "ended"  # 已结束


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.requested: "待社区确认",
    RegistrationStatus.active: "已报到",
    RegistrationStatus.declined: "社区未接收",
    RegistrationStatus.withdrawn: "已撤回",
    RegistrationStatus.ended: "已结束",
}


class CommunityRegistration(SQLModel, table=True):
    """A member's registration (报到) in a community branch other than their own. At most one open
    (requested or active) registration per member and community (checked by the service)."""

    __tablename__ = "community_registration"
    __table_args__ = (Index("ix_community_registration_branch_id_status", "branch_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    branch_id: int = Field(foreign_key="org_unit.id")  # the community branch registered in
    since: date | None = None  # the day the community accepted (or a secretary registered)
    status: RegistrationStatus = Field(default=RegistrationStatus.requested, sa_type=String(12))
    note: str = Field(default="", max_length=200)  # e.g. 在职单位、可参加的服务
    version: int = Field(default=1)
    created_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RegistrationEvent(SQLModel, table=True):
    """One accepted move of a registration (written by the lifecycle engine): who, what, from → to, why."""

    __tablename__ = "registration_event"

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="community_registration.id", index=True)
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str = Field(max_length=12)
    actor_account_id: int | None = Field(default=None, foreign_key="account.id")
    actor_name: str = Field(default="", max_length=40)
    reason: str | None = Field(default=None, max_length=500)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
