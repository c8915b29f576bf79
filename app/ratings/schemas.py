"""Request and response bodies of policies, periods, self statements, peer reviews, flags and
assessments (never table models), and the public view models boards read (`…Public`: levels only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.errors import register_labels
from app.core.pagination import Page
from app.core.validation import Id
from app.ratings.models import FlagKind, PeerCombine, PeerScale, PeriodKind, PeriodStatus, SubjectKind, YearCombine
from app.ratings.rules import PolicyRules

Reason = Field(default=None, max_length=500, description="原因（退回上一步时必填）")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- policies


class PolicyRead(BaseModel):
    unit_id: int
    source_unit_id: int | None = Field(description="规则来自哪个组织；为空表示系统默认规则")
    inherited: bool = Field(description="是否沿用上级（或默认）的规则")
    version: int = Field(description="本组织自有规则的版本号（0 表示没有自有规则）；修改时作为 If-Match")
    updated_at: datetime | None
    rules: PolicyRules


# ---------------------------------------------------------------- periods


class PeriodCreate(_In):
    unit_id: Id = Field(description="测评的组织（通常为党委），覆盖其下所有党支部")
    kind: PeriodKind
    year: int = Field(ge=2000, le=2100)
    quarter: int | None = Field(default=None, ge=1, le=4, description="季度测评必填，年度测评不填")
    title: str | None = Field(default=None, max_length=60, description="默认如“2026年第三季度”")
    starts_on: date | None = Field(default=None, description="默认为该季度（年度）的第一天")
    ends_on: date | None = Field(default=None, description="默认为该季度（年度）的最后一天")
    review_due: date | None = Field(default=None, description="自评互评截止日")
    assessment_due: date | None = Field(default=None, description="组织考评截止日")
    approval_due: date | None = Field(default=None, description="审定截止日")


class PeriodUpdate(_In):
    title: str | None = Field(default=None, min_length=1, max_length=60)
    starts_on: date | None = None
    ends_on: date | None = None
    review_due: date | None = None
    assessment_due: date | None = None
    approval_due: date | None = None


class PeriodActionBody(_In):
    reason: str | None = Reason


class PeriodRead(BaseModel):
    id: int
    unit_id: int
    unit_name: str
    kind: PeriodKind
    year: int
    quarter: int | None
    title: str
    starts_on: date
    ends_on: date
    status: PeriodStatus
    status_label: str
    version: int
    review_due: date | None
    assessment_due: date | None
    approval_due: date | None
    policy_unit_id: int | None
    policy: PolicyRules | None = Field(description="开始后冻结的规则；草稿时为当前生效的规则")
    allowed_actions: list[str]
    created_at: datetime
    opened_at: datetime | None
    published_at: datetime | None


class BranchProgress(BaseModel):
    """One branch's progress through a period: counts only, never a score."""

    branch_id: int
    branch_name: str
    members: int = Field(description="在册党员数")
    statements: int = Field(description="已写自评的人数")
    reviewers_done: int = Field(description="已评完全部同支部党员的人数")
    reviews_given: int
    reviews_expected: int
    members_assessed: int = Field(description="已完成组织考评的党员数")
    branch_assessed: bool
    flags_open: int = Field(description="待处理的人情分提示")
    members_approved_at: datetime | None
    branch_approved_at: datetime | None
    published_at: datetime | None
    late: list[str] = Field(description="已过截止日仍未完成的步骤，如“自评互评”")


# ---------------------------------------------------------------- self statements and reviews


class StatementWrite(_In):
    text: str = Field(min_length=1, max_length=300, description="自评（不超过 300 字）")


class StatementRead(BaseModel):
    period_id: int
    member_id: int
    text: str
    updated_at: datetime


class ReviewWrite(_In):
    value: int = Field(ge=0, le=100, description="星级评分 1–5（按星评分时），或 0–100 分（按分数评分时）")


class ReviewItem(_In):
    member_id: Id
    value: int = Field(ge=0, le=100)


class ReviewBatch(_In):
    reviews: list[ReviewItem] = Field(min_length=1, max_length=500)


class PeerToReview(BaseModel):
    """A peer on the reviewer's sheet: who they are, their self statement and the reviewer's own value."""

    member_id: int
    name: str
    public_title: str
    statement: str | None
    value: int | None = Field(description="我给出的评分（未评为空）")


class ReviewSheet(BaseModel):
    period_id: int
    branch_id: int
    scale: Literal["stars", "points"]
    open: bool = Field(description="是否还能评分（互评阶段）")
    given: int = Field(description="我已评的人数（全部页）")
    expected: int = Field(description="应评的人数（全部页）")
    reviewed: list[int] = Field(description="我已评过的党员编号（全部页，不只本页）")
    my_statement: str | None
    peers: list[PeerToReview] = Field(description="本页的同支部党员（默认每页 100 人）")
    total: int
    page: int
    pages: int


class ReviewSaved(BaseModel):
    period_id: int
    given: int
    expected: int


class ReviewerProgress(BaseModel):
    """Who has reviewed how many (the secretary's view): counts, never what anyone gave."""

    member_id: int
    name: str
    given: int
    expected: int
    done: bool
    statement_written: bool


class ProgressPage(Page[ReviewerProgress]):
    """A page of the branch's reviewers, those not done first, with the counts over all pages."""

    finished: int = Field(description="已评完的人数（全部页）")
    statements: int = Field(description="已写自评的人数（全部页）")


class FlagRead(BaseModel):
    id: int
    kind: FlagKind
    kind_label: str
    reviewer_member_id: int
    reviewer_name: str
    partner_member_id: int | None
    partner_name: str | None
    detail: str
    created_at: datetime
    discarded_at: datetime | None
    discard_reason: str | None


class FlagDiscard(_In):
    reason: str = Field(min_length=1, max_length=500, description="不计入的原因")


# ---------------------------------------------------------------- assessments


class AssessmentWrite(_In):
    """Points per rubric item (only the items given are changed; null clears one). Changing an item
    filled automatically (承诺践诺) needs a reason in `reasons`."""

    items: dict[str, float | None] = Field(max_length=12)
    reasons: dict[str, str] = Field(default_factory=dict, max_length=12)


class AssessmentRead(BaseModel):
    period_id: int
    subject_kind: SubjectKind
    subject_id: int
    name: str
    items: dict[str, float | None]
    auto_items: dict[str, float | None]
    overrides: dict[str, str]
    points: float
    max_points: float
    complete: bool
    auto_note: str | None = Field(default=None, description="自动计分的依据，如“已销诺 3 件：兑现 2、部分兑现 1”")
    updated_at: datetime | None
    version: int


# ---------------------------------------------------------------- public (boards read these)


class LevelPublic(BaseModel):
    """A published star level, as a board shows it beside a name. Levels only: no score."""

    stars: int = Field(ge=1, le=5)
    label: str  # 四星
    period_title: str  # 2026年第三季度
    trend: Literal["up", "down", "same"] | None = None  # 晋星 ↑ / ↓ against the previous period
    corrected: bool = False


class LevelCount(BaseModel):
    subject: Literal["branch", "member"]
    stars: int
    count: int
    text: str  # 五星党支部 2 个 / 五星级党员 63 名


class StarEntryPublic(BaseModel):
    name: str
    unit_name: str  # the member's group or branch; the branch's own name
    trend: Literal["up", "down", "same"] | None = None
    corrected: bool = False


class LevelGroupPublic(BaseModel):
    stars: int
    label: str
    entries: list[StarEntryPublic]


class HonourPublic(BaseModel):
    kind_label: str  # 十佳党员承诺 / 十佳党组织承诺 / 十佳支书
    title: str
    owner_name: str


class StarBoardPublic(BaseModel):
    unit_id: int
    unit_name: str
    period_title: str | None = Field(description="所示结果的测评周期；为空表示尚无已发布的结果")
    period_kind: PeriodKind | None
    year: int | None
    counts: list[LevelCount]
    branches: list[LevelGroupPublic]
    members: list[LevelGroupPublic]
    honours: list[HonourPublic]
    publishing: str | None = Field(
        default=None, description="新一期正在分支部陆续公布时的说明（本榜仍显示上一期完整结果）"
    )


# the Chinese names of fields and choices in validation messages (core.errors), for ratings' paths
_LABELS = {
    "unit_id": "组织",
    "kind": "测评类型",
    "year": "年度",
    "quarter": "季度",
    "title": "名称",
    "starts_on": "开始日期",
    "ends_on": "结束日期",
    "review_due": "自评互评截止日",
    "assessment_due": "组织考评截止日",
    "approval_due": "审定截止日",
    "reason": "原因",
    "text": "自评",
    "value": "评分",
    "reviews": "评分",
    "member_id": "党员",
    "branch_id": "党支部",
    "subject_kind": "考评对象",
    "items": "考评项目",
    "reasons": "修改原因",
    "weights": "权重",
    "peer": "党员互评",
    "villager": "群众测评",
    "assessment": "组织考评",
    "members": "党员平均分",
    "villager_min_count": "群众测评最少人次",
    "villager_scores": "群众测评分值",
    "satisfied": "满意",
    "basic": "基本满意",
    "unsatisfied": "不满意",
    "thresholds": "季度星级分数线",
    "year_thresholds": "年度星级分数线",
    "star5": "五星",
    "star4": "四星",
    "star3": "三星",
    "star2": "二星",
    "peer_scale": "互评方式",
    "peer_combine": "互评汇总方式",
    "year_combine": "年度汇总方式",
    "year_assessment_weight": "年终考评权重",
    "rubric": "党员考评细则",
    "branch_rubric": "党支部考评细则",
    "branch_weights": "党支部权重",
    "key": "项目代码",
    "label": "项目名称",
    "max_points": "满分",
    "auto": "自动计分",
}
for _prefix in ("/api/v1/rating-periods", "/api/v1/rating-policies"):
    register_labels(_LABELS, prefix=_prefix)
register_labels(
    values={
        PeriodKind.quarter: "季度",
        PeriodKind.year: "年度",
        SubjectKind.member: "党员",
        SubjectKind.branch: "党支部",
        PeerScale.stars: "按星评分",
        PeerScale.points: "按分数评分",
        PeerCombine.mean: "平均分",
        PeerCombine.trimmed: "去掉最高分和最低分后的平均分",
        YearCombine.sum: "四个季度相加",
        YearCombine.mean: "四个季度平均",
    }
)
