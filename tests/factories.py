"""Small factories for tests, and the personas every permission test needs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session

from app.auth import service as auth_service
from app.core.permissions import Role
from app.core.security import create_access_token
from app.members import service as members_service
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind

PASSWORD = "Persona-Pass-2026"
_phones = itertools.count(13_800_000_000)


def next_phone() -> str:
    return str(next(_phones))


@lru_cache(maxsize=1)
def password_hash() -> str:
    """The personas' hash of PASSWORD: argon2id at the lowest cost, so the many logins in tests are
    cheap. argon2 reads its cost from the hash, so the app verifies it as any other; accounts made
    through the app (and the dummy hash for unknown phones) keep the real cost."""
    return PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)).hash(PASSWORD)


@dataclass
class Persona:
    label: str
    account_id: int | None = None
    member_id: int | None = None
    phone: str | None = None
    unit: OrgUnit | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def token(self) -> str:
        return self.headers["Authorization"].removeprefix("Bearer ")


@dataclass
class World:
    town: OrgUnit
    branch: OrgUnit
    group: OrgUnit
    other_branch: OrgUnit
    other_group: OrgUnit
    committee_admin: Persona
    secretary: Persona
    group_leader: Persona
    member: Persona
    supervisor: Persona
    outsider: Persona
    anonymous: Persona
    office: OrgUnit | None = None  # the committee admin's own branch
    db: Session | None = None  # the test session, for factories that create what a path needs


def create_unit(db: Session, *, kind: UnitKind, name: str, parent: OrgUnit | None) -> OrgUnit:
    if parent is None:
        return org_service.create_root(db, name=name)
    return org_service.create_unit(db, actor=None, kind=kind, name=name, parent_id=parent.id)  # type: ignore[arg-type]


def create_member(
    db: Session,
    *,
    branch: OrgUnit,
    group: OrgUnit | None = None,
    name: str = "测试党员",
    consent: bool = True,
    phone: str | None = None,
    **extra: object,
) -> Member:
    member = Member(
        name=name,
        phone=phone or next_phone(),
        branch_id=branch.id,
        group_id=group.id if group else None,  # type: ignore[arg-type]
        board_consent=consent,
        **extra,  # type: ignore[arg-type]
    )
    db.add(member)
    db.flush()
    return member


def create_persona(
    db: Session,
    label: str,
    *,
    branch: OrgUnit,
    group: OrgUnit | None = None,
    role: Role | None = None,
    role_unit: OrgUnit | None = None,
    name: str | None = None,
) -> Persona:
    """A member with a login; the member role in `branch` and, if given, `role` on `role_unit`."""
    member = create_member(db, branch=branch, group=group, name=name or label)
    members_service.open_account(
        db, actor=None, member=member, password_hash=password_hash(), must_change_password=False
    )
    assert member.account_id is not None
    if role is not None and role != Role.member:
        org_service.grant_role(
            db, actor=None, account_id=member.account_id, role=role, unit_id=(role_unit or branch).id
        )  # type: ignore[arg-type]
    account = auth_service.get_account(db, member.account_id)
    token = create_access_token(member.account_id, account.token_version)
    return Persona(
        label=label,
        account_id=member.account_id,
        member_id=member.id,
        phone=member.phone,
        unit=role_unit or branch,
        headers={"Authorization": f"Bearer {token}"},
    )


def build_world(db: Session) -> World:
    town = create_unit(db, kind=UnitKind.committee, name="测试镇党委", parent=None)
    branch = create_unit(db, kind=UnitKind.branch, name="大洼社区党支部", parent=town)
    group = create_unit(db, kind=UnitKind.group, name="司山党小组", parent=branch)
    other_branch = create_unit(db, kind=UnitKind.branch, name="花车村党支部", parent=town)
    other_group = create_unit(db, kind=UnitKind.group, name="花车党小组", parent=other_branch)
    office = create_unit(db, kind=UnitKind.branch, name="机关党支部", parent=town)
    world = World(
        town=town,
        branch=branch,
        group=group,
        other_branch=other_branch,
        other_group=other_group,
        committee_admin=create_persona(
            db, "committee_admin", branch=office, role=Role.committee_admin, role_unit=town, name="管委员"
        ),
        secretary=create_persona(db, "secretary", branch=branch, group=group, role=Role.secretary, name="书记"),
        group_leader=create_persona(
            db, "group_leader", branch=branch, group=group, role=Role.group_leader, role_unit=group, name="组长"
        ),
        member=create_persona(db, "member", branch=branch, group=group, role=Role.member, name="党员甲"),
        supervisor=create_persona(db, "supervisor", branch=branch, role=Role.supervisor, name="监督员"),
        outsider=create_persona(
            db, "outsider", branch=other_branch, group=other_group, role=Role.secretary, name="外支书"
        ),
        anonymous=Persona(label="anonymous"),
        office=office,
        db=db,
    )
    db.flush()
    return world


def login(client, phone: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/token", data={"username": phone, "password": password})
