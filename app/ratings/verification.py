"""Checking the rating chains (`liangnuo verify`, after the pledges' chains; docs/history.md).

`verify(session, unit=…)` recomputes every rating period's chain of events (periods of units under
`unit`, or all) and every result's chain of decisions (results of branches under `unit`, or all), each
from its first row in id order, and stops at the first broken link, named in Chinese: the period or
the result (its period, the member or branch it rates) and the row (its place, id, action and time).
A changed row (its hash no longer matches), a deleted, inserted or moved one (seq out of place), a
truncated chain (a period's last event does not end in the period's status; a result's last decision
is not its level — which also finds a level, published or not, changed without a decision) are found.
Reading and checking a chain is app.core.chain_check's, as for the pledges' chains: rows streamed in
batches (yield_per), memory bounded by one chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core import chain_check
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit
from app.ratings import history
from app.ratings.models import RatingDecision, RatingPeriod, RatingPeriodEvent, RatingResult, SubjectKind


@dataclass
class Report:
    periods: int = 0
    results: int = 0
    events: int = 0  # period events and decisions
    broken: str | None = None  # Chinese, names the period or result and the row

    @property
    def ok(self) -> bool:
        return self.broken is None


def _decision_name(d: Any) -> str:
    return f"第 {d.seq} 条审定记录（#{d.id}，{d.kind}，{d.stars} 星，{d.at:%Y-%m-%d %H:%M}）"


def verify(
    session: Session, *, unit: OrgUnit | None = None, progress: Callable[[int, int], None] | None = None
) -> Report:
    """Check every period's and every result's chain (under `unit`); the first broken link stops it."""
    report = Report()
    units = org_service.subtree_ids([unit.path]) if unit is not None else select(col(OrgUnit.id))
    periods = {
        int(p.id): p
        for p in session.execute(
            select(RatingPeriod).where(col(RatingPeriod.unit_id).in_(units)).order_by(col(RatingPeriod.id))
        ).scalars()
        if p.id is not None
    }
    period_ids = select(col(RatingPeriod.id)).where(col(RatingPeriod.unit_id).in_(units))
    seen: set[int] = set()
    where_events = col(RatingPeriodEvent.period_id).in_(period_ids)
    for events in chain_check.stream(session, RatingPeriodEvent, history.PERIOD, where_events):
        period = periods[events[0].period_id]
        seen.add(int(events[0].period_id))
        report.periods += 1
        report.events += len(events)
        problem = chain_check.lifecycle_problem(events, history.PERIOD, period.status, "周期")
        if problem:
            report.broken = f"测评周期 #{period.id}「{period.title}」{problem}"
            return report
    for pid in sorted(set(periods) - seen):
        report.broken = f"测评周期 #{pid}「{periods[pid].title}」{chain_check.DELETED}"
        return report

    where = col(RatingResult.branch_id).in_(units)
    result_cols = (col(RatingResult.id), col(RatingResult.stars))
    levels = {int(rid): stars for rid, stars in session.execute(select(*result_cols).where(where))}
    total = len(levels)
    decided: set[int] = set()
    where_decisions = col(RatingDecision.result_id).in_(select(col(RatingResult.id)).where(where))
    for decisions in chain_check.stream(session, RatingDecision, history.RESULT, where_decisions):
        rid = int(decisions[0].result_id)
        decided.add(rid)
        report.results += 1
        report.events += len(decisions)
        problem = chain_check.link_problem(decisions, history.RESULT, _decision_name)
        if problem is None and decisions[-1].stars != levels.get(rid):
            last = decisions[-1]
            problem = (
                f"最后一条审定记录（#{last.id}，{last.stars} 星）与星级（{levels.get(rid)} 星）不符"
                "（星级被改动，或其后的审定记录缺失）"
            )
        if progress:
            progress(report.results, total)
        if problem:
            report.broken = f"{_result_name(session, rid)}{problem}"
            return report
    for rid in sorted(r for r, stars in levels.items() if stars is not None and r not in decided):
        report.broken = f"{_result_name(session, rid)}有星级却没有任何审定记录（记录被删除，或星级被改动）"
        return report
    return report


def _result_name(session: Session, result_id: int) -> str:
    """「星级结果 #55（2026年第三季度，党员 张三）」: asked only on a break."""
    result = session.get(RatingResult, result_id)
    if result is None:  # pragma: no cover - the row was read a moment ago
        return f"星级结果 #{result_id}"
    period = session.get(RatingPeriod, result.period_id)
    if result.subject_kind == SubjectKind.member:
        member = session.get(Member, result.subject_id)
        who = f"党员 {member.name if member else '#' + str(result.subject_id)}"
    else:
        branch = session.get(OrgUnit, result.subject_id)
        who = f"党支部 {branch.name if branch else '#' + str(result.subject_id)}"
    return f"星级结果 #{result_id}（{period.title if period else ''}，{who}）"


__all__ = ["Report", "verify"]
