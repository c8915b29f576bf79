"""Roles, permissions and the one `require()` that answers every permission question.

A role grant attaches an account to an org unit and covers the unit's whole subtree. Units carry a
materialised path ("/1/4/17/"), so "is this unit inside that grant" is a prefix test.

`require(actor, permission, unit)`:
- the unit is outside everything the actor can see → 404 (never leak that it exists);
- visible, but no grant covering it carries the permission → 403.

Next to it, for the other shapes of the same question (services never call `Actor`'s methods):
- `allowed(actor, permission, unit)`: the same answer as a yes/no, without raising. "May the actor
  see this unit at all" is `allowed(actor, Permission.unit_read, unit)`: every role carries it;
- `scope(actor, permission)`: the subtree roots a list is drawn from, 403 as `require()` when there
  is none (`org_service.scope_for` adds "one unit's subtree" to it);
- `grant_permission(role)`: what handing out (or taking back) a role needs.

`SYSTEM` is the one actor that passes without grants (jobs, the CLI, the demo seeder); each check it
passes is logged at debug level on "liangnuo.permissions".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from app.core.errors import Forbidden, NotFound

log = logging.getLogger("liangnuo.permissions")


class Role(StrEnum):
    member = "member"
    group_leader = "group_leader"
    secretary = "secretary"
    supervisor = "supervisor"
    committee_admin = "committee_admin"


ROLE_LABELS = {
    Role.member: "党员",
    Role.group_leader: "党小组长",
    Role.secretary: "支部书记",
    Role.supervisor: "监督小组成员",
    Role.committee_admin: "党委管理员",
}


class Permission(StrEnum):
    unit_read = "unit.read"
    unit_manage = "unit.manage"
    member_read = "member.read"
    member_read_private = "member.read_private"
    member_manage = "member.manage"
    grant_read = "grant.read"
    grant_local = "grant.local"  # member / group_leader / supervisor inside a branch
    grant_any = "grant.any"
    pledge_read = "pledge.read"
    pledge_own = "pledge.own"  # draft and report on one's own pledges
    pledge_collective = "pledge.collective"  # draft the unit's collective pledges
    pledge_review = "pledge.review"  # approve, return, publish, close, cancel, reopen
    pledge_note = "pledge.note"  # supervision notes
    pledge_private = "pledge.private"  # see a pairing's helped household
    group_status = "group.status"  # who in a group has pledged this year and reported this month
    board_manage = "board.manage"
    evaluation_moderate = "evaluation.moderate"
    rating_manage = "rating.manage"  # a branch's ratings: assess members, flags, approve levels
    rating_review = "rating.review"  # self statement and peer review (党员互评) in one's branch
    rating_admin = "rating.admin"  # policies, periods, branch assessment and approval, publish, 十佳


_READ = {Permission.unit_read, Permission.member_read, Permission.pledge_read}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.member: frozenset(_READ | {Permission.pledge_own, Permission.rating_review}),
    Role.group_leader: frozenset(
        _READ | {Permission.pledge_own, Permission.pledge_collective, Permission.rating_review, Permission.group_status}
    ),
    Role.supervisor: frozenset(_READ | {Permission.pledge_note, Permission.grant_read}),
    Role.secretary: frozenset(
        _READ
        | {
            Permission.member_read_private,
            Permission.member_manage,
            Permission.grant_read,
            Permission.grant_local,
            Permission.pledge_own,
            Permission.pledge_collective,
            Permission.pledge_review,
            Permission.pledge_private,
            Permission.group_status,
            Permission.board_manage,
            Permission.evaluation_moderate,
            Permission.rating_manage,
            Permission.rating_review,
        }
    ),
    Role.committee_admin: frozenset(Permission),
}

# Seeing a unit (require()'s 404 against its 403) is holding unit.read there: every role carries it.
assert all(Permission.unit_read in p for p in ROLE_PERMISSIONS.values()), "every role must see its units"

# Roles a secretary may hand out inside their own branch.
LOCAL_ROLES = frozenset({Role.member, Role.group_leader, Role.supervisor})


def grant_permission(role: Role) -> Permission:
    """The permission needed to grant or revoke `role`: grant.local for the roles a secretary hands
    out inside their branch (LOCAL_ROLES), grant.any for the others."""
    return Permission.grant_local if role in LOCAL_ROLES else Permission.grant_any


class HasPath(Protocol):
    @property
    def path(self) -> str: ...


@dataclass(frozen=True)
class Grant:
    role: Role
    unit_id: int
    unit_path: str

    def covers(self, path: str) -> bool:
        return path.startswith(self.unit_path)


# The path every unit's path starts with: a scope of [ROOT_PATH] is the whole tree.
ROOT_PATH = "/"


@dataclass(frozen=True)
class Actor:
    """Who is asking: the signed-in account, its role grants (with the units' current paths) and,
    when the account belongs to an active member, that member's id.

    Services never call the methods below: they ask `require()`, `allowed()` or `scope()`."""

    account_id: int
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    member_id: int | None = None
    # the named actor of jobs, the CLI and the demo seeder (never `None`): see SYSTEM below
    system: bool = False
    name: str | None = None

    def can_see(self, path: str) -> bool:
        if self.system:
            return True
        return any(g.covers(path) for g in self.grants)

    def has(self, permission: Permission, path: str) -> bool:
        if self.system:
            return True
        return any(g.covers(path) and permission in ROLE_PERMISSIONS[g.role] for g in self.grants)

    def scope_paths(self, permission: Permission | None = None) -> list[str]:
        """The subtree roots this actor sees (or holds `permission` in), without nested duplicates;
        for SYSTEM, the whole tree."""
        if self.system:
            return [ROOT_PATH]
        paths = sorted(
            {g.unit_path for g in self.grants if permission is None or permission in ROLE_PERMISSIONS[g.role]}
        )
        roots: list[str] = []
        for p in paths:
            if not any(p.startswith(r) for r in roots):
                roots.append(p)
        return roots

    def roles_at(self, path: str) -> set[Role]:
        return {g.role for g in self.grants if g.covers(path)}

    @property
    def recorded_account_id(self) -> int | None:
        """The account to record as having done something (`…_by_account_id`): None for SYSTEM."""
        return None if self.system else self.account_id


# Scheduled jobs (reminders), the CLI and the demo seeder act as SYSTEM: every check passes for it,
# and what it does is recorded as done by "系统" (events keep no account id for it).
SYSTEM = Actor(account_id=0, system=True, name="系统")


def _path(unit: HasPath | str) -> str:
    return unit if isinstance(unit, str) else unit.path


def _system_passes(permission: Permission, where: str) -> None:
    log.debug("SYSTEM passes %s on %s", permission.value, where)


def _forbidden(permission: Permission) -> Forbidden:
    return Forbidden(code=f"forbidden.{permission.value}")


def require(actor: Actor, permission: Permission, unit: HasPath | str) -> None:
    """404 when the unit is outside everything the actor sees, 403 when visible but not allowed."""
    path = _path(unit)
    if actor.system:
        _system_passes(permission, path)
        return
    if not actor.can_see(path):
        raise NotFound()
    if not actor.has(permission, path):
        raise _forbidden(permission)


def allowed(actor: Actor, permission: Permission, unit: HasPath | str) -> bool:
    """`require()` as a yes/no: does a grant covering the unit carry the permission?"""
    path = _path(unit)
    if actor.system:
        _system_passes(permission, path)
        return True
    return actor.has(permission, path)


def scope(actor: Actor, permission: Permission, *, empty_ok: bool = False) -> list[str]:
    """The subtree roots where the actor holds `permission` (the whole tree for SYSTEM): what a list
    is drawn from. None at all → 403 as `require()` gives, or `[]` with `empty_ok`."""
    if actor.system:
        _system_passes(permission, "every unit")
        return [ROOT_PATH]
    paths = actor.scope_paths(permission)
    if not paths and not empty_ok:
        raise _forbidden(permission)
    return paths
