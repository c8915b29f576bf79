"""Who sees a rating period and whose branch a member is: the scope rules every ratings module uses.

A period belongs to a unit (usually the committee) and covers its subtree. It is visible to anyone
with a grant on that unit, above it, or inside it (a member of one of its branches sees the period
they take part in); outside that it is a 404, as everywhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, literal, or_, select
from sqlmodel import Session, col

from app.core.errors import NotFound
from app.core.permissions import Actor, Permission, allowed, scope
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.ratings.models import RatingPeriod

PERIOD_NOT_FOUND = "未找到该测评周期，或不在您的管理范围内"


def _paths(actor: Actor) -> list[str]:
    """The subtree roots the actor sees (every role carries unit.read; the whole tree for SYSTEM)."""
    return scope(actor, Permission.unit_read, empty_ok=True)


def sees_period_unit(actor: Actor, unit: OrgUnit) -> bool:
    """A grant on the period's unit or above it, or on a unit inside its subtree."""
    return any(unit.path.startswith(p) or p.startswith(unit.path) for p in _paths(actor))


def visible_periods_sql(actor: Actor) -> ColumnElement[bool]:
    """SQL: the period's unit (OrgUnit joined) is visible to the actor as `sees_period_unit` says."""
    paths = _paths(actor)
    if not paths:
        return col(OrgUnit.id).is_(None)
    clauses: list[Any] = []
    for p in paths:
        clauses.append(col(OrgUnit.path).startswith(p, autoescape=True))
        clauses.append(literal(p).startswith(col(OrgUnit.path)))
    return or_(*clauses)


def visible_period(
    session: Session, actor: Actor, period_id: int, *, for_update: bool = False
) -> tuple[RatingPeriod, OrgUnit]:
    """The period and its unit, or 404 when it is missing or outside everything the actor sees."""
    stmt: Any = select(RatingPeriod).where(col(RatingPeriod.id) == period_id)
    if for_update:
        stmt = stmt.with_for_update()
    period = session.execute(stmt).scalar_one_or_none()
    if period is None:
        raise NotFound(PERIOD_NOT_FOUND)
    unit = org_service.get_unit(session, period.unit_id)
    if not sees_period_unit(actor, unit):
        raise NotFound(PERIOD_NOT_FOUND)
    return period, unit


def branches_sql(period_unit: OrgUnit) -> Any:
    """The (not archived) branches a period covers: its unit's subtree (or the unit, if a branch)."""
    return select(OrgUnit).where(
        org_service.path_filter([period_unit.path]),
        col(OrgUnit.kind) == UnitKind.branch,
        col(OrgUnit.archived_at).is_(None),
    )


def branches(session: Session, period_unit: OrgUnit) -> list[OrgUnit]:
    return list(session.execute(branches_sql(period_unit).order_by(col(OrgUnit.path))).scalars())


def branch_in_period(session: Session, actor: Actor, period_unit: OrgUnit, branch_id: int) -> OrgUnit:
    """A branch the period covers and the actor sees (404 otherwise)."""
    branch = org_service.find_unit(session, branch_id)
    if (
        branch is None
        or branch.kind != UnitKind.branch
        or not branch.path.startswith(period_unit.path)
        or not allowed(actor, Permission.unit_read, branch)
    ):
        raise NotFound("未找到该党支部，或不在您的管理范围内")
    return branch


def active_members(session: Session, branch_id: int) -> list[Member]:
    """The active members of a branch, by name: who reviews and is reviewed, scored and rated."""
    stmt = (
        select(Member)
        .where(col(Member.branch_id) == branch_id, col(Member.status) == MemberStatus.active)
        .order_by(col(Member.name), col(Member.id))
    )
    return list(session.execute(stmt).scalars())


def active_member_of(session: Session, actor: Actor) -> Member | None:
    """The active member the actor's account belongs to (None for SYSTEM and for non-members)."""
    if actor.system:
        return None
    if actor.member_id is not None:  # members.dependencies.ActorDep found it already
        member = session.get(Member, actor.member_id)
    else:
        member = session.execute(select(Member).where(col(Member.account_id) == actor.account_id)).scalar_one_or_none()
    return member if member is not None and member.status == MemberStatus.active else None
