"""A branch's year appraisal (年度考评得分), defined once: the year's star score (the committee's year
period, app/ratings/years.py) combined with the year's 述职评议 of the branch's secretary by the
policy's `appraisal.debrief_weight` (default 20 %; the star score has the rest).

- The 述职 score of a year: the mean of the combined scores (committee + representatives' slips,
  debrief_reports.results) of the branch's reports in the year's closed rounds (半年述职, 年终述职), on
  0–100. A round still scoring does not count.
- A year period summed over quarters (0–400) counts the 述职 score ×4, as years.py does a year-end
  assessment: the appraisal score stays on the star score's scale, so the year's star thresholds
  keep their meaning for it (tiers.py reads its level off them).
- No closed 述职 (or a weight of 0): the star score alone, and `rule` says so.

The weight is read from the year period's frozen policy, as the star score's own rules. Reading the
scores costs a fixed number of statements (one for the reports, then results' aggregates).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from app.appraisal import debrief_reports
from app.appraisal.models_debrief import DebriefReport, DebriefRound, DebriefStatus
from app.org.models import OrgUnit
from app.ratings.models import YearCombine
from app.ratings.rules import PolicyRules, Thresholds
from app.ratings.scoring import fmt, r1


@dataclass(frozen=True)
class YearAppraisal:
    score: float  # the year appraisal score, on the star score's scale
    star_score: float
    debrief_score: float | None  # 0–100; None without a closed 述职 round
    debrief_rounds: int
    text: str  # how it was reached, in Chinese


def scale(rules: PolicyRules) -> int:
    """4 when the year's star score is the quarters' sum (0–400), else 1."""
    return 4 if rules.year_combine == YearCombine.sum else 1


def thresholds(rules: PolicyRules) -> Thresholds:
    """The year's star lines, which the appraisal score is read against."""
    return rules.year_thresholds if rules.year_combine == YearCombine.sum else rules.thresholds


def rule_text(rules: PolicyRules) -> str:
    """The rule in words for a page (the weight and the default)."""
    w = rules.appraisal.debrief_weight
    if not w:
        return "年度考评得分即星级评定年度得分（述职评议不计入，权重为 0）。"
    four = "（百分制，×4 折合全年）" if scale(rules) == 4 else "（百分制）"
    return (
        f"年度考评得分 = 星级评定年度得分 × {100 - w}% + 支部书记述职评议得分{four} × {w}%"
        "（述职评议得分取当年半年和年终述职的平均；述职权重默认 20%，党委可在评定规则中调整）；"
        "当年没有述职评议结果的支部，按星级评定年度得分计。"
    )


def combine(star_score: float, debrief: tuple[float, int] | None, rules: PolicyRules) -> YearAppraisal:
    """The year appraisal of one branch from its star score and its 述职 (mean, rounds)."""
    w = rules.appraisal.debrief_weight
    if debrief is None or not w:
        why = "当年没有述职评议结果" if debrief is None else "述职评议权重为 0"
        return YearAppraisal(
            score=star_score,
            star_score=star_score,
            debrief_score=debrief[0] if debrief else None,
            debrief_rounds=debrief[1] if debrief else 0,
            text=f"{why}，年度考评得分按星级评定年度得分 {fmt(star_score)} 分计。",
        )
    mean, rounds = debrief
    k = scale(rules)
    value = r1(star_score * (100 - w) / 100 + mean * k * w / 100)
    shown = f"{fmt(mean)}{' × 4' if k == 4 else ''}"
    return YearAppraisal(
        score=value,
        star_score=star_score,
        debrief_score=mean,
        debrief_rounds=rounds,
        text=(
            f"星级评定年度得分 {fmt(star_score)} 分占 {100 - w}%，述职评议 {fmt(mean)} 分"
            f"（当年述职的平均）占 {w}%：{fmt(star_score)} × {100 - w}% + {shown} × {w}%"
            f" = {fmt(value)} 分。"
        ),
    )


def debrief_scores(
    session: Session, committee: OrgUnit, year: int, branch_ids: Collection[int]
) -> dict[int, tuple[float, int]]:
    """branch → (the mean of its reports' combined scores in the year's closed rounds, how many).
    One statement for the reports, then debrief_reports.results' aggregates (none without reports)."""
    if not branch_ids:
        return {}
    rows = session.execute(
        select(col(DebriefReport.id), col(DebriefReport.branch_id), col(DebriefRound.representative_weight))
        .join(DebriefRound, col(DebriefRound.id) == col(DebriefReport.round_id))
        .where(
            col(DebriefRound.year) == year,
            col(DebriefRound.status) == DebriefStatus.closed.value,
            col(DebriefReport.branch_id).in_(list(branch_ids)),
        )
    ).all()
    if not rows:
        return {}
    weights = {int(rid): int(w) for rid, _, w in rows}
    scored = debrief_reports.results(session, committee, list(weights), weights)
    per: dict[int, list[float]] = {}
    for rid, bid, _ in rows:
        result = scored.get(int(rid))
        if result is not None and result.combined is not None:
            per.setdefault(int(bid), []).append(result.combined)
    return {b: (r1(sum(v) / len(v)), len(v)) for b, v in per.items()}


def year_appraisals(
    session: Session, committee: OrgUnit, year: int, star_scores: Mapping[int, float], rules: PolicyRules
) -> dict[int, YearAppraisal]:
    """The year appraisal of each branch with a star score (`rules`: the year period's policy)."""
    debriefs = debrief_scores(session, committee, year, list(star_scores))
    return {b: combine(s, debriefs.get(b), rules) for b, s in star_scores.items()}


__all__ = ["YearAppraisal", "combine", "debrief_scores", "rule_text", "thresholds", "year_appraisals"]
