"""Villagers' satisfaction with one pledge, for the secretary's close dialog (销诺): counted ratings
by choice, the 满意度 (evaluations.formula, as everywhere), flagged ones apart, approved suggestions — across every
period. Evaluations sit above pledges, so the close dialog asks here, not the pledge read.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core.permissions import Actor, Permission, require
from app.evaluations import formula
from app.evaluations.models import (
    SATISFACTION_LABELS,
    PublicRating,
    RatingStatus,
    Satisfaction,
    Suggestion,
    SuggestionStatus,
)
from app.pledges import service as pledges_service


class PledgeSatisfaction(BaseModel):
    pledge_id: int
    satisfied: int
    basic: int
    unsatisfied: int
    total: int = Field(description="计入的测评（不含待复核和作废的）")
    score: float | None = Field(description="满意度（0–100）=（满意 + 基本满意）÷ 评价数 × 100；无测评为 null")
    flagged: int = Field(description="短时间内集中提交、待复核的测评（不计入）")
    suggestions: int = Field(description="已公开的意见建议")
    labels: dict[str, str]
    formula: str = Field(default=formula.TEXT, description="满意度的算法（各页面同一个）")


def pledge_satisfaction(session: Session, *, actor: Actor, pledge_id: int) -> PledgeSatisfaction:
    """Two queries after the pledge is found (404 outside scope; 403 without evaluation.moderate)."""
    located = pledges_service.visible_pledge(session, actor, pledge_id)
    require(actor, Permission.evaluation_moderate, located.unit)
    rows = session.execute(
        select(col(PublicRating.status), col(PublicRating.choice), func.count())
        .where(col(PublicRating.pledge_id) == pledge_id)
        .group_by(col(PublicRating.status), col(PublicRating.choice))
    ).all()
    counted = {c.value: 0 for c in Satisfaction}
    flagged = 0
    for status, choice, n in rows:
        if status == RatingStatus.counted.value:
            counted[str(choice)] += int(n)
        elif status == RatingStatus.flagged.value:
            flagged += int(n)
    total = sum(counted.values())
    score = formula.score(counted["satisfied"], counted["basic"], counted["unsatisfied"])
    suggestions = session.execute(
        select(func.count()).where(
            col(Suggestion.pledge_id) == pledge_id, col(Suggestion.status) == SuggestionStatus.approved.value
        )
    ).scalar_one()
    return PledgeSatisfaction(
        pledge_id=pledge_id,
        satisfied=counted["satisfied"],
        basic=counted["basic"],
        unsatisfied=counted["unsatisfied"],
        total=total,
        score=round(score, 1) if score is not None else None,
        flagged=flagged,
        suggestions=int(suggestions),
        labels={c.value: label for c, label in SATISFACTION_LABELS.items()},
    )
