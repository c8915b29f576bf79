"""What the API answers about tiers: a tier with its 五好 marks, its plan's steps and what the actor
may do now (allowed_actions from the engine's tables), and its events. Batch transforms: a page of
tiers costs a fixed number of queries (branch names, steps)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from app.appraisal import tiers, tiers_steps
from app.appraisal.models_tiers import (
    FIVE_GOOD,
    STEP_STATUS_LABELS,
    TIER_LABELS,
    TIER_STATUS_LABELS,
    BranchTier,
    BranchTierEvent,
    RectificationStep,
    StepStatus,
    Tier,
    TierStatus,
)
from app.appraisal.schemas_tiers import FiveGoodRead, StepRead, TierEventRead, TierRead
from app.appraisal.tiers_states import TIER_ACTION_LABELS
from app.core.permissions import Actor
from app.org import service as org_service


def step_read(actor: Actor, located: tiers.Located, step: RectificationStep) -> StepRead:
    subject = tiers_steps.LocatedStep(step, located)
    closed = located.tier.status not in (TierStatus.approved, TierStatus.rectifying)
    return StepRead(
        id=step.id or 0,
        title=step.title,
        due_on=step.due_on,
        status=step.status,
        status_label=STEP_STATUS_LABELS[StepStatus(step.status)],
        note=step.note,
        done_at=step.done_at,
        overdue=tiers_steps.overdue(step),
        version=step.version,
        allowed_actions=[] if closed else tiers_steps.STEPS.allowed_actions(actor, subject),
    )


def reads(session: Session, actor: Actor, rows: Sequence[BranchTier]) -> list[TierRead]:
    units = org_service.units_by_id(session, {t.branch_id for t in rows} | {t.committee_id for t in rows})
    steps = tiers_steps.steps_of(session, [t.id or 0 for t in rows])
    out = []
    for t in rows:
        located = tiers.Located(t, units[t.committee_id], units[t.branch_id])
        actions = tiers.TIERS.allowed_actions(actor, located)
        if t.status == TierStatus.approved and t.tier != Tier.backward:
            actions = [a for a in actions if a != "rectify"]
        if t.status == TierStatus.proposed and tiers.TIERS.permits(actor, located, tiers.Who.admin):
            actions.append("items")
        planning = t.tier == Tier.backward and t.status in (TierStatus.approved, TierStatus.rectifying)
        if planning and tiers.TIERS.permits(actor, located, tiers.Who.admin):
            actions.append("add_step")
        out.append(
            TierRead(
                id=t.id or 0,
                committee_id=t.committee_id,
                branch_id=t.branch_id,
                branch_name=units[t.branch_id].name,
                year=t.year,
                status=t.status,
                status_label=TIER_STATUS_LABELS[TierStatus(t.status)],
                proposed_tier=t.proposed_tier,
                proposed_label=TIER_LABELS[Tier(t.proposed_tier)],
                tier=t.tier,
                tier_label=tiers.tier_label(t),
                stars=t.stars,
                score=t.score,
                debrief_score=t.debrief_score,
                appraisal_score=t.appraisal_score,
                five_good=[FiveGoodRead(key=k, label=v, good=t.items.get(k)) for k, v in FIVE_GOOD.items()],
                explanation=t.explanation,
                reason=t.reason,
                decided_at=t.decided_at,
                lifted_at=t.lifted_at,
                version=t.version,
                allowed_actions=actions,
                steps=[step_read(actor, located, s) for s in steps.get(t.id or 0, [])],
            )
        )
    return out


def event_reads(rows: Sequence[BranchTierEvent]) -> list[TierEventRead]:
    return [
        TierEventRead(
            id=e.id or 0,
            step_id=e.step_id,
            action=e.action,
            action_label=TIER_ACTION_LABELS.get(e.action.removeprefix("step_"), e.action),
            from_status=e.from_status,
            to_status=e.to_status,
            actor_name=e.actor_name,
            reason=e.reason,
            data=e.data,
            at=e.at,
        )
        for e in rows
    ]
