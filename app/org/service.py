"""The org tree and role grants.

Other domains ask this module for units and subtrees (`subtree_ids()`), never query org_unit
themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, func, literal, or_, select, update
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.core.db import pk
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import (
    LOCAL_ROLES,
    SYSTEM,
    Actor,
    Grant,
    Permission,
    Role,
    allowed,
    grant_permission,
    require,
    scope,
)
from app.core.time import utcnow
from app.core.validation import MAX_ID
from app.org import editing, history
from app.org.models import ALLOWED_PARENTS, UNIT_KIND_LABELS, OrgUnit, RoleGrant, UnitKind
from app.org.schemas import GrantRead, OrgTreeNode, OrgUnitRead

# ---------------------------------------------------------------- reading the tree


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


# Units whose content_version moves with what is below them (a rename bumps every one in the subtree);
# a general branch's or committee's moves only when it is touched itself (_versioned_ancestors).
VERSIONED_KINDS = (UnitKind.group, UnitKind.branch)


def _versioned_ancestors(unit: OrgUnit) -> list[int]:
    """The unit and its ancestors that keep a content_version: a group and its branch; a branch; a
    general branch or committee only itself, when touched directly (its own collective pledges, shown
    on a board on it) — never as an ancestor of a group or branch."""
    if unit.kind == UnitKind.group:
        return [i for i in (unit.id, unit.parent_id) if i is not None]  # a group's parent is a branch
    return [unit.id] if unit.id is not None else []


def touch(session: Session, unit_ids: Iterable[int | None]) -> None:
    """Mark the content shown by these units' public boards as changed.

    Lower domains call this when something a public board shows changes; boards read
    `content_version` to know when a cached page is stale, without anyone importing upward.

    The units themselves are bumped, and a group's branch (whose board shows the branch's groups'
    content). A committee or general branch is bumped only when touched itself (a change to its own
    collective pledges, which a board on it shows), never as an ancestor: every write in the town would
    otherwise update the root committee's row, and on PostgreSQL every writer would queue on that one
    row lock.
    """
    units = units_by_id(session, (u for u in unit_ids if u is not None))
    affected: set[int] = set()
    for unit in units.values():
        affected.update(_versioned_ancestors(unit))
    _bump(session, affected)


def touch_subtree(session: Session, unit: OrgUnit) -> None:
    """Mark everything under a unit as changed, and its ancestors as `touch()` does: after a rename,
    a move or an archive, every board below shows another unit or branch name."""
    ids = session.execute(
        select(col(OrgUnit.id)).where(path_filter([unit.path]), col(OrgUnit.kind).in_(VERSIONED_KINDS))
    ).scalars()
    _bump(session, {*ids, *_versioned_ancestors(unit)})


def _bump(session: Session, unit_ids: set[int]) -> None:
    """content_version + 1 on these units. Rows are locked in id order (one row: the UPDATE alone),
    so two transactions touching overlapping units cannot deadlock on PostgreSQL."""
    if not unit_ids:
        return
    ordered = sorted(unit_ids)
    if len(ordered) > 1:
        session.execute(
            select(col(OrgUnit.id)).where(col(OrgUnit.id).in_(ordered)).order_by(col(OrgUnit.id)).with_for_update()
        )
    session.execute(
        update(OrgUnit)
        .where(col(OrgUnit.id).in_(ordered))
        .values(content_version=OrgUnit.content_version + 1)
        .execution_options(synchronize_session=False)
    )
    for obj in session.identity_map.values():
        if isinstance(obj, OrgUnit) and obj.id in unit_ids:
            session.expire(obj, ["content_version"])


def content_version_of(unit_id: Any) -> Any:
    """A scalar sub-select of a unit's content_version, so a higher domain can check its cache in the
    same single query that loads its own row (e.g. a board by its public token)."""
    return select(col(OrgUnit.content_version)).where(col(OrgUnit.id) == unit_id).scalar_subquery()


def content_version(session: Session, unit_id: int) -> int:
    stmt = select(col(OrgUnit.content_version)).where(col(OrgUnit.id) == unit_id)
    return int(session.execute(stmt).scalar_one())


# ---------------------------------------------------------------- changing the tree


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


# ---------------------------------------------------------------- role grants


def actor_for(session: Session, account_id: int) -> Actor:
    rows = session.execute(
        select(col(RoleGrant.role), col(RoleGrant.unit_id), col(OrgUnit.path))
        .join(OrgUnit, col(OrgUnit.id) == col(RoleGrant.unit_id))
        .where(col(RoleGrant.account_id) == account_id, col(RoleGrant.revoked_at).is_(None))
    ).all()
    return Actor(account_id=account_id, grants=tuple(Grant(Role(r), u, p) for r, u, p in rows))


def grant_read(grant: RoleGrant, unit: OrgUnit | None) -> GrantRead:
    read = GrantRead.model_validate(grant)
    read.unit_name = unit.name if unit else ""
    return read


def list_grants(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None, account_id: int | None = None
) -> Page[GrantRead]:
    paths = scope_for(session, actor, Permission.grant_read, unit_id)
    stmt = (
        select(RoleGrant)
        .join(OrgUnit, col(OrgUnit.id) == col(RoleGrant.unit_id))
        .where(path_filter(paths), col(RoleGrant.revoked_at).is_(None))
        .order_by(col(OrgUnit.path), col(RoleGrant.id))
    )
    if account_id is not None:
        stmt = stmt.where(col(RoleGrant.account_id) == account_id)

    def to_read(rows: Sequence[RoleGrant]) -> list[GrantRead]:
        units = units_by_id(session, (g.unit_id for g in rows))
        return [grant_read(g, units.get(g.unit_id)) for g in rows]

    return paginate(session, stmt, params, to_read)


def grant_role(
    session: Session,
    *,
    actor: Actor,
    account_id: int,
    role: Role,
    unit_id: int,
    eligible: Callable[[OrgUnit], None] | None = None,
) -> RoleGrant:
    """Give an account a role on a unit (not an archived one). Secretaries hand out member, group
    leader and supervisor roles inside their branch; every other grant needs a committee admin
    (`grant_permission`).

    That a local role goes to a member of the branch is checked a layer up (members.service
    .grant_role, behind POST /grants), by `eligible`: org knows accounts, not members. It runs right
    after the permission check, before anything else is looked at."""
    unit = visible_unit(session, actor, unit_id)
    require(actor, grant_permission(role), unit)
    if eligible is not None:
        eligible(unit)
    auth_service.get_account(session, account_id)
    if unit.archived_at is not None:
        raise Conflict("该组织已撤销，不能再授予角色", code="unit_archived")
    if role in LOCAL_ROLES and unit.kind not in (UnitKind.branch, UnitKind.group):
        raise Unprocessable("党员、党小组长和监督小组成员的角色只能授予在党支部或党小组", code="grant_bad_unit")
    if role == Role.secretary and unit.kind != UnitKind.branch:
        raise Unprocessable("支部书记的角色只能授予在党支部", code="grant_bad_unit")
    existing = session.execute(
        select(RoleGrant).where(
            col(RoleGrant.account_id) == account_id,
            col(RoleGrant.role) == role,
            col(RoleGrant.unit_id) == unit.id,
            col(RoleGrant.revoked_at).is_(None),
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    grant = RoleGrant(
        account_id=account_id,
        role=role,
        unit_id=unit.id,  # type: ignore[arg-type]
        granted_by_account_id=actor.recorded_account_id,
    )
    session.add(grant)
    session.flush()
    history.granted(session, actor, [grant])
    return grant


def grant_new_accounts(session: Session, *, grants: Sequence[tuple[int, Role, int]]) -> None:
    """(account, role, unit) grants for accounts created just now in this transaction (a roster
    import's member roles), recorded as granted by the system as `open_account`'s are; one batched
    insert, as no earlier grant of theirs can exist."""
    rows = [RoleGrant(account_id=a, role=r, unit_id=u) for a, r, u in grants]
    session.add_all(rows)
    session.flush()
    history.granted(session, SYSTEM, rows)


def get_grant(session: Session, *, actor: Actor, grant_id: int) -> tuple[RoleGrant, OrgUnit]:
    grant = session.get(RoleGrant, grant_id)
    if grant is None or grant.revoked_at is not None:
        raise NotFound("未找到该授权")
    return grant, visible_unit(session, actor, grant.unit_id)


def revoke_grant(session: Session, *, actor: Actor, grant_id: int) -> RoleGrant:
    grant, unit = get_grant(session, actor=actor, grant_id=grant_id)
    require(actor, grant_permission(Role(grant.role)), unit)
    grant.revoked_at = utcnow()
    session.add(grant)
    session.flush()
    history.revoked(session, actor, [pk(grant)])
    return grant


def revoke_roles_in(
    session: Session, *, account_id: int, unit: OrgUnit, roles: Iterable[Role], actor: Actor = SYSTEM
) -> int:
    """Revoke an account's roles anywhere in a subtree (a member moving to another branch)."""
    result = session.execute(
        update(RoleGrant)
        .where(
            col(RoleGrant.account_id) == account_id,
            col(RoleGrant.role).in_([r.value for r in roles]),
            col(RoleGrant.revoked_at).is_(None),
            col(RoleGrant.unit_id).in_(subtree_ids([unit.path])),
        )
        .values(revoked_at=utcnow())
        .returning(col(RoleGrant.id))
        .execution_options(synchronize_session=False)
    )
    ids = list(result.scalars())
    history.revoked(session, actor, ids)
    return len(ids)


def role_holders(session: Session, unit_ids: Iterable[int], roles: Iterable[Role]) -> dict[int, set[int]]:
    """unit id → the accounts holding one of `roles` directly on that unit (active grants), in one query.

    Pass a unit's `ancestor_ids()` to find everyone whose grant covers it (e.g. a branch's secretaries
    and supervisors for a pledge in one of its groups)."""
    wanted = set(unit_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(col(RoleGrant.unit_id), col(RoleGrant.account_id)).where(
            col(RoleGrant.unit_id).in_(wanted),
            col(RoleGrant.role).in_([r.value for r in roles]),
            col(RoleGrant.revoked_at).is_(None),
        )
    ).all()
    out: dict[int, set[int]] = {}
    for unit_id, account_id in rows:
        out.setdefault(unit_id, set()).add(account_id)
    return out


def grants_of(session: Session, account_id: int) -> list[GrantRead]:
    rows = (
        session.execute(
            select(RoleGrant).where(col(RoleGrant.account_id) == account_id, col(RoleGrant.revoked_at).is_(None))
        )
        .scalars()
        .all()
    )
    units = units_by_id(session, (g.unit_id for g in rows))
    return [grant_read(g, units.get(g.unit_id)) for g in rows]
