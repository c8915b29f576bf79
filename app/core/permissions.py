"""Roles, permissions and the one `require()` that answers every permission question.

A role grant attaches an account to an org unit and covers the unit's whole subtree. Units carry a
materialised path ("/1/4/17/"), so "is this unit inside that grant" is a prefix test.

`require(actor, permission, unit)`:
- the unit is outside everything the actor can see → 404 (never leak that it exists);
- visible, but no grant covering it carries the permission → 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from app.core.errors import Forbidden, NotFound


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
    board_manage = "board.manage"
    evaluation_moderate = "evaluation.moderate"
    rating_manage = "rating.manage"  # a branch's ratings: assess members, flags, approve levels
    rating_review = "rating.review"  # self statement and peer review (党员互评) in one's branch
    rating_admin = "rating.admin"  # policies, periods, branch assessment and approval, publish, 十佳


_READ = {Permission.unit_read, Permission.member_read, Permission.pledge_read}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.member: frozenset(_READ | {Permission.pledge_own, Permission.rating_review}),
    Role.group_leader: frozenset(
        _READ | {Permission.pledge_own, Permission.pledge_collective, Permission.rating_review}
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
            Permission.board_manage,
            Permission.evaluation_moderate,
            Permission.rating_manage,
            Permission.rating_review,
        }
    ),
    Role.committee_admin: frozenset(Permission),
}

# Roles a secretary may hand out inside their own branch.
LOCAL_ROLES = frozenset({Role.member, Role.group_leader, Role.supervisor})


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


@dataclass(frozen=True)
class Actor:
    """Who is asking: the signed-in account and its role grants (with the units' current paths)."""

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
        """The subtree roots this actor sees (or holds `permission` in), without nested duplicates."""
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


# Scheduled jobs (reminders), the CLI and the demo seeder act as SYSTEM: every check passes for it,
# and what it does is recorded as done by "系统" (events keep no account id for it).
SYSTEM = Actor(account_id=0, system=True, name="系统")


def require(actor: Actor, permission: Permission, unit: HasPath | str) -> None:
    if actor.system:
        return
    path = unit if isinstance(unit, str) else unit.path
    if not actor.can_see(path):
        raise NotFound()
    if not actor.has(permission, path):
        raise Forbidden(code=f"forbidden.{permission.value}")


def allowed(actor: Actor, permission: Permission, unit: HasPath | str) -> bool:
    path = unit if isinstance(unit, str) else unit.path
    return actor.has(permission, path)
