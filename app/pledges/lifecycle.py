"""The pledge lifecycle: states.py's table plugged into the engine (app.core.lifecycle).

`PLEDGES` says how: who (access.authorize), the step's own effects (`_enter`: timestamps, the outcome
kept on closing, a revision proposed, applied or dropped), the event writer (`write_events`: one
INSERT into pledge_event) and the follow-up (news.after_moves: notifications, boards touched).
`act()` applies one action, `publish_batch()` many publications — both through the same engine, so
nothing else changes a pledge's status. The demo seeder and the test factories drive it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.core import lifecycle as engine
from app.core.db import pk
from app.core.errors import Conflict, Unprocessable
from app.core.lifecycle import Lifecycle, Move, Step
from app.core.permissions import Actor, Permission, require
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import access, history, news, states, terms
from app.pledges.access import Located
from app.pledges.models import Pledge, PledgeOutcome, PledgeRevision, PledgeStatus, RevisionStatus
from app.pledges.schemas import BatchPublishResult
from app.pledges.states import Action, Who

EDITABLE_FIELDS = ("title", "content", "category", "post", "post_id", "year", "due_date", "helped_household")
PRIVATE_FIELDS = frozenset({"helped_household"})

PledgeStep = Step[Located, PledgeStatus, Action]

_STAMPS = {
    Action.submit: "submitted_at",
    Action.publish: "published_at",
    Action.close: "closed_at",
    Action.review: "reviewed_at",
}


def actor_name(session: Session, actor: Actor) -> str:
    """The name an event, a report or a note is signed with; SYSTEM's is "系统"."""
    if actor.system:
        return actor.name or "系统"
    return auth_service.get_account(session, actor.account_id).display_name


def actor_account_id(actor: Actor) -> int | None:
    """The account recorded for an actor; none for SYSTEM (events by the system name no account)."""
    return actor.recorded_account_id


def event_row(
    pledge: Pledge,
    *,
    action: str,
    source: PledgeStatus | None,
    target: PledgeStatus,
    actor: Actor,
    actor_name: str,
    at: datetime,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one pledge_event row."""
    return {
        "pledge_id": pk(pledge),
        "action": action,
        "from_status": source.value if source else None,
        "to_status": target.value,
        "actor_account_id": actor_account_id(actor),
        "actor_name": actor_name,
        "reason": reason,
        "data": data,
        "at": at,
    }


def write_events(session: Session, steps: Sequence[PledgeStep]) -> None:
    """The event writer: one multi-row INSERT for all the steps (one name lookup per actor), each
    row hashed into its pledge's chain first (history.append: one head query for the batch)."""
    names: dict[Actor, str] = {}
    rows = []
    for s in steps:
        if s.actor not in names:
            names[s.actor] = actor_name(session, s.actor)
        rows.append(
            event_row(
                s.subject.pledge,
                action=s.row.action.value,
                source=s.row.source,
                target=s.row.target,
                actor=s.actor,
                actor_name=names[s.actor],
                reason=s.reason,
                data=s.data,
                at=s.at,
            )
        )
    history.append(session, rows)


def record_event(session: Session, pledge: Pledge, *, actor: Actor, **values: Any) -> None:
    """An event that is not a transition (create, edit): the same row, chained, written alone."""
    history.append(session, [event_row(pledge, actor=actor, actor_name=actor_name(session, actor), **values)])


def _validate(step: PledgeStep) -> None:
    if step.row.action == Action.revise and not step.inputs.get("changes"):
        raise Unprocessable("申请修改请提交修改后的内容", code="revise_needs_changes")
    if step.row.action == Action.review:
        terms.check_review(step.subject.pledge)


def _enter(session: Session, step: PledgeStep) -> None:
    """The step's own effects (the engine has set the status and bumped the version)."""
    pledge, row, now = step.subject.pledge, step.row, step.at
    pledge.updated_at = pledge.status_changed_at = now
    if row.action in _STAMPS:
        setattr(pledge, _STAMPS[row.action], now)
    if row.action == Action.approve and row.source == PledgeStatus.submitted:
        pledge.approved_at = now
    if row.action == Action.close:
        pledge.outcome = PledgeOutcome(step.outcome) if step.outcome else None
        pledge.outcome_comment = step.reason
        step.data = {"outcome": step.outcome.value} if step.outcome is not None else None
    elif row.action == Action.revise:
        step.data = _propose_revision(session, step)
    elif row.source == PledgeStatus.revising:
        step.data = _decide_revision(session, step, approve=row.action == Action.approve)
    elif step.inputs.get("batch"):
        step.data = {"batch": True}


def _more_actions(actor: Actor, located: Located) -> list[str]:
    status = PledgeStatus(located.pledge.status)
    out = []
    if status in states.EDITABLE and access.may(actor, located, Who.owner):
        out.append("edit")
    if status in states.ACTIVE and access.may(actor, located, Who.owner):
        out.append("progress")
    if status in states.ACTIVE and access.may_note(actor, located):
        out.append("note")
    return out


PLEDGES: Lifecycle[Located, PledgeStatus, Action] = Lifecycle(
    name="pledge",
    noun="承诺",
    table=states.TABLE,
    status_labels=states.STATUS_LABELS,
    action_labels=states.ACTION_LABELS,
    record=lambda located: located.pledge,
    authorize=access.authorize,
    write_events=write_events,
    enter=_enter,
    follow_up=news.after_moves,
    validate=_validate,
    more_actions=_more_actions,
    outcome_prompt="请选择销诺结果（已兑现、部分兑现、未兑现）",
)


def allowed_actions(actor: Actor, located: Located) -> list[str]:
    """What `actor` may do with the pledge now: transitions from the table plus edit, progress, note."""
    actions = PLEDGES.allowed_actions(actor, located)
    if Action.review.value in actions and not terms.offers_review(located.pledge):
        actions.remove(Action.review.value)  # 回头看: a term pledge's, inside its window (terms.review_window)
    return actions


def wrong_state(actor: Actor, located: Located, what: str) -> Conflict:
    """409 for something the pledge's status does not allow now (with the allowed actions)."""
    return PLEDGES.wrong_state(actor, located, what)


def act(
    session: Session,
    *,
    actor: Actor,
    located: Located,
    action: Action,
    expected_version: int | None,
    reason: str | None = None,
    outcome: PledgeOutcome | None = None,
    changes: dict[str, Any] | None = None,
) -> Pledge:
    """Apply one row of the transition table (the engine's checks: who 403, version 412/428, state
    409, reason / outcome 422); then the step's effects, the event, notifications, boards told."""
    inputs = {"changes": changes} if changes else {}
    engine.apply(
        session,
        PLEDGES,
        actor=actor,
        subject=located,
        action=action,
        expected_version=expected_version,
        reason=reason,
        outcome=outcome,
        inputs=inputs,
    )
    return located.pledge


def publish_batch(
    session: Session, *, actor: Actor, unit: OrgUnit, pledge_ids: Sequence[int] | None = None
) -> BatchPublishResult:
    """Publish (亮诺) every approved pledge under `unit` at once (or the given ones): a branch's 公示.
    The actor's own pledge is left out (skipped) unless they may vet it (see access.authorize).

    A loop over the engine with a fixed number of statements, however many pledges: one select, one
    update per pledge through the session's flush, one multi-row insert of events, one of
    notifications, one touch."""
    require(actor, Permission.pledge_review, unit)
    stmt = (
        select(Pledge)
        .where(
            col(Pledge.unit_id).in_(org_service.subtree_ids([unit.path])),
            col(Pledge.status) == PledgeStatus.approved,
        )
        .order_by(col(Pledge.id))
        .with_for_update()
    )
    if pledge_ids is not None:
        stmt = stmt.where(col(Pledge.id).in_(set(pledge_ids)))
    located = [Located(p, unit) for p in session.execute(stmt).scalars()]
    moves = [
        Move(loc, Action.publish, actor, loc.pledge.version, inputs={"batch": True})
        for loc in located
        if access.may(actor, loc, Who.reviewer)
    ]
    published = [pk(s.subject.pledge) for s in engine.apply_many(session, PLEDGES, moves)]
    skipped = sorted(set(pledge_ids or []) - set(published))
    return BatchPublishResult(published=published, skipped=skipped)


# ---------------------------------------------------------------- revisions of a published pledge


def jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _propose_revision(session: Session, step: PledgeStep) -> dict[str, Any]:
    pledge, changes = step.subject.pledge, step.inputs["changes"]
    revision = PledgeRevision(
        pledge_id=pk(pledge),
        changes={k: jsonable(v) for k, v in changes.items()},
        previous={k: jsonable(getattr(pledge, k)) for k in changes},
        created_by_account_id=actor_account_id(step.actor),
        created_at=step.at,
    )
    session.add(revision)
    session.flush()
    return {"revision_id": pk(revision), "fields": sorted(changes)}


def _decide_revision(session: Session, step: PledgeStep, *, approve: bool) -> dict[str, Any] | None:
    """Apply (approve) or drop (return, cancel) the pending revision; the event's data."""
    pledge = step.subject.pledge
    revision = pending_revision(session, pk(pledge))
    if revision is None:
        return None
    revision.decided_by_account_id = actor_account_id(step.actor)
    revision.decided_at = step.at
    session.add(revision)
    if approve:
        revision.status = RevisionStatus.approved
        pledge.revision_count += 1
        pledge.revised_at = step.at
        return {"revision_id": pk(revision), "changes": _apply_revision(pledge, revision)}
    revision.status = RevisionStatus.returned
    revision.reason = step.reason
    return {"revision_id": pk(revision)}


def pending_revision(session: Session, pledge_id: int) -> PledgeRevision | None:
    stmt = (
        select(PledgeRevision)
        .where(col(PledgeRevision.pledge_id) == pledge_id, col(PledgeRevision.status) == RevisionStatus.pending)
        .order_by(col(PledgeRevision.id).desc())
    )
    return session.execute(stmt).scalars().first()


def _apply_revision(pledge: Pledge, revision: PledgeRevision) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for name, value in revision.changes.items():
        if name not in EDITABLE_FIELDS:
            continue
        new = date.fromisoformat(value) if name == "due_date" and value is not None else value
        old = getattr(pledge, name)
        setattr(pledge, name, new)
        diff[name] = {"private": True} if name in PRIVATE_FIELDS else {"from": jsonable(old), "to": value}
    return diff
