"""The 整顿 plan of a 后进 branch: steps with due dates, tracked like pledges through the one lifecycle
engine (tiers_states.STEP_TABLE). The committee adds and drops steps; the branch's secretary (or the
committee) marks a step done with a note of what was done, or undoes it with a reason. Every move is
an event in the tier's chain (`step_id` set), so the tier's history reads as one story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.appraisal import tiers, tiers_states
from app.appraisal.models_tiers import STEP_STATUS_LABELS, RectificationStep, StepStatus, Tier
from app.appraisal.tiers_states import StepAction, Who
from app.core import lifecycle
from app.core.errors import Conflict, NotFound
from app.core.permissions import Actor, Permission, require
from app.core.time import today_local


@dataclass
class LocatedStep:
    step: RectificationStep
    located: tiers.Located

    # the engine's authorize reads these as a tier's
    @property
    def committee(self) -> Any:
        return self.located.committee

    @property
    def branch(self) -> Any:
        return self.located.branch


def _authorize(actor: Actor, subject: LocatedStep, who: Any) -> None:
    if who == Who.admin:
        tiers.require_admin(actor, subject.committee)
    else:
        require(actor, Permission.rating_manage, subject.branch)


def _validate(step: lifecycle.Step[LocatedStep, StepStatus, StepAction]) -> None:
    if step.subject.located.tier.status not in tiers_states.PLANNING:
        raise Conflict("该党支部已摘帽或分类未审定，整顿方案不能再改动", code="tier_plan_closed")


def _enter(_session: Session, step: lifecycle.Step[LocatedStep, StepStatus, StepAction]) -> None:
    row = step.subject.step
    if step.row.action == StepAction.complete:
        row.done_at = step.at
    elif step.row.action == StepAction.undo:
        row.done_at = None
    row.note = (step.reason or "").strip()[:500] or row.note
    step.data = {"title": row.title}


def _write(session: Session, steps: Sequence[lifecycle.Step[LocatedStep, StepStatus, StepAction]]) -> None:
    tiers.write_events(
        session,
        [
            tiers.event_row(
                session,
                tier_id=s.subject.step.tier_id,
                step_id=s.subject.step.id,
                actor=s.actor,
                action=f"step_{s.row.action.value}",
                from_status=s.row.source.value,
                to_status=s.row.target.value,
                reason=s.reason,
                data=s.data,
                at=s.at,
            )
            for s in steps
        ],
    )


STEPS: lifecycle.Lifecycle[LocatedStep, StepStatus, StepAction] = lifecycle.Lifecycle(
    name="rectification_step",
    noun="整顿步骤",
    table=tiers_states.STEP_TABLE,
    status_labels=STEP_STATUS_LABELS,
    action_labels=tiers_states.TIER_ACTION_LABELS,
    record=lambda subject: subject.step,
    authorize=_authorize,
    write_events=_write,
    enter=_enter,
    validate=_validate,
)


def add_step(
    session: Session, *, actor: Actor, located: tiers.Located, title: str, due_on: date, at: datetime | None = None
) -> RectificationStep:
    """A step of the plan (the committee), while the 后进 tier is decided and not yet lifted."""
    tier = located.tier
    tiers.require_admin(actor, located.committee)
    if tier.tier != Tier.backward or tier.status not in tiers_states.PLANNING:
        raise Conflict("只有已审定为后进、尚未摘帽的党支部才有整顿方案", code="tier_not_backward")
    step = RectificationStep(tier_id=tier.id or 0, branch_id=tier.branch_id, title=title.strip(), due_on=due_on)
    if at is not None:  # the demo seeder backdates
        step.created_at = at
    session.add(step)
    session.flush()
    tiers.write_events(
        session,
        [
            tiers.event_row(
                session,
                tier_id=tier.id or 0,
                step_id=step.id,
                actor=actor,
                action="add_step",
                from_status=None,
                to_status=StepStatus.planned.value,
                data={"title": step.title, "due_on": due_on.isoformat()},
                at=at,
            )
        ],
    )
    return step


def locate_step(session: Session, actor: Actor, tier_id: int, step_id: int) -> LocatedStep:
    located = tiers.locate(session, actor, tier_id, lock=True)
    step = session.get(RectificationStep, step_id, with_for_update=True)
    if step is None or step.tier_id != tier_id:
        raise NotFound("未找到该整顿步骤")
    return LocatedStep(step, located)


def transition(
    session: Session,
    *,
    actor: Actor,
    subject: LocatedStep,
    action: StepAction,
    expected_version: int | None,
    reason: str | None,
) -> RectificationStep:
    lifecycle.apply(
        session,
        STEPS,
        actor=actor,
        subject=subject,
        action=action,
        expected_version=expected_version,
        reason=(reason or "").strip() or None,
    )
    return subject.step


def steps_of(session: Session, tier_ids: Sequence[int]) -> dict[int, list[RectificationStep]]:
    """tier id → its steps by due date (one query)."""
    out: dict[int, list[RectificationStep]] = {}
    if not tier_ids:
        return out
    stmt = (
        select(RectificationStep)
        .where(col(RectificationStep.tier_id).in_(list(tier_ids)))
        .order_by(col(RectificationStep.due_on), col(RectificationStep.id))
    )
    for s in session.execute(stmt).scalars():
        out.setdefault(s.tier_id, []).append(s)
    return out


def overdue(step: RectificationStep) -> bool:
    return step.status == StepStatus.planned and step.due_on < today_local()


__all__ = ["STEPS", "LocatedStep", "add_step", "locate_step", "overdue", "steps_of", "transition"]
