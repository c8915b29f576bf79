"""The history of every change (变更记录) as the API answers it: private, never on a public page."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class FieldChange(BaseModel):
    field: str
    label: str = Field(description="字段的中文名")
    old: str = Field(description="改前（文字；无则为“（无）”）")
    new: str = Field(description="改后")


class ChangeEntry(BaseModel):
    id: int
    kind: str = Field(description="member、account、grant、unit、board、rating_policy（党员的记录里也有其账号的）")
    at: datetime
    action: str
    action_label: str
    actor_name: str = Field(description="经办人（系统操作为“系统”）")
    reason: str | None = None
    changes: list[FieldChange] = Field(default_factory=list, description="改了哪些字段，从什么改成什么")
