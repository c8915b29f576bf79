"""How the appraisal feeds the star ratings (as the policy's `appraisal` rules say), registered with
ratings.compute's inputs so ratings never imports this domain:

- the representatives' monthly answers of the period's months join the branch's 群众测评 (villager
  part) as one rating each, at the answer's 满意度 (`slip_counts_as = "villager"`);
- a quarter's submitted self-evaluation is blended into the branch's 组织考评 part at `self_weight` %
  (the committee's own assessment the rest; nothing when the committee has not assessed yet).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.appraisal.models import SelfEvaluation, SelfEvaluationStatus
from app.appraisal.slips import answer_totals
from app.ratings import compute
from app.ratings.models import PeriodKind, RatingPeriod
from app.ratings.rules import PolicyRules


def representatives(session: Session, period: RatingPeriod, rules: PolicyRules, branches: Any) -> dict[int, Any]:
    if rules.appraisal.slip_counts_as != "villager":
        return {}
    return answer_totals(session, branches, period.starts_on, period.ends_on)


def self_evaluations(session: Session, period: RatingPeriod, rules: PolicyRules, branches: Any) -> dict[int, Any]:
    weight = rules.appraisal.self_weight
    if not weight or period.kind != PeriodKind.quarter or period.quarter is None:
        return {}
    rubric = {i.key: i.max_points for i in rules.appraisal.self_rubric}
    stmt = select(col(SelfEvaluation.branch_id), col(SelfEvaluation.items)).where(
        col(SelfEvaluation.branch_id).in_(branches),
        col(SelfEvaluation.year) == period.year,
        col(SelfEvaluation.quarter) == period.quarter,
        col(SelfEvaluation.status) == SelfEvaluationStatus.submitted.value,
    )
    total = sum(rubric.values())
    return {
        int(b): (sum(float(v) for k, v in (items or {}).items() if k in rubric and v is not None), total, weight)
        for b, items in session.connection().execute(stmt).all()  # one row per branch
    }


def register() -> None:
    """Once per process (importing app.appraisal does it)."""
    if representatives not in compute.BRANCH_VILLAGER_INPUTS:
        compute.BRANCH_VILLAGER_INPUTS.append(representatives)
    if self_evaluations not in compute.BRANCH_ASSESSMENT_INPUTS:
        compute.BRANCH_ASSESSMENT_INPUTS.append(self_evaluations)
