"""The one satisfaction formula (满意度), for every page, summary and the star ratings.

    满意度 =（满意 + 基本满意）÷ 参加评价的人数 × 100%

— the share of villagers who are satisfied or basically satisfied, as the seeds measure it (001 "群众
对村党支部的满意度达到95%以上"). `SATISFIED` is the one definition of who counts as satisfied; SQL
(`satisfied_sql`, `points_sql`) and Python (`percent`, `score`) are both built from it, so a board, the
secretary's summary, the close dialog and the ratings' villager part cannot disagree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case

from app.evaluations.models import Satisfaction

SATISFIED: frozenset[Satisfaction] = frozenset({Satisfaction.satisfied, Satisfaction.basic})
# each choice's points on 0–100: the mean of a set of ratings' points is their 满意度
POINTS: dict[Satisfaction, int] = {c: 100 if c in SATISFIED else 0 for c in Satisfaction}
TEXT = "满意度 =（满意 + 基本满意）÷ 参加评价的人数"
SHORT = "满意与基本满意的人数占评价人数的比例"


def satisfied_sql(choice: Any) -> Any:
    """1 for a satisfied choice (满意 or 基本满意), else 0: SUM it to count the satisfied."""
    return case((choice.in_(sorted(c.value for c in SATISFIED)), 1), else_=0)


def points_sql(choice: Any) -> Any:
    """A rating's share of the score on 0–100 (100 satisfied, 0 not): AVG it to get the 满意度."""
    return satisfied_sql(choice) * 100


def is_satisfied(choice: Satisfaction | str) -> bool:
    return Satisfaction(choice) in SATISFIED


def score(satisfied: int, basic: int, unsatisfied: int) -> float | None:
    """The 满意度 on 0–100 (None without a rating)."""
    counts = {Satisfaction.satisfied: satisfied, Satisfaction.basic: basic, Satisfaction.unsatisfied: unsatisfied}
    total = sum(counts.values())
    if not total:
        return None
    return 100 * sum(n for c, n in counts.items() if c in SATISFIED) / total


def percent(satisfied: int, basic: int, unsatisfied: int) -> int | None:
    """The 满意度 as a whole percentage, as the boards print it."""
    value = score(satisfied, basic, unsatisfied)
    return None if value is None else round(value)
