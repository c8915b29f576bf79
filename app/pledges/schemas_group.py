"""Bodies of the group leader's view (党小组情况, `pledges.group_status`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.core.errors import register_labels
from app.core.pagination import Page
from app.org.models import UnitKind


class MemberPledgeStatus(BaseModel):
    member_id: int
    name: str
    post: str
    public_title: str
    pledges: int = Field(description="今年已报诺的个人承诺数（草稿、已撤回的不算）")
    pledged: bool = Field(description="今年是否已报诺")
    last_report_at: datetime | None = Field(description="最近一次报告进展的时间")
    reported_this_month: bool = Field(description="本月（北京时间）是否报告过进展")
    published: bool = Field(default=False, description="该年度是否有已公示的承诺")


class GroupStatusPage(Page[MemberPledgeStatus]):
    """One page of the unit's active members; the counts are over the whole unit, not the page."""

    unit_id: int
    unit_name: str
    unit_kind: UnitKind
    year: int
    month: int
    members: int = Field(description="在册党员人数")
    pledged: int = Field(description="今年已报诺的人数")
    reported: int = Field(description="本月报告过进展的人数")
    published: int = Field(default=0, description="该年度有已公示承诺的人数")


register_labels({"missing": "筛选"})
