"""Changing the org tree: creating, renaming, moving and archiving units (each with its history)."""

from __future__ import annotations

from sqlalchemy import String, func, literal, select, update
from sqlmodel import Session, col

from app.core.db import pk
from app.core.errors import Conflict
from app.core.permissions import SYSTEM, Actor, Permission, require
from app.core.time import utcnow
from app.org import history
from app.org.models import ALLOWED_PARENTS, UNIT_KIND_LABELS, OrgUnit, UnitKind
from app.org.reading import get_unit, visible_unit
from app.org.versions import VERSIONED_KINDS, touch, touch_subtree


def _check_parent(kind: UnitKind, parent: OrgUnit | None) -> None:
    parent_kind = UnitKind(parent.kind) if parent is not None else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        where = UNIT_KIND_LABELS[parent_kind] if parent_kind else "最顶层"
        raise Conflict(f"{UNIT_KIND_LABELS[kind]}不能设在{where}之下", code="unit_bad_parent")
    if parent is not None and parent.archived_at is not None:
        raise Conflict("上级组织已撤销", code="unit_parent_archived")


def first_root(session: Session) -> OrgUnit | None:
    stmt = select(OrgUnit).where(col(OrgUnit.parent_id).is_(None)).order_by(col(OrgUnit.id))
    return session.execute(stmt).scalars().first()


def create_root(session: Session, *, name: str) -> OrgUnit:
    """A top-level committee; only the CLI does this (no actor above the root exists)."""
    unit = OrgUnit(kind=UnitKind.committee, name=name)
    session.add(unit)
    session.flush()
    unit.path = f"/{unit.id}/"
    session.flush()
    history.unit_created(session, SYSTEM, unit)
    return unit


def create_unit(
    session: Session, *, actor: Actor, kind: UnitKind, name: str, parent_id: int, sort_order: int = 0
) -> OrgUnit:
    parent = visible_unit(session, actor, parent_id)
    require(actor, Permission.unit_manage, parent)
    _check_parent(kind, parent)
    unit = OrgUnit(kind=kind, name=name, parent_id=parent.id, sort_order=sort_order)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path}{unit.id}/"
    session.flush()
    history.unit_created(session, actor, unit)
    return unit


def update_unit(session: Session, *, actor: Actor, unit: OrgUnit, name: str | None, sort_order: int | None) -> OrgUnit:
    require(actor, Permission.unit_manage, unit)
    before = history.unit_state(unit)
    if name is not None:
        unit.name = name
    if sort_order is not None:
        unit.sort_order = sort_order
    unit.updated_at = utcnow()
    session.add(unit)
    session.flush()
    touch_subtree(session, unit)  # boards below show the unit's (or their branch's) name
    history.unit_changed(session, actor, unit, before, "update")
    return unit


def move_unit(session: Session, *, actor: Actor, unit: OrgUnit, parent_id: int) -> OrgUnit:
    """Move a unit (and its subtree) under another parent; never under itself or a descendant."""
    require(actor, Permission.unit_manage, unit)
    new_parent = visible_unit(session, actor, parent_id)
    require(actor, Permission.unit_manage, new_parent)
    if new_parent.path.startswith(unit.path):
        raise Conflict("不能把组织移到它自己或它的下级组织之下", code="unit_cycle")
    _check_parent(UnitKind(unit.kind), new_parent)
    if unit.kind == UnitKind.group and new_parent.id != unit.parent_id:
        # a member's group must lie in the member's branch: a group cannot take its members elsewhere
        raise Conflict("党小组不能移到其他党支部；请在目标党支部新建党小组，再把党员转过去", code="unit_group_move")
    old_path, old_parent_id, before = unit.path, unit.parent_id, history.unit_state(unit)
    new_path = f"{new_parent.path}{unit.id}/"
    session.flush()
    session.execute(
        update(OrgUnit)
        .where(col(OrgUnit.path).startswith(old_path, autoescape=True))
        .values(path=literal(new_path, String).op("||")(func.substr(col(OrgUnit.path), len(old_path) + 1)))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(OrgUnit)
        .where(col(OrgUnit.id) == unit.id)
        .values(parent_id=new_parent.id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.expire_all()
    moved = get_unit(session, pk(unit))
    touch_subtree(session, moved)
    history.unit_changed(session, actor, moved, before, "move")
    if old_parent_id is not None and old_parent_id != moved.parent_id:
        old_parent = get_unit(session, old_parent_id)
        if old_parent.kind in VERSIONED_KINDS:  # a branch's board shows its groups' content; a committee's not
            touch(session, [old_parent_id])  # the old parent lost a child
    return moved


def archive_unit(session: Session, *, actor: Actor, unit: OrgUnit) -> OrgUnit:
    require(actor, Permission.unit_manage, unit)
    if unit.parent_id is None:
        raise Conflict("不能撤销最顶层的党委", code="unit_root")
    active_children = session.execute(
        select(func.count()).where(col(OrgUnit.parent_id) == unit.id, col(OrgUnit.archived_at).is_(None))
    ).scalar_one()
    if active_children:
        raise Conflict("请先撤销或移走下级组织", code="unit_has_children")
    if unit.archived_at is None:
        unit.archived_at = utcnow()
        history.unit_changed(session, actor, unit, {"archived": False}, "archive")
        session.add(unit)
        session.flush()
        touch_subtree(session, unit)
    return unit
