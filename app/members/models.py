"""Party members: who they are publicly (亮身份) and privately (phone)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.time import utcnow


class MemberStatus(StrEnum):
    active = "active"
    moved = "moved"  # 转出
    inactive = "inactive"


class Gender(StrEnum):
    male = "male"
    female = "female"


MEMBER_STATUS_LABELS = {MemberStatus.active: "在册", MemberStatus.moved: "已转出", MemberStatus.inactive: "不在册"}
GENDER_LABELS = {Gender.male: "男", Gender.female: "女"}


class Post(SQLModel, table=True):
    """A post of a branch's catalogue (设岗定责): its name, duties, and whether it is a pioneer post
    (党员先锋岗). Archived, never deleted (pledges keep pointing at it). Duties marked private are
    read inside the branch only, never on a public page (members/posts.py)."""

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="org_unit.id", index=True)
    name: str = Field(max_length=60)
    duties: str = Field(default="", max_length=500)
    duties_public: bool = Field(default=True)
    pioneer: bool = Field(default=False)  # 党员先锋岗
    sort_order: int = Field(default=0)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, index=True)
    gender: Gender | None = Field(default=None, sa_type=String(10))
    phone: str | None = Field(default=None, max_length=20, index=True)  # private
    branch_id: int = Field(foreign_key="org_unit.id", index=True)
    group_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True)
    post: str = Field(default="", max_length=60)  # 岗位
    # the catalogue post (设岗定责) the member is assigned to; `post` then carries its name
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    public_title: str = Field(default="", max_length=40)  # e.g. 党小组长
    photo_key: str | None = Field(default=None, max_length=80)
    joined_date: date | None = None
    status: MemberStatus = Field(default=MemberStatus.active, sa_type=String(10), index=True)
    board_consent: bool = Field(default=False)
    account_id: int | None = Field(default=None, foreign_key="account.id", unique=True)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
