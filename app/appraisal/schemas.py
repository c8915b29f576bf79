"""Request and response bodies of the representatives' evaluation and the quarterly self-evaluation.

A representative's name is seen only by the branch's secretary and the committee (`RepresentativeRead`
behind rating.manage); slips and answers are only ever counted (`SlipMonthCount`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.appraisal.models import RepresentativeKind, SelfEvaluationStatus
from app.core.errors import register_labels


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RepresentativeCreate(_Body):
    name: str = Field(min_length=1, max_length=30)
    kind: RepresentativeKind


class RepresentativeUpdate(_Body):
    name: str | None = Field(default=None, min_length=1, max_length=30)
    kind: RepresentativeKind | None = None
    active: bool | None = None


class RepresentativeRead(BaseModel):
    id: int
    branch_id: int
    name: str
    kind: RepresentativeKind
    kind_label: str
    active: bool
    updated_at: datetime


class SlipIssue(_Body):
    """Which month's slips to print (this month or the next); one per active representative."""

    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)


class SlipMonthCount(BaseModel):
    """A month's slips of a branch, counted: never which slip, never whose answer."""

    year: int
    month: int
    issued: int  # slips of the batch in force
    used: int  # answers received (every batch of the month)
    voided: int  # slips of earlier printings left unused (void)
    expired: bool  # the month is over: unused slips no longer open
    score: float | None  # the month's 满意度 over every answer's items (0–100), None without answers


class BranchPanel(BaseModel):
    """One branch in the committee's overview: its panel's size and this month's slips."""

    branch_id: int
    branch_name: str
    party: int  # 党员代表
    masses: int  # 群众代表
    issued: int
    used: int


class SelfEvaluationItem(BaseModel):
    key: str
    label: str
    max_points: int
    points: float | None
    note: str
    photos: list[SelfEvaluationPhotoRead] = Field(default_factory=list)


class SelfEvaluationPhotoRead(BaseModel):
    id: int
    item_key: str
    url: str
    thumb_url: str
    width: int
    height: int


class SelfEvaluationRead(BaseModel):
    branch_id: int
    branch_name: str
    year: int
    quarter: int
    status: SelfEvaluationStatus | None  # None: not started
    version: int
    items: list[SelfEvaluationItem]
    points: float
    max_points: int
    submitted_at: datetime | None
    allowed_actions: list[str]
    # the committee's own assessment of the branch in the quarter's rating period, when there is one
    assessment_points: float | None = None
    assessment_max: float | None = None


class SelfEvaluationWrite(_Body):
    """Points and a short text per rubric item (only the items sent change)."""

    items: dict[str, float] = Field(default_factory=dict, max_length=12)
    notes: dict[str, str] = Field(default_factory=dict, max_length=12)


class SelfEvaluationReturn(_Body):
    reason: str = Field(min_length=1, max_length=500)


class SelfEvaluationSummary(BaseModel):
    """One branch in the committee's quarter view: its self-evaluation beside the committee's assessment."""

    branch_id: int
    branch_name: str
    status: SelfEvaluationStatus | None
    points: float | None
    submitted_at: datetime | None
    assessment_points: float | None
    assessment_max: float | None


SelfEvaluationItem.model_rebuild()

register_labels(
    {
        "name": "姓名",
        "kind": "类别",
        "active": "是否在册",
        "year": "年份",
        "month": "月份",
        "items": "得分",
        "notes": "说明",
        "reason": "原因",
    },
    prefix="/api/v1/appraisal",
)
register_labels(values={RepresentativeKind.party: "党员代表", RepresentativeKind.masses: "群众代表"})
