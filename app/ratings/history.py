"""The rating chains (docs/history.md): writing them.

Every rating period's events form one hash chain (per period), and every result's decisions form one
(per result): the decided, changed, corrected and so published levels. Both are written with the one
chain implementation of app.core.chain (canonical form version 1), like the pledges' events: each
row's `seq` and `hash` computed after its chain's head (one query for the batch), then one multi-row
INSERT in the same transaction. (period_id, seq) and (result_id, seq) are unique, so a chain cannot
fork.

- `PERIOD`, `RESULT`: the two kinds of chain (app.core.chain.Spec: name, key, the fields hashed; a
  period's events are a lifecycle's, like a pledge's).
- `append_period_events(session, rows)`: the one way rating_period_event rows are written.
- `append_decisions(session, rows)`: the one way rating_decision rows are written.

The daily digests (app.pledges.history, below this domain) cover these chains too: registered here as
app.core.chain Sources — a period's chain in its unit's digest (the committee's, or a branch's), a
result's chain in its branch's digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core import chain
from app.ratings.models import RatingDecision, RatingPeriod, RatingPeriodEvent, RatingResult

PERIOD = chain.Spec.lifecycle("period", "period_id")
RESULT = chain.Spec(
    "result",
    "result_id",
    ("result_id", "seq", "kind", "from_stars", "stars", "reason", "by_account_id", "by_name", "at"),
)


def append_period_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write new period events, chained per period: one head query, one multi-row INSERT."""
    chain.append(session, RatingPeriodEvent, PERIOD, rows)


def append_decisions(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write new decisions, chained per result: one head query, one multi-row INSERT."""
    chain.append(session, RatingDecision, RESULT, rows)


# ---------------------------------------------------------------- in the daily digests


def _period_units(session: Session) -> list[int]:
    return [int(u) for u in session.execute(select(col(RatingPeriod.unit_id)).distinct()).scalars()]


chain.register(
    chain.Source(
        name="period",
        upto=partial(chain.last_id, model=RatingPeriodEvent),
        units=_period_units,
        heads=partial(
            chain.unit_heads, model=RatingPeriodEvent, key="period_id", parent=RatingPeriod, unit_column="unit_id"
        ),
    )
)
chain.register(
    chain.Source(
        name="result",
        upto=partial(chain.last_id, model=RatingDecision),
        units=lambda _session: (),  # results are in their branch's digest
        heads=partial(
            chain.unit_heads, model=RatingDecision, key="result_id", parent=RatingResult, unit_column="branch_id"
        ),
    )
)


__all__ = ["PERIOD", "RESULT", "append_decisions", "append_period_events"]
