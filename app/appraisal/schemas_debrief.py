"""Request and response bodies of 述职评议 (never table models), and the public view boards read
(`DebriefPublic`: the round's title, the report's masked text and when it was published — nothing else)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.appraisal.models_debrief import DEBRIEF_KIND_LABELS, DEBRIEF_STATUS_LABELS, DebriefKind, DebriefStatus
from app.core.errors import register_labels
from app.core.validation import Id


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RubricItem(BaseModel):
    key: str = Field(min_length=1, max_length=20, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=20)
    max: int = Field(ge=1, le=100, description="该项满分")


DEFAULT_RUBRIC: list[RubricItem] = [
    RubricItem(key="duty", label="履职尽责", max=30),
    RubricItem(key="pledges", label="承诺践诺", max=30),
    RubricItem(key="team", label="班子建设", max=20),
    RubricItem(key="masses", label="群众满意", max=20),
]


class RoundCreate(_In):
    unit_id: Id = Field(description="组织述职的党委（或党总支），其下所有党支部书记述职")
    kind: DebriefKind
    year: int = Field(ge=2000, le=2100)
    title: str | None = Field(default=None, max_length=60, description="默认如“2026年上半年支部书记述职评议”")
    report_due: date = Field(description="述职报告截止日（之后提交的标记为逾期）")
    rubric: list[RubricItem] | None = Field(
        default=None, min_length=1, max_length=10, description="评分项，满分之和为 100"
    )
    representative_weight: int = Field(
        default=30, ge=0, le=100, description="党员群众代表评议在综合得分中所占百分比（其余为党委成员评分）"
    )


class RoundUpdate(_In):
    title: str | None = Field(default=None, min_length=1, max_length=60)
    report_due: date | None = None
    rubric: list[RubricItem] | None = Field(default=None, min_length=1, max_length=10)
    session_at: datetime | None = Field(default=None, description="述职会时间")
    session_place: str | None = Field(default=None, min_length=1, max_length=100, description="述职会地点")
    representative_weight: int | None = Field(
        default=None, ge=0, le=100, description="代表评议所占百分比（开始打分前可改）"
    )


class RoundActionBody(_In):
    reason: str | None = Field(default=None, max_length=500, description="原因（退回上一步时必填）")


class RoundRead(BaseModel):
    id: int
    unit_id: int
    unit_name: str
    kind: DebriefKind
    kind_label: str
    year: int
    title: str
    report_due: date
    session_at: datetime | None
    session_place: str | None
    rubric: list[RubricItem]
    representative_weight: int = Field(description="代表评议在综合得分中所占百分比")
    status: DebriefStatus
    status_label: str
    version: int
    allowed_actions: list[str]
    created_at: datetime


class AttachmentRead(BaseModel):
    id: int
    url: str
    thumb_url: str
    width: int
    height: int


class DebriefResult(BaseModel):
    """The committee's and the representatives' scores of one report, as aggregates: never who gave
    what. `combined` weighs the two means by the round's `representative_weight`; when one side has
    no score, the other stands alone (`rule` says which, in Chinese)."""

    scorers: int
    score: float | None = Field(description="党委成员平均分（评分人数不少于 5 时去掉一个最高分和一个最低分）")
    trimmed: bool
    representatives: int = Field(default=0, description="代表评议票已收回张数")
    representative_score: float | None = Field(default=None, description="代表评议平均分")
    representative_weight: int = Field(default=0, description="代表评议所占百分比")
    combined: float | None = Field(default=None, description="综合得分")
    rule: str = Field(default="", description="综合得分的算法")


class SlipCounts(BaseModel):
    """A branch's 代表评议票 of a round, counted: never which slip, never whose answer."""

    issued: int = Field(description="在用的一批已打印张数")
    used: int = Field(description="已收回（已使用）张数")
    voided: int = Field(description="重新打印后作废未用的张数")


class ReportRead(BaseModel):
    id: int
    round_id: int
    round_title: str
    round_status: DebriefStatus
    branch_id: int
    branch_name: str
    author_name: str | None
    text: str
    submitted_at: datetime | None
    updated_at: datetime | None
    late: bool
    overdue: bool = Field(description="截止日已过仍未提交")
    published_at: datetime | None
    attachments: list[AttachmentRead] = Field(default_factory=list)
    result: DebriefResult | None = Field(default=None, description="评议结果（党委随时可见；书记在评议结束后可见）")
    slips: SlipCounts | None = Field(default=None, description="代表评议票张数（党委和本支部书记可见）")
    my_score: dict[str, float] | None = Field(default=None, description="我给出的分数（仅本人可见）")
    allowed_actions: list[str] = Field(default_factory=list)


class ScoreBody(_In):
    items: dict[str, float] = Field(description="每个评分项的得分，不超过该项满分")


class ScoreRead(BaseModel):
    report_id: int
    items: dict[str, float]
    total: float
    scored_at: datetime
    scorers: int = Field(description="已评分人数")


class DebriefPublic(BaseModel):
    """A published 述职 report on the branch's board: the privacy boundary (masked text, no attachment)."""

    round_title: str
    text: str
    published_at: datetime


register_labels(
    {
        "report_due": "述职报告截止日",
        "rubric": "评分项",
        "session_at": "述职会时间",
        "session_place": "述职会地点",
        "items": "得分",
        "representative_weight": "代表评议所占比例",
    },
    values={**DEBRIEF_KIND_LABELS, **DEBRIEF_STATUS_LABELS},
)
