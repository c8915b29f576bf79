"""Request and response bodies of the branch tiers, their 整顿 plans and the ranking's publication."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from app.appraisal.models_tiers import RankingStatus, StepStatus, Tier, TierStatus
from app.core.errors import register_labels
from app.core.validation import Id


class TierProposeBody(BaseModel):
    unit_id: Id = Field(description="党委")
    year: int = Field(ge=2000, le=2100)


class TierProposeRead(BaseModel):
    proposed: int = Field(description="新提出或更新的分类建议数（已审定的不变）")


class TierItemsBody(BaseModel):
    items: dict[str, bool | None] = Field(
        description="五好评定：team / cadres / mechanism / economy / masses → true 好、false 不好、null 不评"
    )


class TierDecisionBody(BaseModel):
    tier: Tier | None = Field(default=None, description="审定或调整为的分类（审定时不填即按建议）")
    reason: str | None = Field(default=None, max_length=500)


class ReasonBody(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class FiveGoodRead(BaseModel):
    key: str
    label: str
    good: bool | None


class StepCreate(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    due_on: date


class StepRead(BaseModel):
    id: int
    title: str
    due_on: date
    status: StepStatus
    status_label: str
    note: str | None
    done_at: datetime | None
    overdue: bool
    version: int
    allowed_actions: list[str]


class TierRead(BaseModel):
    id: int
    committee_id: int
    branch_id: int
    branch_name: str
    year: int
    status: TierStatus
    status_label: str
    proposed_tier: Tier
    proposed_label: str
    tier: Tier | None
    tier_label: str = Field(description="先进 / 一般 / 后进，摘帽后为“一般（已摘帽）”；未审定为“待审定”")
    stars: int | None
    score: float | None = Field(description="星级评定年度得分")
    debrief_score: float | None = Field(default=None, description="当年述职评议得分（百分制），没有述职时为空")
    appraisal_score: float | None = Field(
        default=None, description="年度考评得分：星级评定年度得分与述职评议按权重合成（分类建议的依据）"
    )
    five_good: list[FiveGoodRead]
    explanation: str
    reason: str | None
    decided_at: datetime | None
    lifted_at: datetime | None
    version: int = Field(description="审定、调整、摘帽等操作的 If-Match")
    allowed_actions: list[str]
    steps: list[StepRead]


class TierEventRead(BaseModel):
    id: int
    step_id: int | None
    action: str
    action_label: str
    from_status: str | None
    to_status: str
    actor_name: str
    reason: str | None
    data: dict[str, Any] | None
    at: datetime


class RankingPublishBody(BaseModel):
    unit_id: Id = Field(description="党委（镇）")
    year: int = Field(ge=2000, le=2100)
    reason: str | None = Field(default=None, max_length=500)


class RankingRead(BaseModel):
    id: int
    unit_id: int
    year: int
    title: str
    status: RankingStatus
    status_label: str
    url: str = Field(description="公开页面地址（/r/…）")
    qr_svg: str = Field(description="二维码（SVG）地址")
    published_at: datetime | None
    version: int
    allowed_actions: list[str]


_LABELS = {
    "unit_id": "党委",
    "year": "年度",
    "items": "五好评定",
    "tier": "分类",
    "reason": "理由",
    "title": "步骤内容",
    "due_on": "完成期限",
}
for _prefix in ("/api/v1/branch-tiers", "/api/v1/rankings"):
    register_labels(_LABELS, prefix=_prefix)
register_labels(
    values={
        Tier.advanced: "先进",
        Tier.ordinary: "一般",
        Tier.backward: "后进",
    }
)


class RankingRowRead(BaseModel):
    rank: int | None
    branch_id: int
    branch_name: str
    score: float | None = Field(description="年度考评得分（排序依据）：星级评定年度得分与述职评议按权重合成")
    star_score: float | None = Field(description="星级评定年度得分")
    debrief_score: float | None = Field(description="当年述职评议得分（百分制），没有述职时为空")
    stars: int | None
    stars_label: str
    tier_label: str
    members: int
    covered: int
    coverage: float | None = Field(description="承诺覆盖率（%）：有公示承诺的党员 ÷ 党员")
    closed: int
    kept: int
    kept_rate: float | None = Field(description="兑现率（%）：已兑现 ÷ 已销诺")
    raters: int
    satisfaction: int | None = Field(description="群众满意度（%），评价人数不足时为空")


class RankingPreviewRead(BaseModel):
    unit_name: str
    year: int
    title: str
    period_title: str | None
    formula: str
    min_raters: int
    pledges_recorded: bool = Field(description="该年度是否有承诺记录（没有时承诺覆盖和兑现率不显示）")
    score_rule: str = Field(description="年度考评得分的算法")
    rows: list[RankingRowRead]
