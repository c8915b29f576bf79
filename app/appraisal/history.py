"""The appraisal chains in the daily digests (docs/history.md).

Four lifecycles of this domain write hash-chained events with the one chain implementation
(app.core.chain, canonical form version 1), each declaring its kind of chain beside its writer:

- `debrief` (debrief.CHAIN): a 述职评议 round's events, one chain per round — in its unit's digest
  (the committee's, or a general branch's);
- `tier` (tiers.CHAIN): a branch tier's decisions and its 整顿 steps, one chain per tier — in the
  branch's digest;
- `self_evaluation` (self_evaluation.CHAIN): a quarterly self-evaluation's submits and returns, one
  chain per self-evaluation — in the branch's digest;
- `ranking` (ranking.CHAIN): a ranking publication's publish and withdraw decisions, one chain per
  publication — in the committee's digest.

They are registered here as app.core.chain Sources (as the rating chains are in app.ratings.history),
so the digest writer below this domain covers their heads without importing it; this module reads
only the tables, and the package registers it on import (app/appraisal/__init__.py). Checking them is
app.appraisal.verification (`liangnuo verify`).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.appraisal.models import SelfEvaluation, SelfEvaluationEvent
from app.appraisal.models_debrief import DebriefRound, DebriefRoundEvent
from app.appraisal.models_tiers import BranchTier, BranchTierEvent, RankingEvent, RankingPublication
from app.core import chain


def _units_of(column: Any) -> Any:
    def units(session: Session) -> list[int]:
        return [int(u) for u in session.execute(select(column).distinct()).scalars()]

    return units


def _branch_level(_session: Session) -> tuple[int, ...]:
    return ()  # in their branch's digest: every branch has one


# (name, event table, chain key, parent table, the parent's unit column, units beyond the branches)
CHAINS: tuple[tuple[str, Any, str, Any, str, Any], ...] = (
    ("debrief", DebriefRoundEvent, "round_id", DebriefRound, "unit_id", _units_of(col(DebriefRound.unit_id))),
    (
        "ranking",
        RankingEvent,
        "publication_id",
        RankingPublication,
        "unit_id",
        _units_of(col(RankingPublication.unit_id)),
    ),
    ("self_evaluation", SelfEvaluationEvent, "self_evaluation_id", SelfEvaluation, "branch_id", _branch_level),
    ("tier", BranchTierEvent, "tier_id", BranchTier, "branch_id", _branch_level),
)


def register() -> None:
    """Let the daily digests cover the appraisal chains (once, on the package's import)."""
    for name, model, key, parent, unit_column, units in CHAINS:
        chain.register(
            chain.Source(
                name=name,
                upto=partial(chain.last_id, model=model),
                units=units,
                heads=partial(chain.unit_heads, model=model, key=key, parent=parent, unit_column=unit_column),
            )
        )


__all__ = ["CHAINS", "register"]
