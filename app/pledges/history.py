"""The pledge hash chains and the branches' daily digests: writing them (docs/history.md).

- `PLEDGE`: the kind of chain (app.core.chain.Spec): a lifecycle's event rows, one chain per pledge.
- `append(session, rows)`: the one way pledge_event rows are written — each row's `seq` and `hash`
  computed in Python, chained per pledge after its current head (all heads read in one query for the
  batch), then one multi-row INSERT. The pledge rows are locked by the caller (FOR UPDATE), and
  (pledge_id, seq) is unique, so a chain cannot fork.
- `write_digests(session, actor=SYSTEM)`: today's digest for every branch (the daily job and
  `liangnuo digest`): a Merkle root over the heads of the branch's chains, linked to its previous digest.
- `latest_digest(session, branch_id)`: what boards print in small print.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session, col

from app.core import chain
from app.core.permissions import SYSTEM, Actor
from app.core.time import today_local
from app.org.models import OrgUnit, UnitKind
from app.pledges.models import HistoryDigest, Pledge, PledgeEvent

PLEDGE = chain.Spec.lifecycle("pledge", "pledge_id")


def heads(session: Session, pledge_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Each pledge's chain head (seq, hash), one query; pledges without events are absent."""
    return chain.heads(session, PledgeEvent, "pledge_id", pledge_ids)


def link_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Fill `seq` and `hash` of new event rows (in order; several may belong to one pledge)."""
    chain.link_rows(rows, PLEDGE, heads(session, [r["pledge_id"] for r in rows]))


def append(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write new pledge_event rows, chained: one head query, one multi-row INSERT."""
    chain.append(session, PledgeEvent, PLEDGE, rows)


# ---------------------------------------------------------------- daily digests


@dataclass(frozen=True)
class ChainHead:
    chain: str  # "pledge:17"
    seq: int
    hash: str


def branch_heads(session: Session, branch_ids: Iterable[int], upto_event_id: int) -> dict[int, list[ChainHead]]:
    """The heads of every branch's pledge chains as of `upto_event_id` (each chain's last event with
    id <= it), ordered by pledge id; one query."""
    ids = set(branch_ids)
    found = chain.unit_heads(
        session, ids, upto_event_id, model=PledgeEvent, key="pledge_id", parent=Pledge, unit_column="branch_id"
    )
    return {b: [ChainHead(f"pledge:{pid}", seq, h) for pid, seq, h in found.get(b, [])] for b in ids}


def other_heads(session: Session, unit_ids: Iterable[int], upto: Mapping[str, int]) -> dict[int, list[ChainHead]]:
    """The heads of the other chains a digest covers (app.core.chain.SOURCES, e.g. rating periods and
    results), as of each one's upto id, per unit: sources in name order, chains in id order."""
    ids = set(unit_ids)
    out: dict[int, list[ChainHead]] = {u: [] for u in ids}
    for name in sorted(upto):
        source = chain.SOURCES.get(name)
        if source is None:
            raise RuntimeError(f"the chains {name!r} are not registered (import the domain that writes them)")
        for unit_id, found in source.heads(session, ids, upto[name]).items():
            out[unit_id].extend(ChainHead(f"{name}:{cid}", seq, h) for cid, seq, h in found)
    return out


def digest_heads(
    session: Session, unit_ids: Iterable[int], upto_event_id: int, upto: Mapping[str, int] | None
) -> dict[int, list[ChainHead]]:
    """Every chain head a digest covers per unit: the pledges' (as of upto_event_id), then the other
    chains' (as of `upto`; none when it is None, as on digests made before them)."""
    ids = set(unit_ids)
    out = branch_heads(session, ids, upto_event_id)
    if upto:
        for unit_id, found in other_heads(session, ids, upto).items():
            out[unit_id].extend(found)
    return out


def summary(
    branch_id: int,
    day: date,
    upto_event_id: int,
    chain_heads: Sequence[ChainHead],
    upto: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """What a digest hashes (canonical form version 1); `upto` only on digests that cover other chains."""
    root = chain.merkle_root([chain.leaf(h.chain, h.seq, h.hash) for h in chain_heads])
    out: dict[str, Any] = {
        "kind": "digest",
        "branch_id": branch_id,
        "day": day,
        "chains": len(chain_heads),
        "upto_event_id": upto_event_id,
        "root": root,
    }
    if upto is not None:
        out["upto"] = dict(upto)
    return out


def latest_digest(session: Session, branch_id: int) -> HistoryDigest | None:
    return session.execute(
        select(HistoryDigest)
        .where(col(HistoryDigest.branch_id) == branch_id)
        .order_by(col(HistoryDigest.day).desc())
        .limit(1)
    ).scalar_one_or_none()


def write_digests(session: Session, *, actor: Actor = SYSTEM, day: date | None = None) -> int:
    """Today's digest (China date) for every branch that has none yet; returns how many were written.
    Safe to run again the same day (nothing new is written) and from several workers (unique key)."""
    if not actor.system:
        raise ValueError("digests are written by the system")
    day = day or today_local()
    upto = chain.last_id(session, PledgeEvent)
    others = {name: source.upto(session) for name, source in sorted(chain.SOURCES.items())} or None
    branch_rows = session.execute(select(col(OrgUnit.id)).where(col(OrgUnit.kind) == UnitKind.branch)).scalars()
    units = {int(b) for b in branch_rows}
    for source in chain.SOURCES.values():  # a committee's digest holds its rating periods' chains
        units.update(int(u) for u in source.units(session))
    done = set(session.execute(select(col(HistoryDigest.branch_id)).where(col(HistoryDigest.day) == day)).scalars())
    todo = sorted(u for u in units if u not in done)
    if not todo:
        return 0
    previous: dict[int, str] = {}
    for d in session.execute(
        select(HistoryDigest).where(col(HistoryDigest.branch_id).in_(todo)).order_by(col(HistoryDigest.day))
    ).scalars():
        previous[d.branch_id] = d.digest
    all_heads = digest_heads(session, todo, upto, others)
    rows = []
    for branch_id in todo:
        s = summary(branch_id, day, upto, all_heads[branch_id], others)
        prev = previous.get(branch_id, chain.GENESIS)
        rows.append(
            {
                "branch_id": branch_id,
                "day": day,
                "chains": s["chains"],
                "upto_event_id": upto,
                "upto": others,
                "root": s["root"],
                "prev_digest": prev,
                "digest": chain.digest(prev, s),
            }
        )
    session.execute(insert(HistoryDigest), rows)
    session.flush()
    forget_lines()
    return len(rows)


_LINES: dict[int, tuple[float, str | None]] = {}
LINE_SECONDS = 600.0  # a digest is made once a day: boards may print a ten-minute-old answer


def digest_line(session: Session, unit_id: int) -> str | None:
    """The small print for a board of this unit: the latest digest of the unit itself (a branch, or a
    committee whose digest holds its rating periods: its star board) or, for a group, of its branch,
    as `digest_of` words it. One query, then remembered for LINE_SECONDS per unit, so a cached page
    stays free of queries; the line is part of the pages' cache keys."""
    now = time.monotonic()
    memo = _LINES.get(unit_id)
    if memo is not None and now - memo[0] < LINE_SECONDS:
        return memo[1]
    parent = select(col(OrgUnit.parent_id)).where(col(OrgUnit.id) == unit_id).scalar_subquery()
    branch = select(col(OrgUnit.id)).where(
        (col(OrgUnit.id) == unit_id) | ((col(OrgUnit.id) == parent) & (col(OrgUnit.kind) == UnitKind.branch))
    )
    row = session.execute(
        select(HistoryDigest)
        .where(col(HistoryDigest.branch_id).in_(branch))
        .order_by(col(HistoryDigest.day).desc())
        .limit(1)
    ).scalar_one_or_none()
    line = digest_of(row)
    _LINES[unit_id] = (now, line)
    return line


def forget_lines() -> None:
    """Drop the remembered lines (a new digest written here, tests)."""
    _LINES.clear()


def digest_of(digest_row: HistoryDigest | None) -> str | None:
    """The small print: "记录校验码 3f9a 1c2e 77b0 d41e，2026-12-01"."""
    if digest_row is None:
        return None
    return f"记录校验码 {chain.short(digest_row.digest)}，{digest_row.day.isoformat()}"


__all__ = [
    "PLEDGE",
    "ChainHead",
    "append",
    "branch_heads",
    "digest_heads",
    "digest_line",
    "digest_of",
    "forget_lines",
    "heads",
    "latest_digest",
    "link_rows",
    "other_heads",
    "summary",
    "write_digests",
]
