"""Request and response shapes of 双报到 (app/members/registration.py). Nothing here is public: a board
shows a registered member only through `MemberPublic` (app/members/public.py)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import register_labels
from app.core.validation import Id
from app.members.models_registration import RegistrationStatus


class RegistrationCreate(BaseModel):
    """Without `member_id`: the caller asks to register (the community's secretary accepts). A secretary
    of either branch gives `member_id` to register a member directly."""

    model_config = ConfigDict(extra="forbid")
    branch_id: Id = Field(description="报到的社区（村）党支部")
    member_id: Id | None = Field(default=None, description="书记为党员登记时给出")
    note: str = Field(default="", max_length=200, description="在职单位、能参加的服务等（不公开）")


class RegistrationMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=500)


class RegistrationRead(BaseModel):
    id: int
    member_id: int
    member_name: str
    member_post: str
    home_branch_id: int
    home_branch_name: str
    branch_id: int
    branch_name: str
    status: RegistrationStatus
    status_label: str
    since: date | None
    note: str
    version: int = Field(description="接收、结束等操作时作为 If-Match")
    created_at: datetime
    allowed_actions: list[str]
    may_pledge: bool = Field(description="本人可以向该社区作承诺（已报到）")


class CommunityOption(BaseModel):
    id: int
    name: str


register_labels({"note": "备注"})
