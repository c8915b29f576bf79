"""Reading the org tree: units, subtrees and the scopes every other domain's lists start from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from app.core.errors import NotFound
from app.core.permissions import Actor, Permission, allowed, require, scope
from app.core.validation import MAX_ID
from app.org import editing
from app.org.models import OrgUnit, UnitKind
from app.org.schemas import OrgTreeNode, OrgUnitRead


def get_unit(session: Session, unit_id: int) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound("未找到该组织")
    return unit


def find_unit(session: Session, unit_id: int) -> OrgUnit | None:
    return session.get(OrgUnit, unit_id)


def find_branches(session: Session, name_or_id: str) -> list[OrgUnit]:
    """Branches named so, or the branch with that id (for the CLI, where a person types either)."""
    stmt = select(OrgUnit).where(col(OrgUnit.kind) == UnitKind.branch)
    if name_or_id.isdigit():
        if int(name_or_id) > MAX_ID:
            return []
        stmt = stmt.where(col(OrgUnit.id) == int(name_or_id))
    else:
        stmt = stmt.where(col(OrgUnit.name) == name_or_id.strip())
    return list(session.execute(stmt.order_by(col(OrgUnit.id))).scalars())


def read_unit(actor: Actor, unit: OrgUnit) -> OrgUnitRead:
    require(actor, Permission.unit_read, unit)
    return OrgUnitRead.of(unit)


def visible_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """The unit, or 404 when it is missing or outside everything the actor can see."""
    unit = session.get(OrgUnit, unit_id)
    if unit is None or not allowed(actor, Permission.unit_read, unit):
        raise NotFound("未找到该组织，或不在您的管理范围内")
    return unit


def units_by_id(session: Session, ids: Iterable[int]) -> dict[int, OrgUnit]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(OrgUnit).where(col(OrgUnit.id).in_(wanted))).scalars()
    return {u.id: u for u in rows if u.id is not None}


def path_filter(paths: Sequence[str]) -> ColumnElement[bool]:
    """SQL condition: the unit lies in one of these subtrees."""
    if not paths:
        return col(OrgUnit.id).is_(None)
    return or_(*(col(OrgUnit.path).startswith(p, autoescape=True) for p in paths))


def subtree_ids(paths: Sequence[str], *, kind: UnitKind | None = None) -> Select[Any]:
    """A sub-select of unit ids in these subtrees, for other domains' `IN (…)` filters."""
    stmt = select(col(OrgUnit.id)).where(path_filter(paths))
    if kind is not None:
        stmt = stmt.where(col(OrgUnit.kind) == kind)
    return stmt


def scope_for(
    session: Session, actor: Actor, permission: Permission, unit_id: int | None = None, *, empty_ok: bool = False
) -> list[str]:
    """The subtree paths a list is drawn from: one unit's subtree (404 if the actor cannot see it, 403
    if they may not do `permission` there), or every subtree where the actor holds `permission` (403
    when there is none, or `[]` with `empty_ok`). The one helper every scoped query starts from."""
    if unit_id is not None:
        unit = visible_unit(session, actor, unit_id)
        require(actor, permission, unit)
        return [unit.path]
    return scope(actor, permission, empty_ok=empty_ok)


def subtree(session: Session, unit: OrgUnit, *, include_archived: bool = False) -> list[OrgUnit]:
    stmt = select(OrgUnit).where(path_filter([unit.path])).order_by(col(OrgUnit.path))
    if not include_archived:
        stmt = stmt.where(col(OrgUnit.archived_at).is_(None))
    return list(session.execute(stmt).scalars())


def ancestor_ids(unit: OrgUnit) -> list[int]:
    return [int(p) for p in unit.path.strip("/").split("/") if p]


def branch_of(session: Session, unit: OrgUnit) -> OrgUnit | None:
    """The branch a unit belongs to (itself if it is one), or None above branch level."""
    if unit.kind == UnitKind.branch:
        return unit
    if unit.kind != UnitKind.group:
        return None
    return session.get(OrgUnit, unit.parent_id) if unit.parent_id else None


def tree(
    session: Session, actor: Actor, *, root_id: int | None = None, include_archived: bool = False
) -> list[OrgTreeNode]:
    """The units the actor can see, nested; the top nodes are the actor's grant roots; each node says
    what the actor may do to it (org.editing)."""
    roots = scope_for(session, actor, Permission.unit_read, root_id, empty_ok=True)
    stmt = (
        select(OrgUnit)
        .where(path_filter(roots))
        .order_by(func.length(col(OrgUnit.path)), col(OrgUnit.sort_order), col(OrgUnit.id))
    )
    if not include_archived:
        stmt = stmt.where(col(OrgUnit.archived_at).is_(None))
    nodes: dict[int, OrgTreeNode] = {}
    top: list[OrgTreeNode] = []
    for unit in session.execute(stmt).scalars():
        node = OrgTreeNode.model_validate(OrgUnitRead.of(unit).model_dump())
        assert unit.id is not None
        nodes[unit.id] = node
        parent = nodes.get(unit.parent_id) if unit.parent_id is not None else None
        (parent.children if parent else top).append(node)
    editing.annotate(actor, nodes.values())
    return top
