from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.evaluations.models import RatingStatus, Satisfaction, SuggestionStatus


class SatisfactionCounts(BaseModel):
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0

    @property
    def total(self) -> int:
        return self.satisfied + self.basic + self.unsatisfied

    def add(self, choice: str, n: int = 1) -> None:
        setattr(self, Satisfaction(choice).value, getattr(self, Satisfaction(choice).value) + n)


class SatisfactionPublic(BaseModel):
    """Public aggregate of a pledge's ratings; only produced from MIN_PUBLIC_RATINGS ratings up."""

    satisfied: int
    basic: int
    unsatisfied: int
    total: int
    satisfied_percent: int


class SuggestionPublic(BaseModel):
    """An approved suggestion as the public sees it: masked text and the day, nothing else."""

    public_text: str
    created_at: datetime
    pledge_id: int | None = None


class SuggestionRead(BaseModel):
    """A suggestion as a secretary moderating it sees it (the raw text, never the device or address)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    branch_id: int
    pledge_id: int | None
    text: str
    public_text: str
    status: SuggestionStatus
    created_at: datetime
    moderated_at: datetime | None
    reason: str


class SuggestionModerate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    reason: str = Field(default="", max_length=200, description="不公开的原因（可选）")


class RatingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    pledge_id: int
    member_id: int | None
    branch_id: int
    period: str
    choice: Satisfaction
    status: RatingStatus
    created_at: datetime
    updated_at: datetime


class RatingReview(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accept: bool = Field(description="true：计入测评；false：作废")


class PledgeEvaluationSummary(BaseModel):
    pledge_id: int
    member_id: int | None
    satisfied: int
    basic: int
    unsatisfied: int
    total: int
    flagged: int = Field(description="短时间内集中提交、待复核的测评（不计入）")
    suggestions: int = Field(description="已公开的意见建议")
    suggestions_pending: int = Field(default=0, description="待审核的意见建议（未公开的不计）")


class MemberEvaluationSummary(BaseModel):
    member_id: int
    pledges: int
    satisfied: int
    basic: int
    unsatisfied: int
    total: int
    flagged: int
    satisfaction_score: float | None = Field(
        default=None, description="满意=100、基本满意=60、不满意=0 的平均分；没有测评时为空"
    )
