"""Request and response bodies of results, approval, publication, corrections, honours (十佳) and
评先选优 candidates. Never table models; no peer review of one member by another appears here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.errors import register_labels
from app.core.validation import Id
from app.ratings.models import DecisionKind, HonourKind, PeriodStatus, SubjectKind

Stars = Annotated[int, Field(ge=1, le=5, description="星级 1–5")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComputeBody(_In):
    branch_id: Id | None = Field(
        default=None, description="只核算这个党支部（支部书记）；不给则核算整个测评周期（党委，须 If-Match）"
    )


class ComputeRead(BaseModel):
    members: int = Field(description="写入的党员结果数")
    branches: int = Field(description="写入的党支部结果数")
    skipped_branches: int = Field(description="已审定、未重新核算的党支部数")
    period_status: PeriodStatus
    period_version: int


class PartRead(BaseModel):
    key: Literal["peer", "villager", "assessment", "members"]
    label: str
    raw: float | None = Field(description="该项得分（百分制）；为空表示不计入")
    count: int = Field(description="评分人数、评价次数或考评次数")
    weight_used: float = Field(description="实际权重（%），某项不计入时按比例分摊后的值")
    score: float = Field(description="计入总分的分数 = 得分 × 实际权重")


class DecisionRead(BaseModel):
    kind: DecisionKind
    kind_label: str
    from_stars: int | None
    stars: int
    reason: str | None
    by_name: str
    at: datetime


class ResultRead(BaseModel):
    id: int
    period_id: int
    subject_kind: SubjectKind
    subject_id: int
    name: str
    branch_id: int
    branch_name: str
    unit_id: int
    score: float
    proposed_stars: int = Field(description="核算得出的建议星级")
    stars: int | None = Field(description="审定（或调整、更正）后的星级；未审定为空")
    level: int = Field(description="当前星级：已审定的，否则建议的")
    changed: bool = Field(description="审定星级与建议星级不同（调整须有原因，见 last_decision）")
    previous_stars: int | None = Field(description="上一期已发布的星级")
    trend: Literal["up", "down", "same"] | None = Field(description="与上一期相比：up 晋星，down 降星")
    parts: list[PartRead]
    explanation: str = Field(description="得分和星级是怎样来的、晋星还差什么")
    details: dict[str, object] | None = Field(description="年度结果的各季度得分等")
    computed_at: datetime
    decided_at: datetime | None
    published_at: datetime | None
    corrected: bool
    version: int = Field(description="调整、更正时作为 If-Match")
    last_decision: DecisionRead | None


class BreakdownRead(ResultRead):
    period_title: str
    decisions: list[DecisionRead] = Field(description="该星级的全部决定：审定、调整、更正")


class ApproveBody(_In):
    result_ids: list[Id] | None = Field(
        default=None, max_length=2000, description="只审定这些结果（逐个审定）；不给则审定全支部"
    )


class ApproveRead(BaseModel):
    approved: int = Field(description="本次审定的结果数")
    members_approved: bool = Field(description="该支部党员星级是否已全部审定")
    period_status: PeriodStatus


class LevelBody(_In):
    stars: Stars
    reason: Reason = Field(description="原因（必填）")


class PublishBody(_In):
    branch_ids: list[Id] | None = Field(
        default=None, max_length=2000, description="只发布这些党支部；不给则发布整个测评周期（须全部审定）"
    )


class PublishRead(BaseModel):
    published_branch_ids: list[int]
    period_status: PeriodStatus
    period_version: int


# ---------------------------------------------------------------- honours (十佳) and candidates


class NominateBody(_In):
    pledge_id: Id
    year: int | None = Field(default=None, ge=2000, le=2100, description="默认为承诺所属年度")
    reason: str | None = Field(default=None, max_length=500, description="推荐理由")


class SecretaryNominateBody(_In):
    member_id: Id | None = Field(default=None, description="现任党支部书记（或只给 branch_id：该支部的书记）")
    branch_id: Id | None = Field(default=None, description="党支部：推荐其现任书记")
    year: int = Field(ge=2000, le=2100)
    reason: str | None = Field(default=None, max_length=500, description="推荐理由")


class SelectBody(_In):
    reason: Reason = Field(description="评选理由（必填）")


class HonourRead(BaseModel):
    id: int
    year: int
    kind: HonourKind
    kind_label: str
    pledge_id: int | None = Field(description="十佳支书为空")
    pledge_title: str
    member_id: int | None = Field(default=None, description="十佳支书：书记本人")
    owner_name: str = Field(description="承诺人或承诺组织；十佳支书为书记姓名")
    branch_id: int
    branch_name: str
    nominated_at: datetime
    nomination_reason: str | None
    selected: bool
    selected_at: datetime | None
    reason: str | None
    version: int = Field(description="选定、撤销时作 If-Match 的版本号（ETag）")


class CandidateRead(BaseModel):
    member_id: int
    name: str
    branch_id: int
    branch_name: str
    stars: int
    previous_stars: int | None
    promoted: bool = Field(description="晋星")
    period_title: str


register_labels(
    {
        "branch_id": "党支部",
        "branch_ids": "党支部",
        "result_ids": "结果",
        "stars": "星级",
        "reason": "原因",
        "pledge_id": "承诺",
        "year": "年度",
    },
    prefix="/api/v1/rating",
)
