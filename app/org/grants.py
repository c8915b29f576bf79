"""Role grants: who holds which role on which unit (the actor of a request), granting and revoking."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select, update
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
    grant_permission,
    require,
)
from app.core.time import utcnow
from app.org import history
from app.org.models import OrgUnit, RoleGrant, UnitKind
from app.org.reading import path_filter, scope_for, subtree_ids, units_by_id, visible_unit
from app.org.schemas import GrantRead


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
