"""Writing a checked plan, through the domains' own services: members are created, updated and moved
by `members.service` (a changed branch is a move, with its rules: roles in the old branch end),
accounts opened by it (a one-time initial password, changed at first sign-in), roles granted by it;
org units created by `org.service`. Everything flushes into the caller's transaction, which commits
once (the request's session, or the CLI's): all or nothing.

The clear initial passwords leave this module only in the returned slips; the database keeps their
hashes (`core.security.hash_one_time_password`, computed before the first write).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.auth import service as auth_service
from app.core import security
from app.core.permissions import Actor, Permission, Role, grant_permission, require
from app.members import service as members_service
from app.members.models import Member, MemberStatus
from app.members.schemas import MemberCreate, MemberUpdate
from app.org import service as org_service
from app.reports.imports_check import MemberRow, Plan
from app.reports.schemas_imports import RowAction, Slip

_ROLE_LOCAL = (Role.group_leader, Role.supervisor)
_BATCH = 1000  # new members written per batch


@dataclass
class Applied:
    slips: list[Slip]
    member_ids: dict[int, int]  # file row → member id
    unit_ids: dict[int, int]  # file row → unit id


def apply(session: Session, *, actor: Actor, plan: Plan, progress: Any = None) -> Applied:
    """Write a plan without problems (the caller checked `plan.ok`); `progress(n)` after each row."""
    assert plan.ok, "only a plan without problems is written"
    if plan.kind == "units":
        from app.reports.imports_check_units import apply_units

        return Applied(
            slips=[], member_ids={}, unit_ids=apply_units(session, actor=actor, plan=plan, progress=progress)
        )
    return _apply_members(session, actor=actor, plan=plan, progress=progress)


def _apply_members(session: Session, *, actor: Actor, plan: Plan, progress: Any) -> Applied:
    require(actor, Permission.member_manage, plan.unit)
    rows = [r for r in plan.members if r.action != RowAction.unchanged]
    # every password generated and hashed before the first write
    passwords = {r.row: auth_service.generate_initial_password(phone=r.phone) for r in rows if r.open_account}
    hashes = {row: security.hash_one_time_password(p) for row, p in passwords.items()}
    slips: dict[int, Slip] = {}  # by the file's row
    ids: dict[int, int] = {}
    # new members on the roll, with their accounts: in batches (members.service.create_members)
    fresh = [r for r in rows if r.existing is None and r.open_account and r.status == MemberStatus.active]
    for start in range(0, len(fresh), _BATCH):
        batch = fresh[start : start + _BATCH]
        members = members_service.create_members(
            session, actor=actor, data=[_create_data(r) for r in batch], password_hashes=[hashes[r.row] for r in batch]
        )
        for row, member in zip(batch, members, strict=True):
            slips[row.row] = _slip(member, row, passwords[row.row])
            ids[row.row] = int(member.id or 0)
        _settle_fresh_roles(session, actor, batch, members)
        if progress:
            progress(len(batch))
    done = {r.row for r in fresh}
    for row in plan.members:
        if row.row in done:
            continue
        if row.action == RowAction.unchanged:
            if row.existing is not None and row.existing.id is not None:
                ids[row.row] = row.existing.id
            if progress:
                progress(1)
            continue
        member = _create(session, actor, row) if row.existing is None else _update(session, actor, row)
        if row.open_account:
            members_service.open_account(
                session, actor=actor, member=member, password_hash=hashes[row.row], must_change_password=True
            )
            slips[row.row] = _slip(member, row, passwords[row.row])
        _settle_role(session, actor, member, row)
        ids[row.row] = int(member.id or 0)
        if progress:
            progress(1)
    return Applied(slips=[slips[r] for r in sorted(slips)], member_ids=ids, unit_ids={})


def _slip(member: Member, row: MemberRow, password: str) -> Slip:
    return Slip(
        member_id=int(member.id or 0),
        name=member.name,
        unit_name=row.branch.name,
        login=row.phone,
        initial_password=password,
    )


def _create_data(row: MemberRow) -> MemberCreate:
    return MemberCreate(
        name=row.name,
        gender=row.gender,
        phone=row.phone,
        branch_id=int(row.branch.id or 0),
        group_id=row.group.id if row.group else None,
        post=row.post,
        public_title=row.public_title,
        joined_date=row.joined_date,
        board_consent=row.board_consent,
    )


def _create(session: Session, actor: Actor, row: MemberRow) -> Member:
    data = _create_data(row)
    member = members_service.create_member(session, actor=actor, data=data)
    if row.status != MemberStatus.active:
        members_service.update_member(session, actor=actor, member=member, data=MemberUpdate(status=row.status))
    return member


def _update(session: Session, actor: Actor, row: MemberRow) -> Member:
    member = row.existing
    assert member is not None
    group_id = row.group.id if row.group else None
    if member.branch_id != row.branch.id:
        member = members_service.move_member(
            session, actor=actor, member=member, branch_id=int(row.branch.id or 0), group_id=group_id
        )
    wanted: dict[str, Any] = {
        "name": row.name,
        "gender": row.gender,
        "group_id": group_id,
        "post": row.post,
        "public_title": row.public_title,
        "joined_date": row.joined_date,
        "board_consent": row.board_consent,
        "status": row.status,
    }
    changed = {key: value for key, value in wanted.items() if getattr(member, key) != value}
    if changed:
        members_service.update_member(session, actor=actor, member=member, data=MemberUpdate(**changed))
    return member


def _settle_fresh_roles(session: Session, actor: Actor, rows: list[MemberRow], members: list[Member]) -> None:
    """The roles of members created just now with their accounts: nothing to revoke (no grant of
    theirs can exist yet), so a group leader's or a supervisor's grant goes into one batched insert
    (`org.service.grant_new_accounts`) — not a revoke, lookups and an insert per member, which cost a
    round trip each on PostgreSQL. The units were checked with the plan (existing, not archived, the
    group under the row's branch); the actor's right to grant is checked for each row here."""
    grants: list[tuple[int, Role, int]] = []
    for row, member in zip(rows, members, strict=True):
        if not row.settle_role or member.account_id is None:
            continue
        for role in _ROLE_LOCAL:
            require(actor, grant_permission(role), row.branch)
        if row.role == Role.group_leader and row.group is not None:
            grants.append((member.account_id, Role.group_leader, int(row.group.id or 0)))
        elif row.role == Role.supervisor:
            grants.append((member.account_id, Role.supervisor, int(row.branch.id or 0)))
    if grants:
        org_service.grant_new_accounts(session, grants=grants)


def _settle_role(session: Session, actor: Actor, member: Member, row: MemberRow) -> None:
    """The row's role (党员, 党小组长 of its group, 监督小组成员 of its branch) and no other of the two."""
    if not row.settle_role or member.account_id is None or member.status != MemberStatus.active:
        return
    others = [r for r in _ROLE_LOCAL if r != row.role]
    for role in others:
        require(actor, grant_permission(role), row.branch)
    org_service.revoke_roles_in(session, account_id=member.account_id, unit=row.branch, roles=others)
    if row.role == Role.group_leader and row.group is not None:
        members_service.grant_role(
            session, actor=actor, account_id=member.account_id, role=Role.group_leader, unit_id=int(row.group.id or 0)
        )
    elif row.role == Role.supervisor:
        members_service.grant_role(
            session, actor=actor, account_id=member.account_id, role=Role.supervisor, unit_id=int(row.branch.id or 0)
        )
