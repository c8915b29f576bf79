from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import register_labels
from app.core.validation import Id, Name, Phone, ShortText
from app.members.models import GENDER_LABELS, MEMBER_STATUS_LABELS, Gender, MemberStatus
from app.org.models import UnitKind
from app.org.schemas import GrantRead


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    gender: Gender | None = None
    phone: Phone | None = None
    branch_id: Id
    group_id: Id | None = None
    post: ShortText = ""
    public_title: str = Field(default="", max_length=40)
    joined_date: date | None = None
    board_consent: bool = False
    initial_password: str | None = Field(
        default=None, max_length=128, description="给出时同时开通登录账号（首次登录须改密码）"
    )


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    gender: Gender | None = None
    phone: Phone | None = None
    group_id: Id | None = None
    post: ShortText | None = None
    public_title: str | None = Field(default=None, max_length=40)
    joined_date: date | None = None
    status: MemberStatus | None = None
    board_consent: bool | None = None
    reason: str | None = Field(default=None, max_length=500, description="变更原因（记入变更记录）")


class MemberMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    branch_id: Id
    group_id: Id | None = None
    reason: str | None = Field(default=None, max_length=500, description="转出原因（记入变更记录）")


class MemberAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    initial_password: str = Field(min_length=1, max_length=128)


class PasswordResetRead(BaseModel):
    """A reset password's slip. `initial_password` is in clear in the first answer only: a replay of
    the same Idempotency-Key answers null (the server keeps only its hash), so reset again if lost."""

    member_id: int
    name: str
    login: str = Field(description="登录用的手机号")
    initial_password: str | None = Field(description="一次性初始密码；只在第一次应答里出现，重放时为空")
    must_change_password: bool = True
    issued_at: datetime


class MemberRead(BaseModel):
    """A member as staff see them; `phone` is null unless the caller may see it."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    gender: Gender | None
    phone: str | None
    branch_id: int
    group_id: int | None
    post: str
    post_id: int | None = Field(default=None, description="岗位目录中的岗位（设岗定责）；为空时 post 是自填的岗位")
    public_title: str
    joined_date: date | None
    status: MemberStatus
    board_consent: bool
    has_account: bool = False
    has_photo: bool = False
    version: int


class MemberPublic(BaseModel):
    """What a public board may show of a member (亮身份). The privacy boundary: nothing else."""

    id: int
    name: str
    post: str
    public_title: str
    photo_key: str | None = None
    named: bool = True  # False: shown as 一名党员 with the post only (no consent, or off the roll)


class AccountSummary(BaseModel):
    id: int
    display_name: str
    must_change_password: bool


class CollectiveUnit(BaseModel):
    """A unit the account may draft collective pledges for (集体承诺)."""

    unit_id: int
    unit_name: str
    kind: UnitKind
    kind_label: str


class Me(BaseModel):
    account: AccountSummary
    member: MemberRead | None
    grants: list[GrantRead]
    collective_units: list[CollectiveUnit] = Field(
        default_factory=list,
        description="可以起草集体承诺的组织：党小组长的党小组、书记的党支部，党委管理员的党委及其下的党总支",
    )


register_labels(
    {
        "name": "姓名",
        "gender": "性别",
        "phone": "手机号",
        "branch_id": "党支部",
        "group_id": "党小组",
        "post": "岗位",
        "public_title": "公示职务",
        "joined_date": "入党日期",
        "status": "状态",
        "board_consent": "同意公示",
        "initial_password": "初始密码",
        "member_id": "党员",
        "photo": "照片",
    },
    values={**MEMBER_STATUS_LABELS, **GENDER_LABELS},
)
