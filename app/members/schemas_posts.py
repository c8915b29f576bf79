"""Request and response shapes of a branch's post catalogue (设岗定责, 党员先锋岗)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.errors import register_labels
from app.core.validation import Id

PostName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Duties = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PostName
    duties: Duties = ""
    duties_public: bool = Field(default=True, description="岗位职责可在公示牌上公开；false 只在支部内可见")
    pioneer: bool = Field(default=False, description="党员先锋岗")
    sort_order: int = Field(default=0, ge=0, le=10_000)


class PostUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: PostName | None = None
    duties: Duties | None = None
    duties_public: bool | None = None
    pioneer: bool | None = None
    sort_order: int | None = Field(default=None, ge=0, le=10_000)


class PostAssign(BaseModel):
    """Assign a member to a catalogue post (null: no catalogue post; the free-text post stays)."""

    model_config = ConfigDict(extra="forbid")
    post_id: Id | None = None


class PostRead(BaseModel):
    """A catalogue post as the branch sees it (private duties included: only inside the branch)."""

    id: int
    branch_id: int
    name: str
    duties: str
    duties_public: bool
    pioneer: bool
    sort_order: int
    archived: bool
    archived_at: datetime | None
    member_count: int = Field(default=0, description="在册党员中担任该岗位的人数")
    version: int
    allowed_actions: list[str] = Field(default_factory=list, description="edit, archive, restore")


register_labels({"duties": "岗位职责", "duties_public": "职责公开", "pioneer": "党员先锋岗"})
register_labels({"name": "岗位名称"}, prefix="/api/v1/posts")
