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

from sqlalchemy import case, func, select
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


def _quarter_columns(quarters: dict[int, int]) -> list[Any]:
    cols = []
    for q in (1, 2, 3, 4):
        pid = quarters.get(q, 0)
        cols.append(func.max(case((col(RatingResult.period_id) == pid, col(RatingResult.score)))).label(f"q{q}"))
    return cols


def _quarters_sub(quarters: dict[int, int], kind: SubjectKind) -> Any:
    return (
        select(col(RatingResult.subject_id).label("subject_id"), *_quarter_columns(quarters))
        .where(
            col(RatingResult.period_id).in_(list(quarters.values()) or [0]),
            col(RatingResult.subject_kind) == kind.value,
        )
        .group_by(col(RatingResult.subject_id))
        .subquery()
    )


def _year_assessment_sub(period_id: int, kind: SubjectKind) -> Any:
    return (
        select(
            col(Assessment.subject_id).label("subject_id"),
            (col(Assessment.points) * 100 / func.nullif(col(Assessment.max_points), 0)).label("raw"),
        )
        .where(col(Assessment.period_id) == period_id, col(Assessment.subject_kind) == kind.value)
        .subquery()
    )


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
        qs = _quarters_sub(quarters, kind)
        ya = _year_assessment_sub(period_id, kind)
        prev = compute_mod._previous_sub(previous_id, kind)
        subject: Any
        branch: Any
        unit_col: Any
        if kind == SubjectKind.member:
            subject, branch, unit_col = (
                col(Member.id),
                col(Member.branch_id),
                func.coalesce(col(Member.group_id), col(Member.branch_id)),
            )
            base: Any = (
                select(subject, branch, unit_col)
                .select_from(Member)
                .where(col(Member.status) == MemberStatus.active.value, col(Member.branch_id).in_(branches))
            )
            frozen = members_frozen
        else:
            subject = branch = unit_col = col(OrgUnit.id)
            base = select(subject, branch, unit_col).select_from(OrgUnit).where(col(OrgUnit.id).in_(branches))
            frozen = branch_frozen
        stmt = (
            base.add_columns(qs.c.q1, qs.c.q2, qs.c.q3, qs.c.q4, ya.c.raw, prev.c.stars)
            .outerjoin(qs, qs.c.subject_id == subject)
            .outerjoin(ya, ya.c.subject_id == subject)
            .outerjoin(prev, prev.c.subject_id == subject)
            .order_by(subject)
        )
        if frozen:
            stmt = stmt.where(branch.not_in(frozen))
        rows = []
        for sid, bid, uid, q1, q2, q3, q4, raw, previous in session.execute(stmt):
            scores = {1: q1, 2: q2, 3: q3, 4: q4}
            assessed = r1(float(raw)) if raw is not None else None
            value, thresholds, text = year_value(
                {q: (float(s) if s is not None else None) for q, s in scores.items()}, rules, assessed
            )
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
