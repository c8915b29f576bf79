"""A year's result from its quarters (年度): by the policy, the sum of the four quarterly scores
(0–400, with the year thresholds, as the seeds' towns do: 综合四个季度得分就是全年总成绩) or their
mean (with the quarter thresholds), plus a year-end assessment when the policy gives it a weight.

A member (or branch) missing a quarter is explained, never silently zeroed: by `sum` the quarters
they have are scaled to four (Σ ÷ n × 4), by `mean` the mean is over the quarters they have.
The quarters are the published quarter periods of the same unit and year; one GROUP BY over their
results (one column per quarter) feeds the whole year, written with the same bulk upsert as compute.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core.permissions import Actor
from app.core.time import utcnow
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit
from app.ratings import compute as compute_mod
from app.ratings import periods, scoring
from app.ratings.models import (
    STAR_LABELS,
    Assessment,
    PeriodKind,
    PeriodStatus,
    RatingPeriod,
    RatingResult,
    SubjectKind,
    YearCombine,
)
from app.ratings.rules import PolicyRules, Thresholds
from app.ratings.scoring import fmt, r1
from app.ratings.states import Action

QUARTER_NAMES = {1: "一季度", 2: "二季度", 3: "三季度", 4: "四季度"}


def quarter_periods(session: Session, period: RatingPeriod) -> dict[int, int]:
    """quarter → period id of the published quarters of the year period's unit and year."""
    rows = session.execute(
        select(col(RatingPeriod.quarter), col(RatingPeriod.id)).where(
            col(RatingPeriod.unit_id) == period.unit_id,
            col(RatingPeriod.kind) == PeriodKind.quarter.value,
            col(RatingPeriod.year) == period.year,
            col(RatingPeriod.status) == PeriodStatus.published.value,
        )
    ).all()
    return {int(q): int(pid) for q, pid in rows if q is not None}


def year_value(
    scores: dict[int, float | None], rules: PolicyRules, year_assessment: float | None
) -> tuple[float, Thresholds, str]:
    """The year's score, its thresholds and the Chinese account of how the quarters combined."""
    present = {q: s for q, s in sorted(scores.items()) if s is not None}
    missing = [q for q in (1, 2, 3, 4) if scores.get(q) is None]
    listed = "、".join(f"{QUARTER_NAMES[q]} {fmt(s)} 分" for q, s in present.items())
    by_sum = rules.year_combine == YearCombine.sum
    thresholds = rules.year_thresholds if by_sum else rules.thresholds
    if not present:
        return 0.0, thresholds, "全年没有已发布的季度结果，年度得分按 0 分计。"
    total = sum(present.values())
    n = len(present)
    if by_sum:
        value = r1(total / n * 4) if missing else r1(total)
        text = f"季度得分：{listed}，按四个季度相加"
        if missing:
            text += (
                f"；缺{'、'.join(QUARTER_NAMES[q] for q in missing)}（当季无结果），"
                f"按已有 {n} 个季度折算全年：{fmt(r1(total))} ÷ {n} × 4 = {fmt(value)} 分"
            )
        else:
            text += f"，合计 {fmt(value)} 分"
    else:
        value = r1(total / n)
        text = f"季度得分：{listed}，取平均 {fmt(value)} 分"
        if missing:
            text += f"（缺{'、'.join(QUARTER_NAMES[q] for q in missing)}，当季无结果，按已有 {n} 个季度平均）"
    w = rules.year_assessment_weight
    if w:
        scale = 4 if by_sum else 1
        if year_assessment is None:
            text += f"；年终考评尚未评分，不计入（其权重 {w}% 归季度得分）"
        else:
            combined = r1(value * (100 - w) / 100 + year_assessment * scale * w / 100)
            text += (
                f"；年终考评 {fmt(year_assessment)} 分（百分制{'，×4 折合全年' if by_sum else ''}）占 {w}%："
                f"{fmt(value)} × {100 - w}% + {fmt(year_assessment * scale)} × {w}% = {fmt(combined)} 分"
            )
            value = combined
    return value, thresholds, text + "。"


def _explain(value: float, thresholds: Thresholds, text: str, previous: int | None) -> tuple[int, str]:
    stars = thresholds.stars(value)
    if stars > 1:
        text += (
            f"年度得分 {fmt(value)} 分，达到{STAR_LABELS[stars]}（{fmt(thresholds.minimum(stars) or 0)} 分及以上）。"
        )
    else:
        text += f"年度得分 {fmt(value)} 分，低于二星分数线（{fmt(thresholds.star2)} 分），评为一星。"
    if previous is not None and previous != stars:
        text += f"上年{STAR_LABELS[previous]}，本年{'晋星' if stars > previous else '降星'}。"
    text += scoring.next_star([], value, stars, thresholds)
    return stars, text


def quarter_scores(session: Session, quarters: dict[int, int], kind: SubjectKind) -> dict[int, dict[int, float]]:
    """subject → {quarter: score} of the published quarters (one query; a quarter without a row is
    missing, which year_value explains)."""
    if not quarters:
        return {}
    quarter_of = {pid: q for q, pid in quarters.items()}
    stmt = select(col(RatingResult.subject_id), col(RatingResult.period_id), col(RatingResult.score)).where(
        col(RatingResult.period_id).in_(list(quarters.values())), col(RatingResult.subject_kind) == kind.value
    )
    out: dict[int, dict[int, float]] = {}
    for sid, pid, score in session.connection().execute(stmt).all():
        out.setdefault(int(sid), {})[quarter_of[int(pid)]] = float(score)
    return out


def year_assessments(session: Session, period_id: int, kind: SubjectKind) -> dict[int, float]:
    """subject → the year-end assessment on 0–100."""
    stmt = select(col(Assessment.subject_id), col(Assessment.points), col(Assessment.max_points)).where(
        col(Assessment.period_id) == period_id, col(Assessment.subject_kind) == kind.value
    )
    return {int(sid): r1(float(p) * 100 / float(m)) for sid, p, m in session.connection().execute(stmt).all() if m}


def compute_year(session: Session, period: RatingPeriod) -> compute_mod.Computed:
    """Write the year's rows (no permission or state check: see compute())."""
    rules = compute_mod.rules_of(period)
    unit = org_service.get_unit(session, period.unit_id)
    period_id = int(period.id or 0)
    branches = compute_mod.branch_ids_in(period, unit)
    quarters = quarter_periods(session, period)
    previous_id = compute_mod.previous_period_id(session, period)
    members_frozen, branch_frozen = compute_mod.frozen_branches(session, period_id)
    now = utcnow()
    written = {}
    for kind in (SubjectKind.member, SubjectKind.branch):
        if kind == SubjectKind.member:
            stmt: Any = select(
                col(Member.id), col(Member.branch_id), func.coalesce(col(Member.group_id), col(Member.branch_id))
            ).where(col(Member.status) == MemberStatus.active.value, col(Member.branch_id).in_(branches))
            if members_frozen:
                stmt = stmt.where(col(Member.branch_id).not_in(members_frozen))
            stmt = stmt.order_by(col(Member.id))
        else:
            stmt = select(col(OrgUnit.id), col(OrgUnit.id), col(OrgUnit.id)).where(col(OrgUnit.id).in_(branches))
            if branch_frozen:
                stmt = stmt.where(col(OrgUnit.id).not_in(branch_frozen))
            stmt = stmt.order_by(col(OrgUnit.id))
        subjects = session.connection().execute(stmt).all()
        scores_of = quarter_scores(session, quarters, kind)
        assessed_of = year_assessments(session, period_id, kind)
        previous_of = compute_mod.previous_levels(session, previous_id, kind, branches)
        rows = []
        for sid, bid, uid in subjects:
            scores: dict[int, float | None] = {q: scores_of.get(sid, {}).get(q) for q in (1, 2, 3, 4)}
            assessed = assessed_of.get(sid)
            previous = previous_of.get(sid)
            value, thresholds, text = year_value(scores, rules, assessed)
            stars, explanation = _explain(value, thresholds, text, previous)
            rows.append(
                _year_row(
                    period_id, kind, sid, bid, uid, value, stars, explanation, scores, assessed, rules, previous, now
                )
            )
        compute_mod.upsert_results(session, rows)
        written[kind] = len(rows)
    return compute_mod.Computed(
        members=written[SubjectKind.member],
        branches=written[SubjectKind.branch],
        skipped_branches=len(members_frozen | branch_frozen),
    )


def _year_row(
    period_id: int,
    kind: SubjectKind,
    sid: int,
    bid: int,
    uid: int,
    value: float,
    stars: int,
    explanation: str,
    scores: dict[int, Any],
    assessed: float | None,
    rules: PolicyRules,
    previous: int | None,
    now: Any,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "period_id": period_id,
        "subject_kind": kind.value,
        "subject_id": sid,
        "branch_id": bid,
        "unit_id": uid,
        "score": value,
        "proposed_stars": stars,
        "previous_stars": previous,
        "explanation": explanation,
        "computed_at": now,
        "version": 1,
        "details": {
            "quarters": {str(q): (float(s) if s is not None else None) for q, s in scores.items()},
            "combine": rules.year_combine.value,
            "year_assessment": assessed,
        },
    }
    for key in ("peer", "villager", "assessment", "members"):
        values.update({f"{key}_raw": None, f"{key}_count": 0, f"{key}_weight": 0.0, f"{key}_score": 0.0})
    if assessed is not None and rules.year_assessment_weight:
        values.update(
            {
                "assessment_raw": assessed,
                "assessment_count": 1,
                "assessment_weight": float(rules.year_assessment_weight),
            }
        )
    return values


def compute(
    session: Session, *, actor: Actor, period: RatingPeriod, unit: OrgUnit, expected_version: int | None
) -> compute_mod.Computed:
    """核算 a year period (the committee; If-Match on the period), through the period lifecycle."""
    action = Action.recompute if period.status == PeriodStatus.computed else Action.compute
    periods.transition(session, period, action, actor=actor, expected_version=expected_version)
    return compute_year(session, period)


__all__: Sequence[str] = ("compute", "compute_year", "quarter_periods", "year_value")
