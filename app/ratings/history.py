"""The rating chains (docs/history.md): writing them.

Every rating period's events form one hash chain (per period), and every result's decisions form one
(per result): the decided, changed, corrected and so published levels. Both are written with the one
chain implementation of app.core.chain (canonical form version 1), like the pledges' events: each
row's `seq` and `hash` computed after its chain's head (one query for the batch), then one multi-row
INSERT in the same transaction. (period_id, seq) and (result_id, seq) are unique, so a chain cannot
fork.

- `append_period_events(session, rows)`: the one way rating_period_event rows are written.
- `append_decisions(session, rows)`: the one way rating_decision rows are written.
- `period_fields(row)`, `decision_fields(row)`: what of a row is hashed.

The daily digests (app.pledges.history, below this domain) cover these chains too: registered here as
app.core.chain Sources — a period's chain in its unit's digest (the committee's, or a branch's), a
result's chain in its branch's digest.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core import chain
from app.ratings.models import RatingDecision, RatingPeriod, RatingPeriodEvent, RatingResult

PERIOD_HASHED = (
    "period_id",
    "seq",
    "action",
    "from_status",
    "to_status",
    "actor_account_id",
    "actor_name",
    "reason",
    "data",
    "at",
)
DECISION_HASHED = ("result_id", "seq", "kind", "from_stars", "stars", "reason", "by_account_id", "by_name", "at")


def _pick(row: Any, names: Sequence[str]) -> dict[str, Any]:
    if isinstance(row, Mapping):
        return {name: row.get(name) for name in names}
    return {name: getattr(row, name) for name in names}


def period_fields(row: Any) -> dict[str, Any]:
    """The hashed fields of a rating_period_event row (a dict of columns, an object or a result row)."""
    return {"chain": "period", **_pick(row, PERIOD_HASHED)}


def decision_fields(row: Any) -> dict[str, Any]:
    """The hashed fields of a rating_decision row (a dict of columns, an object or a result row)."""
    return {"chain": "result", **_pick(row, DECISION_HASHED)}


def append_period_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write new period events, chained per period: one head query, one multi-row INSERT."""
    chain.append(session, RatingPeriodEvent, "period_id", rows, period_fields)


def append_decisions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write new decisions, chained per result: one head query, one multi-row INSERT."""
    chain.append(session, RatingDecision, "result_id", rows, decision_fields)


# ---------------------------------------------------------------- in the daily digests


def _upto(model: Any) -> Any:
    def upto(session: Session) -> int:
        return int(session.execute(select(func.coalesce(func.max(col(model.id)), 0))).scalar_one())

    return upto


def _heads(model: Any, key: str, parent: Any, unit_column: str) -> Any:
    """unit id -> [(chain id, seq, hash)] of each chain's last row with id <= upto; one query."""

    def heads(session: Session, unit_ids: Collection[int], upto: int) -> dict[int, list[tuple[int, int, str]]]:
        out: dict[int, list[tuple[int, int, str]]] = {}
        if not unit_ids:
            return out
        k = col(getattr(model, key))
        unit = col(getattr(parent, unit_column))
        last = (
            select(func.max(col(model.id)))
            .join(parent, col(parent.id) == k)
            .where(unit.in_(unit_ids), col(model.id) <= upto)
            .group_by(k)
            .scalar_subquery()
        )
        rows = session.execute(
            select(unit, k, col(model.seq), col(model.hash))
            .join(parent, col(parent.id) == k)
            .where(col(model.id).in_(last))
            .order_by(k)
        ).all()
        for unit_id, chain_id, seq, h in rows:
            out.setdefault(int(unit_id), []).append((int(chain_id), int(seq), str(h)))
        return out

    return heads


def _period_units(session: Session) -> list[int]:
    return [int(u) for u in session.execute(select(col(RatingPeriod.unit_id)).distinct()).scalars()]


chain.register(
    chain.Source(
        name="period",
        upto=_upto(RatingPeriodEvent),
        units=_period_units,
        heads=_heads(RatingPeriodEvent, "period_id", RatingPeriod, "unit_id"),
    )
)
chain.register(
    chain.Source(
        name="result",
        upto=_upto(RatingDecision),
        units=lambda _session: (),  # results are in their branch's digest
        heads=_heads(RatingDecision, "result_id", RatingResult, "branch_id"),
    )
)


__all__ = [
    "DECISION_HASHED",
    "PERIOD_HASHED",
    "append_decisions",
    "append_period_events",
    "decision_fields",
    "period_fields",
]
