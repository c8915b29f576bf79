"""述职评议 rounds: create and edit (the committee), the lifecycle moves through debrief_states.py on
the house's engine (each one chained event), the history, and who sees a round.

A round belongs to a committee (or a general branch) and covers the branches under it. It is visible
to anyone with a grant on its unit, above it or inside it (a secretary finds their report through it);
outside that it is a 404. Only the committee (`rating.admin` on the round's unit) changes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.appraisal import debrief_states as states
from app.appraisal.debrief_states import Action, Who
from app.appraisal.models_debrief import (
    DEBRIEF_KIND_LABELS,
    DebriefKind,
    DebriefReport,
    DebriefRound,
    DebriefRoundEvent,
    DebriefStatus,
)
from app.appraisal.schemas_debrief import (
    DEFAULT_RUBRIC,
    RoundCreate,
    RoundRead,
    RoundUpdate,
    RubricItem,
)
from app.auth import service as auth_service
from app.core import chain, lifecycle
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed, require
from app.core.time import utcnow
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.ratings import scope as ratings_scope

ROUND_NOT_FOUND = "未找到该述职评议，或不在您的管理范围内"
ROUND_UNIT_KINDS = frozenset({UnitKind.committee, UnitKind.general_branch})
CHAIN = chain.Spec.lifecycle("debrief", "round_id")


def default_title(kind: DebriefKind, year: int) -> str:
    return f"{year}年{'上半年' if kind == DebriefKind.half else '度'}党支部书记述职评议"


def check_rubric(items: Sequence[RubricItem]) -> list[dict[str, Any]]:
    """422 unless the keys are distinct and the maxima add up to 100; the rubric as stored."""
    keys = [i.key for i in items]
    total = sum(i.max for i in items)
    if len(set(keys)) != len(keys):
        raise Unprocessable("评分项不能重复", code="debrief_rubric", errors=[{"field": "rubric", "message": "重复"}])
    if total != 100:
        raise Unprocessable(
            f"各评分项满分之和须为 100（现为 {total}）",
            code="debrief_rubric",
            errors=[{"field": "rubric", "message": f"满分之和为 {total}"}],
        )
    return [i.model_dump() for i in items]


def rubric_of(rnd: DebriefRound) -> list[RubricItem]:
    return [RubricItem.model_validate(i) for i in rnd.rubric]


# ---------------------------------------------------------------- who sees what


def visible_round(
    session: Session, actor: Actor, round_id: int, *, for_update: bool = False
) -> tuple[DebriefRound, OrgUnit]:
    """The round and its unit, or 404 when missing or outside everything the actor sees."""
    stmt: Any = select(DebriefRound).where(col(DebriefRound.id) == round_id)
    if for_update:
        stmt = stmt.with_for_update()
    rnd = session.execute(stmt).scalar_one_or_none()
    if rnd is None:
        raise NotFound(ROUND_NOT_FOUND, code="debrief_round_not_found")
    unit = org_service.get_unit(session, rnd.unit_id)
    if not ratings_scope.sees_period_unit(actor, unit):
        raise NotFound(ROUND_NOT_FOUND, code="debrief_round_not_found")
    return rnd, unit


def is_admin(actor: Actor, unit: OrgUnit) -> bool:
    return allowed(actor, Permission.rating_admin, unit)


def authorize(actor: Actor, unit: OrgUnit, who: Who) -> None:
    """403 when the actor sees the round but may not run it (only the committee does)."""
    if not is_admin(actor, unit):
        raise Forbidden("只有党委可以管理述职评议", code="forbidden.debrief.admin")


def allowed_actions(actor: Actor, rnd: DebriefRound, unit: OrgUnit) -> list[str]:
    """The table's rows the actor may take now (each the last part of its route), then `edit`."""
    if not is_admin(actor, unit):
        return []
    out = [r.action.value for r in states.TABLE.from_state(DebriefStatus(rnd.status))]
    if rnd.status in states.SESSION_EDITABLE:
        out.append("edit")
    return out


def to_read(actor: Actor, rnd: DebriefRound, unit: OrgUnit) -> RoundRead:
    return RoundRead(
        id=rnd.id or 0,
        unit_id=unit.id or 0,
        unit_name=unit.name,
        kind=rnd.kind,
        kind_label=DEBRIEF_KIND_LABELS[DebriefKind(rnd.kind)],
        year=rnd.year,
        title=rnd.title,
        report_due=rnd.report_due,
        session_at=rnd.session_at,
        session_place=rnd.session_place,
        rubric=rubric_of(rnd),
        representative_weight=rnd.representative_weight,
        status=rnd.status,
        status_label=states.STATUS_LABELS[DebriefStatus(rnd.status)],
        version=rnd.version,
        allowed_actions=allowed_actions(actor, rnd, unit),
        created_at=rnd.created_at,
    )


def etag(rnd: DebriefRound) -> str:
    return f'"{rnd.version}"'


def list_rounds(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None, year: int | None = None
) -> Page[RoundRead]:
    """The rounds the actor takes part in or runs, newest first."""
    stmt: Any = (
        select(DebriefRound)
        .join(OrgUnit, col(OrgUnit.id) == col(DebriefRound.unit_id))
        .where(ratings_scope.visible_periods_sql(actor))
    )
    if unit_id is not None:
        stmt = stmt.where(col(DebriefRound.unit_id) == unit_id)
    if year is not None:
        stmt = stmt.where(col(DebriefRound.year) == year)
    stmt = stmt.order_by(col(DebriefRound.report_due).desc(), col(DebriefRound.id).desc())

    def transform(rows: Any) -> list[RoundRead]:
        units = org_service.units_by_id(session, [r.unit_id for r in rows])
        return [to_read(actor, r, units[r.unit_id]) for r in rows]

    return paginate(session, stmt, params, transform)


def list_events(session: Session, *, rnd: DebriefRound, params: PageParams) -> Page[lifecycle.EventRead]:
    return lifecycle.list_events(
        session, DebriefRoundEvent, "round_id", rnd.id or 0, labels=states.ACTION_LABELS, params=params
    )


# ---------------------------------------------------------------- events


def actor_name(session: Session, actor: Actor) -> str:
    if actor.system:
        return actor.name or "系统"
    return auth_service.get_account(session, actor.account_id).display_name


def append_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write round events, chained per round (one head query, one multi-row INSERT)."""
    chain.append(session, DebriefRoundEvent, CHAIN, rows)


def event(
    session: Session,
    rnd: DebriefRound,
    *,
    actor: Actor,
    action: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """One event outside the lifecycle (create, edit, a report published), after the round's head."""
    session.flush()
    append_events(
        session,
        [
            {
                "round_id": rnd.id or 0,
                "action": action,
                "from_status": None if action == "create" else str(rnd.status),
                "to_status": str(rnd.status),
                "actor_account_id": None if actor.system else actor.account_id,
                "actor_name": actor_name(session, actor)[:40],
                "reason": reason,
                "data": data,
                "at": utcnow(),
            }
        ],
    )


# ---------------------------------------------------------------- writing


def create_round(session: Session, *, actor: Actor, data: RoundCreate) -> tuple[DebriefRound, OrgUnit]:
    """A draft round of a committee (or general branch); one per unit, year and kind."""
    unit = org_service.visible_unit(session, actor, data.unit_id)
    require(actor, Permission.rating_admin, unit)
    if unit.kind not in ROUND_UNIT_KINDS or unit.archived_at is not None:
        raise Unprocessable("述职评议只能由党委或党总支组织", code="debrief_round_unit")
    rubric = check_rubric(data.rubric or DEFAULT_RUBRIC)
    same = select(func.count()).where(
        col(DebriefRound.unit_id) == unit.id, col(DebriefRound.year) == data.year, col(DebriefRound.kind) == data.kind
    )
    if session.execute(same).scalar_one():
        raise Conflict(f"{unit.name}已有{default_title(data.kind, data.year)}", code="debrief_round_exists")
    rnd = DebriefRound(
        unit_id=unit.id or 0,
        kind=data.kind,
        year=data.year,
        title=data.title or default_title(data.kind, data.year),
        report_due=data.report_due,
        rubric=rubric,
        representative_weight=data.representative_weight,
        created_by_account_id=None if actor.system else actor.account_id,
    )
    session.add(rnd)
    event(session, rnd, actor=actor, action="create")
    session.flush()
    return rnd, unit


def update_round(
    session: Session, *, actor: Actor, rnd: DebriefRound, unit: OrgUnit, data: RoundUpdate, expected_version: int
) -> DebriefRound:
    """A draft's title and rubric; the deadline, the session and the representatives' weight until
    scoring starts."""
    authorize(actor, unit, Who.admin)
    lifecycle.check_version(rnd, expected_version)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if {"title", "rubric"} & set(changes) and rnd.status not in states.EDITABLE:
        raise Conflict("述职评议开始后不能修改标题和评分项", code="debrief_round_wrong_state")
    if rnd.status not in states.SESSION_EDITABLE:
        raise Conflict(
            f"该述职评议当前为“{states.STATUS_LABELS[DebriefStatus(rnd.status)]}”，不能修改",
            code="debrief_round_wrong_state",
        )
    if data.rubric is not None:
        changes["rubric"] = check_rubric(data.rubric)
    for key, value in changes.items():
        setattr(rnd, key, value)
    rnd.version += 1
    session.add(rnd)
    shown = {k: v if isinstance(v, list) else str(v) for k, v in changes.items()}
    event(session, rnd, actor=actor, action="edit", data={"changes": shown})
    session.flush()
    return rnd


@dataclass(frozen=True)
class Located:
    """A round with its unit: what the lifecycle moves (the unit decides who may)."""

    rnd: DebriefRound
    unit: OrgUnit


def _authorize(actor: Actor, subject: Located, who: StrEnum) -> None:
    authorize(actor, subject.unit, Who(who))


def _branches(session: Session, unit: OrgUnit) -> list[int]:
    return [b.id or 0 for b in ratings_scope.branches(session, unit)]


def _validate(step: lifecycle.Step[Located, DebriefStatus, Action]) -> None:
    rnd = step.subject.rnd
    if step.row.action == Action.schedule and (rnd.session_at is None or not rnd.session_place):
        raise Unprocessable(
            "请先填写述职会的时间和地点",
            code="debrief_session_missing",
            errors=[{"field": "session_at", "message": "必填"}, {"field": "session_place", "message": "必填"}],
        )


def _enter(session: Session, step: lifecycle.Step[Located, DebriefStatus, Action]) -> None:
    rnd, unit = step.subject.rnd, step.subject.unit
    if step.row.action == Action.open:
        have = set(
            session.execute(select(col(DebriefReport.branch_id)).where(col(DebriefReport.round_id) == rnd.id)).scalars()
        )
        added = [b for b in _branches(session, unit) if b not in have]
        session.add_all(DebriefReport(round_id=rnd.id or 0, branch_id=b) for b in added)
        step.data = {"branches": len(added)}


def _write_events(session: Session, steps: Sequence[lifecycle.Step[Located, DebriefStatus, Action]]) -> None:
    append_events(
        session,
        [
            {
                "round_id": s.subject.rnd.id or 0,
                "action": s.row.action.value,
                "from_status": s.row.source.value,
                "to_status": s.row.target.value,
                "actor_account_id": None if s.actor.system else s.actor.account_id,
                "actor_name": actor_name(session, s.actor)[:40],
                "reason": s.reason,
                "data": s.data,
                "at": s.at,
            }
            for s in steps
        ],
    )


ROUNDS: lifecycle.Lifecycle[Located, DebriefStatus, Action] = lifecycle.Lifecycle(
    name="debrief_round",
    noun="述职评议",
    table=states.TABLE,
    status_labels=states.STATUS_LABELS,
    action_labels=states.ACTION_LABELS,
    record=lambda subject: subject.rnd,
    authorize=_authorize,
    write_events=_write_events,
    enter=_enter,
    validate=_validate,
)


def transition(
    session: Session,
    rnd: DebriefRound,
    unit: OrgUnit,
    action: Action,
    *,
    actor: Actor,
    expected_version: int | None,
    reason: str | None = None,
) -> None:
    """One row of the table on the house's engine: who (403), If-Match (428/412), the row (409), what
    it needs (422); then the status, the version, the step's effects and one event."""
    lifecycle.apply(
        session,
        ROUNDS,
        actor=actor,
        subject=Located(rnd, unit),
        action=action,
        expected_version=expected_version,
        reason=(reason or "").strip() or None,
    )


def is_late(rnd: DebriefRound, today: date) -> bool:
    return today > rnd.report_due
