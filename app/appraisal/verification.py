"""Checking the appraisal chains (`liangnuo verify`, after the pledges' and the ratings'; docs/history.md).

`verify(session, unit=…)` recomputes, from its first row in id order, every chain of the four appraisal
lifecycles under `unit` (or all): 述职评议 rounds (`debrief`), branch tiers with their 整顿 steps
(`tier`), quarterly self-evaluations (`self_evaluation`) and ranking publications (`ranking`); it stops
at the first broken link, named in Chinese — the subject (round, tier, self-evaluation, ranking) and
the row (its place, id, action and time). A changed row (hash), a deleted, inserted or moved one (seq),
a truncated chain (the last event does not end in the subject's status; for a tier, the last of its
own events, its steps' events being of the steps) and a subject whose events are all gone are found;
a self-evaluation still in draft that was never submitted has no events, and that is no break.
Reading and checking is app.core.chain_check's, as for every chain: rows streamed in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.appraisal import debrief, ranking, self_evaluation, tiers
from app.appraisal.models import SelfEvaluation, SelfEvaluationEvent, SelfEvaluationStatus
from app.appraisal.models_debrief import DebriefRound, DebriefRoundEvent
from app.appraisal.models_tiers import BranchTier, BranchTierEvent, RankingEvent, RankingPublication, TierStatus
from app.core import chain, chain_check
from app.org import service as org_service
from app.org.models import OrgUnit

TIER_STATUSES = frozenset(s.value for s in TierStatus)


@dataclass
class Report:
    chains: int = 0
    events: int = 0
    broken: str | None = None  # Chinese, names the subject and the row

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass(frozen=True)
class Kind:
    """One kind of appraisal chain: its spec, its event table, its subjects' table and unit column,
    what its subjects are called, which of its rows carries the subject's status, and whether a
    subject may have no events yet."""

    spec: chain.Spec
    events: Any
    subject: Any
    unit_column: str
    noun: str
    name: Callable[[Any, dict[int, str]], str]
    status_row: Callable[[Sequence[Any]], Any | None] = lambda rows: rows[-1] if rows else None
    may_be_empty: Callable[[Any], bool] = lambda _subject: False


def _last_of_tier(rows: Sequence[Any]) -> Any | None:
    """A tier's chain holds its steps' events too (planned, done, dropped): its own last one."""
    return next((r for r in reversed(rows) if r.to_status in TIER_STATUSES), None)


KINDS: tuple[Kind, ...] = (
    Kind(
        debrief.CHAIN,
        DebriefRoundEvent,
        DebriefRound,
        "unit_id",
        "述职评议",
        lambda r, units: f"述职评议 #{r.id}「{r.title}」",
    ),
    Kind(
        tiers.CHAIN,
        BranchTierEvent,
        BranchTier,
        "branch_id",
        "分类",
        lambda t, units: f"党支部分类 #{t.id}（{units.get(t.branch_id, '#' + str(t.branch_id))}，{t.year}年度）",
        status_row=_last_of_tier,
    ),
    Kind(
        self_evaluation.CHAIN,
        SelfEvaluationEvent,
        SelfEvaluation,
        "branch_id",
        "自评",
        lambda e, units: (
            f"季度自评 #{e.id}（{units.get(e.branch_id, '#' + str(e.branch_id))}，{e.year}年第{e.quarter}季度）"
        ),
        may_be_empty=lambda e: e.status == SelfEvaluationStatus.draft and e.submitted_at is None,
    ),
    Kind(
        ranking.CHAIN,
        RankingEvent,
        RankingPublication,
        "unit_id",
        "排行榜",
        lambda p, units: f"排行榜 #{p.id}「{p.title}」",
    ),
)


def verify(session: Session, *, unit: OrgUnit | None = None) -> Report:
    """Check every appraisal chain (of subjects under `unit`); the first broken link stops it."""
    report = Report()
    units = org_service.subtree_ids([unit.path]) if unit is not None else select(col(OrgUnit.id))
    for kind in KINDS:
        report.broken = _check(session, kind, units, report)
        if report.broken is not None:
            return report
    return report


def _check(session: Session, kind: Kind, units: Any, report: Report) -> str | None:
    in_scope = getattr(kind.subject, kind.unit_column).in_(units)
    subjects = {
        int(s.id): s for s in session.execute(select(kind.subject).where(in_scope).order_by(kind.subject.id)).scalars()
    }
    if not subjects:
        return None
    names = {
        int(u.id or 0): u.name
        for u in session.execute(
            select(OrgUnit).where(col(OrgUnit.id).in_({getattr(s, kind.unit_column) for s in subjects.values()}))
        ).scalars()
    }
    key = getattr(kind.events, kind.spec.key)
    seen: set[int] = set()
    where = key.in_(select(kind.subject.id).where(in_scope))
    for rows in chain_check.stream(session, kind.events, kind.spec, where):
        subject = subjects[int(getattr(rows[0], kind.spec.key))]
        seen.add(int(subject.id))
        report.chains += 1
        report.events += len(rows)
        problem = chain_check.link_problem(rows, kind.spec)
        if problem is None:
            last = kind.status_row(rows)
            if last is None or last.to_status != str(subject.status):
                ends = f"（事件 #{last.id}）" if last is not None else ""
                problem = (
                    f"最后一条记录{ends}之后的记录缺失：{kind.noun}状态为“{subject.status}”，"
                    f"记录止于“{last.to_status if last is not None else '无'}”"
                )
        if problem:
            return f"{kind.name(subject, names)}{problem}"
    for sid in sorted(set(subjects) - seen):
        if not kind.may_be_empty(subjects[sid]):
            return f"{kind.name(subjects[sid], names)}{chain_check.DELETED}"
    return None


__all__ = ["KINDS", "Kind", "Report", "verify"]
