from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.privacy import mask_personal
from app.evaluations.models import RatingStatus, Satisfaction, SuggestionStatus

SCORE_DESCRIPTION = "满意度（0–100）=（满意 + 基本满意）÷ 评价数 × 100；没有测评时为空"


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
    reply: str = Field(default="", description="支部的答复（已打码）；没有答复时为空")
    replied_at: datetime | None = None


class SuggestionRead(BaseModel):
    """A suggestion as a secretary moderating it sees it, never the device or address. The secretary
    is inside the privacy boundary: `text` and `reply` are as typed (to moderate and to edit them);
    `public_text` and `public_reply` are what the board prints, masked here by the very function the
    board applies when it reads them (so a row an older masking stored is shown as the board shows it)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    unit_id: int
    branch_id: int
    pledge_id: int | None
    text: str
    public_text: str = Field(description="公示牌上显示的文字（已打码）")
    status: SuggestionStatus
    created_at: datetime
    moderated_at: datetime | None
    reason: str
    reply: str = ""
    public_reply: str = Field(default="", description="公示牌上显示的答复（已打码）")
    replied_at: datetime | None = None

    @field_validator("public_text", "public_reply")
    @classmethod
    def _as_the_board_shows_it(cls, value: str) -> str:
        return mask_personal(value)


class SuggestionModerate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    reason: str = Field(default="", max_length=200, description="不公开的原因（可选）")


class SuggestionReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=500, description="答复内容，显示在公示牌上这条意见下面")


class PledgeSuggestion(BaseModel):
    """An approved suggestion to a pledge as the pledge's member and the branch see it in the app:
    the public (masked) text and the branch's reply, as on the board."""

    id: int
    public_text: str
    created_at: datetime
    reply: str
    replied_at: datetime | None


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
    satisfaction_score: float | None = Field(
        default=None, description="满意度（0–100）=（满意 + 基本满意）÷ 评价数 × 100；没有测评时为空"
    )


class MemberEvaluationSummary(BaseModel):
    member_id: int
    pledges: int
    satisfied: int
    basic: int
    unsatisfied: int
    total: int
    flagged: int
    satisfaction_score: float | None = Field(
        default=None, description="满意度（0–100）=（满意 + 基本满意）÷ 评价数 × 100；没有测评时为空"
    )
