"""Bodies of pledge coverage (承诺覆盖, `pledges.coverage`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.core.errors import register_labels
from app.core.pagination import Page
from app.org.models import UnitKind


class CoverageRow(BaseModel):
    """One part of the unit: a group of a branch (None: the members without a group), or a branch."""

    unit_id: int | None
    unit_name: str
    unit_kind: UnitKind | None
    members: int = Field(description="在册党员人数")
    pledged: int = Field(description="该年度已报诺的人数（草稿、已撤回的不算）")
    published: int = Field(description="该年度有承诺已公示的人数")
    pledged_rate: float | None = Field(description="报诺率（%），没有党员时为空")
    published_rate: float | None = Field(description="公示率（%），没有党员时为空")


class CoveragePage(Page[CoverageRow]):
    """The whole unit's figures and one page of its parts (the lowest published rate first)."""

    unit_id: int
    unit_name: str
    unit_kind: UnitKind
    year: int
    members: int
    pledged: int
    published: int
    pledged_rate: float | None
    published_rate: float | None
    may_remind: bool = Field(description="能否在这里提醒未承诺的党员（党小组、党支部）")


class CoverageRemind(BaseModel):
    year: int | None = Field(default=None, ge=2000, le=2100, description="年度，默认今年")
    missing: Literal["pledge", "published"] = Field(description="pledge 提醒未报诺的；published 提醒没有公示承诺的")


class ReminderSent(BaseModel):
    unit_id: int
    year: int
    missing: str
    members: int = Field(description="需要提醒的党员人数")
    reminded: int = Field(description="这次发出的提醒数")
    already_today: int = Field(description="今天已经提醒过、这次没有再发的人数")
    without_account: int = Field(description="没有账号、收不到提醒的人数")


register_labels({"missing": "筛选", "year": "年度"})
