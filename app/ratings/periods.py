"""Rating periods: create and edit (the committee), the lifecycle moves through states.py (each one
event), the event history, and every branch's progress with its late steps.

`transition()` is the only way a period's status changes; R2's compute/approval/publish call it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.core import lifecycle
from app.core.errors import Conflict, Forbidden, PreconditionFailed, PreconditionRequired, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed, require
from app.core.permissions import scope as scope_paths
from app.core.time import utcnow
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.ratings import assessments, history, policy, reviews, scope, states
from app.ratings.models import (
    PeriodKind,
    PeriodStatus,
    RatingBranchStatus,
    RatingPeriod,
    RatingPeriodEvent,
)
from app.ratings.rules import PolicyRules
from app.ratings.schemas import PeriodCreate, PeriodRead, PeriodUpdate
from app.ratings.states import Action, Who

QUARTER_NAMES = "一二三四"
PERIOD_UNIT_KINDS = frozenset({UnitKind.committee, UnitKind.general_branch, UnitKind.branch})


def default_title(kind: PeriodKind, year: int, quarter: int | None) -> str:
    return f"{year}年第{QUARTER_NAMES[(quarter or 1) - 1]}季度" if kind == PeriodKind.quarter else f"{year}年度"


def default_dates(kind: PeriodKind, year: int, quarter: int | None) -> tuple[date, date]:
    if kind == PeriodKind.year:
        return date(year, 1, 1), date(year, 12, 31)
    q = quarter or 1
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def _check_dates(period: RatingPeriod) -> None:
    errors: list[dict[str, str]] = []
    if period.starts_on > period.ends_on:
        errors.append({"field": "ends_on", "message": "结束日期不能早于开始日期"})
    dues = [("review_due", "自评互评截止日"), ("assessment_due", "组织考评截止日"), ("approval_due", "审定截止日")]
    given = [(f, label, getattr(period, f)) for f, label in dues if getattr(period, f) is not None]
    for (_, a_label, a), (f, b_label, b) in pairwise(given):
        if b < a:
            errors.append({"field": f, "message": f"{b_label}不能早于{a_label}"})
    if period.review_due is not None and period.review_due < period.starts_on:
        errors.append({"field": "review_due", "message": "自评互评截止日不能早于周期开始日期"})
    if errors:
        raise Unprocessable("；".join(e["message"] for e in errors), code="rating_period_dates", errors=errors)


def actor_name(session: Session, actor: Actor) -> str:
    """The name an event is signed with; SYSTEM's is "系统"."""
    if actor.system:
        return actor.name or "系统"
    return auth_service.get_account(session, actor.account_id).display_name


def _event(
    session: Session,
    period: RatingPeriod,
    *,
    actor: Actor,
    action: str,
    from_status: str | None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """One event outside the lifecycle (create, edit), chained after the period's head."""
    session.flush()  # the period's id, and its earlier events before the chain's head is read
    row = {
        "period_id": period.id or 0,
        "action": action,
        "from_status": from_status,
        "to_status": str(period.status),
        "actor_account_id": None if actor.system else actor.account_id,
        "actor_name": actor_name(session, actor)[:40],
        "reason": reason,
        "data": data,
        "at": at or utcnow(),
    }
    history.append_period_events(session, [row])


# ---------------------------------------------------------------- reading


def _policy_of(session: Session, period: RatingPeriod, unit: OrgUnit) -> PolicyRules:
    if period.policy_snapshot is not None:
        return PolicyRules.model_validate(period.policy_snapshot)
    return policy.effective(session, unit)[0]


def rules(session: Session, period: RatingPeriod) -> PolicyRules:
    """The rules a period runs under: its frozen snapshot, or (a draft) the unit's effective policy."""
    return _policy_of(session, period, org_service.get_unit(session, period.unit_id))


def may(actor: Actor, unit: OrgUnit, who: Who) -> bool:
    if who == Who.admin:
        return allowed(actor, Permission.rating_admin, unit)
    return allowed(actor, Permission.rating_manage, unit) or any(
        p.startswith(unit.path) for p in scope_paths(actor, Permission.rating_manage, empty_ok=True)
    )


def authorize(actor: Actor, unit: OrgUnit, who: Who) -> None:
    """404 outside the period's scope (the loader checked), 403 when the role may not take the step."""
    if not may(actor, unit, who):
        raise Forbidden(code="forbidden.rating.admin" if who == Who.admin else "forbidden.rating.manage")


def allowed_actions(actor: Actor, period: RatingPeriod, unit: OrgUnit) -> list[str]:
    """What the actor may do now, each the last part of its route (POST /rating-periods/{id}/<action>):
    the table's rows they may take, `recompute` shown as `compute` (one route computes and recomputes),
    then `edit` (PATCH) while deadlines may change."""
    out: list[str] = []
    for r in states.actions_from(period.status):
        name = Action.compute.value if r.action == Action.recompute else r.action.value
        if may(actor, unit, Who(r.who)) and name not in out:
            out.append(name)
    if period.status in states.DEADLINES_EDITABLE and may(actor, unit, Who.admin):
        out.append("edit")
    return out


def to_read(session: Session, actor: Actor, period: RatingPeriod, unit: OrgUnit) -> PeriodRead:
    return PeriodRead(
        id=period.id or 0,
        unit_id=unit.id or 0,
        unit_name=unit.name,
        kind=period.kind,
        year=period.year,
        quarter=period.quarter,
        title=period.title,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        status=period.status,
        status_label=states.STATUS_LABELS[period.status],
        version=period.version,
        review_due=period.review_due,
        assessment_due=period.assessment_due,
        approval_due=period.approval_due,
        policy_unit_id=period.policy_unit_id,
        policy=_policy_of(session, period, unit),
        allowed_actions=allowed_actions(actor, period, unit),
        created_at=period.created_at,
        opened_at=period.opened_at,
        published_at=period.published_at,
    )


def etag(period: RatingPeriod) -> str:
    return f'"{period.version}"'


def list_periods(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    unit_id: int | None = None,
    status: PeriodStatus | None = None,
    year: int | None = None,
) -> Page[PeriodRead]:
    """The periods the actor takes part in or manages, newest first."""
    stmt: Any = (
        select(RatingPeriod)
        .join(OrgUnit, col(OrgUnit.id) == col(RatingPeriod.unit_id))
        .where(scope.visible_periods_sql(actor))
    )
    if unit_id is not None:
        stmt = stmt.where(col(RatingPeriod.unit_id) == unit_id)
    if status is not None:
        stmt = stmt.where(col(RatingPeriod.status) == status)
    if year is not None:
        stmt = stmt.where(col(RatingPeriod.year) == year)
    stmt = stmt.order_by(col(RatingPeriod.ends_on).desc(), col(RatingPeriod.id).desc())

    def transform(rows: Any) -> list[PeriodRead]:
        units = org_service.units_by_id(session, [p.unit_id for p in rows])
        return [to_read(session, actor, p, units[p.unit_id]) for p in rows]

    return paginate(session, stmt, params, transform)


def list_events(session: Session, *, period: RatingPeriod, params: PageParams) -> Page[lifecycle.EventRead]:
    return lifecycle.list_events(
        session, RatingPeriodEvent, "period_id", period.id or 0, labels=states.ACTION_LABELS, params=params
    )


# ---------------------------------------------------------------- writing


def create_period(session: Session, *, actor: Actor, data: PeriodCreate) -> tuple[RatingPeriod, OrgUnit]:
    """A draft period of a unit (the committee only); one per unit, kind, year and quarter."""
    unit = org_service.visible_unit(session, actor, data.unit_id)
    require(actor, Permission.rating_admin, unit)
    if unit.kind not in PERIOD_UNIT_KINDS or unit.archived_at is not None:
        raise Unprocessable("测评周期只能设在党委、党总支或党支部", code="rating_period_unit")
    if (data.kind == PeriodKind.quarter) != (data.quarter is not None):
        raise Unprocessable(
            "季度测评须选择季度，年度测评不选季度",
            code="rating_period_quarter",
            errors=[{"field": "quarter", "message": "季度测评须选择季度，年度测评不选季度"}],
        )
    same = select(func.count()).where(
        col(RatingPeriod.unit_id) == unit.id,
        col(RatingPeriod.kind) == data.kind,
        col(RatingPeriod.year) == data.year,
        (col(RatingPeriod.quarter) == data.quarter) if data.quarter else col(RatingPeriod.quarter).is_(None),
    )
    if session.execute(same).scalar_one():
        raise Conflict(
            f"{unit.name}已有{default_title(data.kind, data.year, data.quarter)}的测评周期",
            code="rating_period_exists",
        )
    starts, ends = default_dates(data.kind, data.year, data.quarter)
    period = RatingPeriod(
        unit_id=unit.id or 0,
        kind=data.kind,
        year=data.year,
        quarter=data.quarter,
        title=data.title or default_title(data.kind, data.year, data.quarter),
        starts_on=data.starts_on or starts,
        ends_on=data.ends_on or ends,
        review_due=data.review_due,
        assessment_due=data.assessment_due,
        approval_due=data.approval_due,
        created_by_account_id=None if actor.system else actor.account_id,
    )
    _check_dates(period)
    session.add(period)
    session.flush()
    _event(session, period, actor=actor, action="create", from_status=None)
    session.flush()
    return period, unit


def check_version(period: RatingPeriod, expected: int | None) -> None:
    if expected is None:
        raise PreconditionRequired()
    if expected != period.version:
        raise PreconditionFailed(extra={"current_version": period.version})


def update_period(
    session: Session, *, actor: Actor, period: RatingPeriod, unit: OrgUnit, data: PeriodUpdate, expected_version: int
) -> RatingPeriod:
    """A draft's title and dates; the deadlines until approval (a late branch gets more time)."""
    require(actor, Permission.rating_admin, unit)
    check_version(period, expected_version)
    changes = data.model_dump(exclude_unset=True)
    fixed = {"title", "starts_on", "ends_on"} & set(changes)
    if fixed and period.status not in states.EDITABLE:
        raise Conflict("测评周期开始后只能修改截止日期", code="rating_period_wrong_state")
    if period.status not in states.DEADLINES_EDITABLE:
        raise Conflict(
            f"该测评周期当前为“{states.STATUS_LABELS[period.status]}”，不能修改", code="rating_period_wrong_state"
        )
    before = {k: getattr(period, k) for k in changes}
    for key, value in changes.items():
        if key == "title" and value is None:
            continue
        setattr(period, key, value)
    _check_dates(period)
    period.version += 1
    period.updated_at = utcnow()
    session.add(period)
    data_out = {"changes": {k: str(v) if v is not None else None for k, v in changes.items()}}
    data_out["before"] = {k: str(v) if v is not None else None for k, v in before.items()}
    _event(session, period, actor=actor, action="edit", from_status=period.status, data=data_out)
    session.flush()
    return period


def _ensure_branch_rows(session: Session, period: RatingPeriod, unit: OrgUnit) -> int:
    have = set(
        session.execute(
            select(col(RatingBranchStatus.branch_id)).where(col(RatingBranchStatus.period_id) == period.id)
        ).scalars()
    )
    added = 0
    for branch in scope.branches(session, unit):
        if branch.id not in have:
            session.add(RatingBranchStatus(period_id=period.id or 0, branch_id=branch.id or 0))
            added += 1
    return added


def _enter(
    session: Session, period: RatingPeriod, unit: OrgUnit, row: states.Row[PeriodStatus, Action], now: datetime
) -> dict[str, Any]:
    """The step's own effects; returns the event's data."""
    data: dict[str, Any] = {}
    if row.action == Action.open:
        rules_now, source = policy.effective(session, unit)
        period.policy_snapshot = rules_now.model_dump(mode="json")
        period.policy_unit_id = source.unit_id if source else None
        period.opened_at = period.opened_at or now
        data["branches"] = _ensure_branch_rows(session, period, unit)
        data["policy_unit_id"] = period.policy_unit_id
    elif row.action == Action.reopen:
        period.policy_snapshot = None  # frozen again, from the policy of the day, at the next opening
        period.policy_unit_id = None
    elif row.action == Action.close_reviews:
        session.flush()
        data["flags"] = reviews.refresh_flags(session, period=period)
        data["auto_filled"] = assessments.fill_auto(session, period=period)
    elif row.action == Action.unapprove:
        published = session.execute(
            select(func.count()).where(
                col(RatingBranchStatus.period_id) == period.id, col(RatingBranchStatus.published_at).is_not(None)
            )
        ).scalar_one()
        if published:
            raise Conflict("已有党支部的星级公布，不能撤销审定；请用更正", code="rating_period_partly_published")
    elif row.action == Action.publish:
        period.published_at = now
    return data


@dataclass(frozen=True)
class Located:
    """A period with its unit: what the lifecycle moves (the unit decides who may)."""

    period: RatingPeriod
    unit: OrgUnit


def _authorize(actor: Actor, subject: Located, who: StrEnum) -> None:
    authorize(actor, subject.unit, Who(who))


def _enter_step(session: Session, step: lifecycle.Step[Located, PeriodStatus, Action]) -> None:
    period, unit = step.subject.period, step.subject.unit
    period.status_changed_at = step.at
    period.updated_at = step.at
    effects = _enter(session, period, unit, step.row, step.at)
    step.data = {**effects, **dict(step.inputs.get("data") or {})} or None


def _write_events(session: Session, steps: Sequence[lifecycle.Step[Located, PeriodStatus, Action]]) -> None:
    """The steps' events, chained per period (app.ratings.history): one head query, one INSERT."""
    names: dict[int, str] = {}
    rows = []
    for step in steps:
        key = step.actor.account_id
        if key not in names:
            names[key] = actor_name(session, step.actor)[:40]
        rows.append(
            {
                "period_id": step.subject.period.id or 0,
                "action": step.row.action.value,
                "from_status": step.row.source.value,
                "to_status": step.row.target.value,
                "actor_account_id": None if step.actor.system else step.actor.account_id,
                "actor_name": names[key],
                "reason": step.reason,
                "data": step.data,
                "at": step.at,
            }
        )
    history.append_period_events(session, rows)


PERIODS: lifecycle.Lifecycle[Located, PeriodStatus, Action] = lifecycle.Lifecycle(
    name="rating_period",
    noun="测评周期",
    table=states.TABLE,
    status_labels=states.STATUS_LABELS,
    action_labels=states.ACTION_LABELS,
    record=lambda subject: subject.period,
    authorize=_authorize,
    write_events=_write_events,
    enter=_enter_step,
)


def transition(
    session: Session,
    period: RatingPeriod,
    action: Action,
    *,
    actor: Actor,
    expected_version: int | None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> lifecycle.Step[Located, PeriodStatus, Action]:
    """Apply one row of the table on the house's engine: who (403), If-Match (428/412), the row
    (409), the reason (422); then the status, the version, the step's effects and one event."""
    subject = Located(period, org_service.get_unit(session, period.unit_id))
    move = lifecycle.Move(
        subject,
        action,
        actor,
        expected_version,
        reason=(reason or "").strip() or None,
        inputs={"data": data} if data else {},
        at=at,
    )
    (step,) = lifecycle.apply_many(session, PERIODS, [move])
    return step
