"""Response bodies of the statistics (`GET /stats`): the figures of one unit's subtree and one row per
child unit (or per member, under a group) for the drill-down."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Satisfaction(BaseModel):
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    total: int = Field(0, description="计入的群众测评（不含待复核和作废的）")
    score: float | None = Field(None, description="满意 100、基本满意 60、不满意 0 的平均分；无测评为 null")


class Figures(BaseModel):
    """The figures of one unit's subtree (or of one member)."""

    members: int = Field(0, description="在册党员")
    members_pledged: int = Field(0, description="本年度（季度）至少有一项承诺的在册党员")
    participation_rate: float | None = Field(None, description="members_pledged / members，0–1")
    pledges: int = Field(0, description="承诺数（不含草稿和已撤回的）")
    by_status: dict[str, int] = Field(default_factory=dict, description="各状态的承诺数（含草稿）")
    by_category: dict[str, int] = Field(default_factory=dict, description="各类别的承诺数（不含草稿和已撤回的）")
    overdue: int = Field(0, description="逾期未销诺（承诺领域的逾期规则）")
    closed: int = Field(0, description="已销诺")
    kept: int = 0
    partly_kept: int = 0
    not_kept: int = 0
    kept_rate: float | None = Field(None, description="已销诺中“已兑现”的比例，0–1")
    partly_kept_rate: float | None = None
    not_kept_rate: float | None = None
    fulfilment_rate: float | None = Field(None, description="已销诺 / 承诺数，0–1")
    median_days_to_publish: float | None = Field(None, description="报诺到亮诺公示的天数中位数")
    median_days_to_close: float | None = Field(None, description="亮诺公示到销诺的天数中位数")
    satisfaction: Satisfaction = Field(default_factory=Satisfaction)
    stars: dict[str, int] = Field(default_factory=dict, description="已发布星级的党员人数，键为星数 1–5")
    level: int | None = Field(None, description="党支部（或党员）本期已发布的星级")


class StatsRow(Figures):
    """One row of the drill-down: a child unit, the unit's own level (本级), or a member."""

    kind: Literal["unit", "self", "member"]
    id: int
    name: str
    unit_kind: str | None = None
    has_children: bool = Field(False, description="可以继续下钻")


class StatsUnit(BaseModel):
    id: int
    name: str
    kind: str
    kind_label: str
    parent_id: int | None = None


class StatsRead(Figures):
    unit: StatsUnit
    path: list[StatsUnit] = Field(default_factory=list, description="从可见的最上级到本单位（面包屑）")
    year: int
    period: str | None = Field(None, description="季度，如 2026Q3；按全年统计时为 null")
    star_period_title: str | None = Field(None, description="星级分布取自的考评周期")
    rows_kind: Literal["units", "members"]
    rows: list[StatsRow]
    labels: dict[str, dict[str, str]] = Field(description="状态、类别、结果、测评选项的中文名")
