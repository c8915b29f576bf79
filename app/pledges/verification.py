"""Checking the pledge hash chains and the branches' digests (`liangnuo verify`, the verify page).

`verify(session, unit=…)` recomputes every chain under the unit (all when none) from its first event,
in id order, and stops at the first broken link, named in Chinese: the pledge and the event. It finds
a changed row (its hash no longer matches), a deleted or inserted one (seq out of place, or the next
link's prev no longer matches), rows reordered (seq and hash commit to the place), a truncated chain
(its head no longer the pledge's status, or fewer chains/heads than the digest witnessed). Then the
digests: each links to its predecessor and hashes its summary, and each branch's latest digest's root
is recomputed from the chains' heads as of its `upto_event_id`.

`chain_of(session, pledge_id)` is one pledge's chain checked link by link (the public verify page).
Reading and checking a chain is app.core.chain_check's, as for the rating chains: events streamed in
batches (yield_per), one pass, memory bounded by one pledge's chain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core import chain, chain_check
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import history
from app.pledges.models import HistoryDigest, Pledge, PledgeEvent
from app.pledges.public import _PUBLIC_EVENT_ACTIONS, _PUBLIC_LABELS  # the board's rule, not restated


@dataclass(frozen=True)
class Break:
    """The first broken link found."""

    message: str  # Chinese, names the pledge and the event
    pledge_id: int | None = None
    event_id: int | None = None
    branch_id: int | None = None


@dataclass
class Report:
    pledges: int = 0
    events: int = 0
    digests: int = 0
    broken: Break | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None


@dataclass(frozen=True)
class Link:
    """One event as the chain check sees it."""

    event: PledgeEvent
    prev: str
    ok: bool


def verify(
    session: Session, *, unit: OrgUnit | None = None, progress: Callable[[int, int], None] | None = None
) -> Report:
    """Check every chain (under `unit`) and the digests of the branches concerned; the first broken
    link stops the check. `progress(done, total)` is told after each pledge."""
    report = Report()
    scope = org_service.subtree_ids([unit.path]) if unit is not None else select(col(OrgUnit.id))
    pledge_ids = select(col(Pledge.id)).where(col(Pledge.unit_id).in_(scope))
    total = int(session.execute(select(func.count()).select_from(pledge_ids.subquery())).scalar_one())
    rows = session.execute(select(Pledge).where(col(Pledge.id).in_(pledge_ids)).order_by(col(Pledge.id))).scalars()
    pledges = {int(p.id): p for p in rows if p.id is not None}
    seen: set[int] = set()
    for events in chain_check.stream(session, PledgeEvent, history.PLEDGE, col(PledgeEvent.pledge_id).in_(pledge_ids)):
        pledge = pledges[events[0].pledge_id]
        seen.add(events[0].pledge_id)
        report.pledges += 1
        report.events += len(events)
        problem = chain_check.lifecycle_problem(events, history.PLEDGE, pledge.status, "承诺")
        if progress:
            progress(report.pledges, total)
        if problem:
            event_id = chain_check.broken_row_id(events, history.PLEDGE)
            report.broken = Break(
                f"承诺 #{pledge.id}「{pledge.title}」{problem}", pledge.id, event_id, pledge.branch_id
            )
            return report
    for pid in sorted(set(pledges) - seen):
        pledge = pledges[pid]
        report.broken = Break(f"承诺 #{pid}「{pledge.title}」{chain_check.DELETED}", pid, None, pledge.branch_id)
        return report
    branches = {p.branch_id for p in pledges.values()}
    digested = select(col(HistoryDigest.branch_id)).distinct()
    if unit is not None:  # the digests of every unit in scope (a committee's holds its rating periods)
        digested = digested.where(col(HistoryDigest.branch_id).in_(scope))
    branches |= set(session.execute(digested).scalars())
    report.broken = _check_digests(session, report, branches)
    return report


def _check_digests(session: Session, report: Report, branch_ids: set[int]) -> Break | None:
    """Each branch's digests link up and hash their summaries; the latest's root matches the heads."""
    latest: dict[int, HistoryDigest] = {}
    prev: dict[int, str] = {}
    rows = session.execute(
        select(HistoryDigest)
        .where(col(HistoryDigest.branch_id).in_(branch_ids))
        .order_by(col(HistoryDigest.branch_id), col(HistoryDigest.day))
    ).scalars()
    for d in rows:
        report.digests += 1
        expected_prev = prev.get(d.branch_id, chain.GENESIS)
        where = f"支部 #{d.branch_id} {d.day.isoformat()} 的记录校验码"
        if d.prev_digest != expected_prev:
            return Break(f"{where}与前一天的校验码接不上（校验码被删除或改动）", branch_id=d.branch_id)
        s = {**history.summary(d.branch_id, d.day, d.upto_event_id, [], d.upto), "chains": d.chains, "root": d.root}
        if chain.digest(d.prev_digest, s) != d.digest:
            return Break(f"{where}与其内容不符（校验码被改动）", branch_id=d.branch_id)
        prev[d.branch_id] = d.digest
        latest[d.branch_id] = d
    for branch_id, d in sorted(latest.items()):
        heads = history.digest_heads(session, [branch_id], d.upto_event_id, d.upto)[branch_id]
        if history.summary(branch_id, d.day, d.upto_event_id, heads, d.upto)["root"] != d.root:
            records = "承诺和测评记录" if d.upto else "承诺记录"
            return Break(
                f"支部 #{branch_id} 的{records}与 {d.day.isoformat()} 的记录校验码 {chain.short(d.digest)} 不符"
                f"（当日之前的记录被改动、删除或截断；当日校验码覆盖 {d.chains} 条链，现有 {len(heads)} 条）",
                branch_id=branch_id,
            )
    return None


def chain_of(session: Session, pledge_id: int) -> list[Link]:
    """One pledge's chain, each link checked (the verify page)."""
    events = list(
        session.execute(
            select(PledgeEvent).where(col(PledgeEvent.pledge_id) == pledge_id).order_by(col(PledgeEvent.id))
        ).scalars()
    )
    out, prev, whole = [], chain.GENESIS, True
    for position, e in enumerate(events, start=1):
        whole = whole and e.seq == position and history.PLEDGE.hash(prev, e) == e.hash
        out.append(Link(e, prev, whole))
        prev = e.hash
    return out


def public_chain(session: Session, pledge_id: int) -> list[dict[str, Any]]:
    """One pledge's chain as the public verify page shows it: every link's place and hashes; the
    time and label of public events only (what the board's timeline shows), private ones by hash."""
    out = []
    for link in chain_of(session, pledge_id):
        e = link.event
        revised = e.action == "approve" and e.from_status == "revising"
        shown = revised or e.action in _PUBLIC_EVENT_ACTIONS
        label = _PUBLIC_LABELS["revised" if revised else e.action] if shown else "内部记录（不公开）"
        out.append(
            {
                "seq": e.seq,
                "hash": e.hash,
                "prev": link.prev,
                "public": shown,
                "label": label,
                "at": e.at if shown else None,
                "ok": link.ok,
            }
        )
    return out


__all__ = ["Break", "Link", "Report", "chain_of", "public_chain", "verify"]
