"""Small factories for tests, and the personas every permission test needs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import Account
from app.core.permissions import SYSTEM, Role
from app.core.security import create_access_token
from app.core.time import utcnow
from app.members import service as members_service
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit, RoleGrant, UnitKind

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
    return org_service.create_unit(db, actor=SYSTEM, kind=kind, name=name, parent_id=parent.id)  # type: ignore[arg-type]


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
        db, actor=SYSTEM, member=member, password_hash=password_hash(), must_change_password=False
    )
    assert member.account_id is not None
    if role is not None and role != Role.member:
        org_service.grant_role(
            db, actor=SYSTEM, account_id=member.account_id, role=role, unit_id=(role_unit or branch).id
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


def _units(db: Session) -> tuple[OrgUnit, ...]:
    """The world's tree: rows inserted one by one (ids in the usual order), paths set in one go."""
    town = OrgUnit(kind=UnitKind.committee, name="测试镇党委")
    branch = OrgUnit(kind=UnitKind.branch, name="大洼社区党支部")
    group = OrgUnit(kind=UnitKind.group, name="司山党小组")
    other_branch = OrgUnit(kind=UnitKind.branch, name="花车村党支部")
    other_group = OrgUnit(kind=UnitKind.group, name="花车党小组")
    office = OrgUnit(kind=UnitKind.branch, name="机关党支部")
    tree: list[tuple[OrgUnit, OrgUnit | None]] = [
        (town, None),
        (branch, town),
        (group, branch),
        (other_branch, town),
        (other_group, other_branch),
        (office, town),
    ]
    for unit, parent in tree:
        unit.parent_id = parent.id if parent else None
        db.add(unit)
        db.flush()
        unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.flush()
    return town, branch, group, other_branch, other_group, office


def build_world(db: Session) -> World:
    """A committee with two branches (each with a group), an office branch, and one account per persona.

    The same rows `create_persona()` would make (member, account, the member grant, the persona's
    role), written in a handful of batched statements: every test builds a world, so it must be cheap.
    """
    town, branch, group, other_branch, other_group, office = _units(db)
    specs: list[tuple[str, str, OrgUnit, OrgUnit | None, Role, OrgUnit]] = [
        ("committee_admin", "管委员", office, None, Role.committee_admin, town),
        ("secretary", "书记", branch, group, Role.secretary, branch),
        ("group_leader", "组长", branch, group, Role.group_leader, group),
        ("member", "党员甲", branch, group, Role.member, branch),
        ("supervisor", "监督员", branch, None, Role.supervisor, branch),
        ("outsider", "外支书", other_branch, other_group, Role.secretary, other_branch),
    ]
    now = utcnow()
    phones = [next_phone() for _ in specs]
    accounts = [
        Account(phone=phone, display_name=name, password_hash=password_hash(), password_changed_at=now)
        for phone, (_label, name, *_rest) in zip(phones, specs, strict=True)
    ]
    db.add_all(accounts)
    db.flush()
    members = [
        Member(
            name=name,
            phone=phone,
            branch_id=member_branch.id,  # type: ignore[arg-type]
            group_id=member_group.id if member_group else None,
            board_consent=True,
            account_id=account.id,
        )
        for phone, account, (_label, name, member_branch, member_group, _role, _unit) in zip(
            phones, accounts, specs, strict=True
        )
    ]
    db.add_all(members)
    grants: list[RoleGrant] = []
    for account, (_label, _name, member_branch, _group, role, role_unit) in zip(accounts, specs, strict=True):
        grants.append(RoleGrant(account_id=account.id, role=Role.member, unit_id=member_branch.id))  # type: ignore[arg-type]
        if role != Role.member:
            grants.append(RoleGrant(account_id=account.id, role=role, unit_id=role_unit.id))  # type: ignore[arg-type]
    db.add_all(grants)
    db.flush()
    personas = {
        label: Persona(
            label=label,
            account_id=account.id,
            member_id=member.id,
            phone=member.phone,
            unit=role_unit,
            headers={"Authorization": f"Bearer {create_access_token(account.id, account.token_version)}"},  # type: ignore[arg-type]
        )
        for account, member, (label, _name, _branch, _group, _role, role_unit) in zip(
            accounts, members, specs, strict=True
        )
    }
    return World(
        town=town,
        branch=branch,
        group=group,
        other_branch=other_branch,
        other_group=other_group,
        anonymous=Persona(label="anonymous"),
        office=office,
        db=db,
        **personas,
    )


def login(client, phone: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/token", data={"username": phone, "password": password})
