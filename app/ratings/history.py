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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session

from app.core import chain
from app.ratings.models import RatingDecision, RatingPeriodEvent

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


__all__ = [
    "DECISION_HASHED",
    "PERIOD_HASHED",
    "append_decisions",
    "append_period_events",
    "decision_fields",
    "period_fields",
]
