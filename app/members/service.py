"""Members: listing within scope, creating, editing, moving between branches, their accounts.

Phone numbers are private: only the member, their branch secretary and committee admins see them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, or_, select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.core import images
from app.core.db import end_read_phase, pk
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import LOCAL_ROLES, SYSTEM, Actor, Permission, Role, allowed, require
from app.core.storage import content_type_of, get_storage
from app.core.time import utcnow
from app.members import history
from app.members.models import Member, MemberStatus
from app.members.public import ANONYMOUS_NAME, is_named, named_sql, public_members, to_public  # noqa: F401 (the surface)
from app.members.schemas import MemberCreate, MemberRead, MemberUpdate
from app.org import service as org_service
from app.org.models import OrgUnit, RoleGrant, UnitKind


def get_member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("未找到该党员")
    return member


def branch_path(session: Session, member: Member) -> str:
    return org_service.get_unit(session, member.branch_id).path


def read_path(session: Session, actor: Actor, member: Member) -> str:
    """The unit through which the actor sees this member: the branch, or else (a group leader
    holding only a group grant) the member's group."""
    path = branch_path(session, member)
    if not allowed(actor, Permission.unit_read, path) and member.group_id is not None:
        return org_service.get_unit(session, member.group_id).path
    return path


def visible_member(session: Session, actor: Actor, member_id: int) -> tuple[Member, OrgUnit]:
    """The member and their branch, or 404 when missing or outside the actor's scope."""
    member = session.get(Member, member_id)
    if member is not None:
        branch = org_service.get_unit(session, member.branch_id)
        if allowed(actor, Permission.unit_read, branch) or member.account_id == actor.account_id:
            return member, branch
        # a grant on the member's group alone (a group leader) shows them too, as the roll does
        if member.group_id is not None and allowed(
            actor, Permission.unit_read, org_service.get_unit(session, member.group_id)
        ):
            return member, branch
    raise NotFound("未找到该党员，或不在您的管理范围内")


def member_for_account(session: Session, account_id: int) -> Member | None:
    return session.execute(select(Member).where(col(Member.account_id) == account_id)).scalar_one_or_none()


def active_member_id(session: Session, account_id: int) -> int | None:
    """The member an account belongs to, while that member is on the roll (active): someone who left
    it (转出, 不在册) acts as nobody's member. One indexed lookup (member.account_id is unique)."""
    return session.execute(
        select(col(Member.id)).where(col(Member.account_id) == account_id, col(Member.status) == MemberStatus.active)
    ).scalar_one_or_none()


def members_by_id(session: Session, ids: Sequence[int]) -> dict[int, Member]:
    if not ids:
        return {}
    rows = session.execute(select(Member).where(col(Member.id).in_(set(ids)))).scalars()
    return {m.id: m for m in rows if m.id is not None}


def member_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """id → name for many members in one narrow query (lists show names, not whole rows)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(col(Member.id), col(Member.name)).where(col(Member.id).in_(wanted))).all()
    return {int(i): str(n) for i, n in rows}


def can_see_phone(actor: Actor, member: Member, branch_path_: str) -> bool:
    return member.account_id == actor.account_id or allowed(actor, Permission.member_read_private, branch_path_)


def to_read(member: Member, *, show_phone: bool) -> MemberRead:
    read = MemberRead.model_validate(member)
    read.phone = member.phone if show_phone else None
    read.has_account = member.account_id is not None
    read.has_photo = member.photo_key is not None
    return read


def read_for(session: Session, actor: Actor, member: Member) -> MemberRead:
    return to_read(member, show_phone=can_see_phone(actor, member, branch_path(session, member)))


def in_subtrees_sql(session: Session, paths: Sequence[str]) -> ColumnElement[bool]:
    """SQL: the member belongs to one of these subtrees — their branch is in it, or, for a group's
    subtree (groups are leaves under branches), they are in that group. Each arm is a plain indexed
    IN on one column (an OR of two sub-selects made PostgreSQL scan every member of the county)."""
    leaves = {p: int(p.strip("/").rsplit("/", 1)[-1] or 0) for p in paths}  # "/" (everything): 0
    groups = set(
        session.execute(
            select(col(OrgUnit.id)).where(col(OrgUnit.id).in_(leaves.values()), col(OrgUnit.kind) == UnitKind.group)
        ).scalars()
    )
    arms: list[ColumnElement[bool]] = []
    above = [p for p, unit_id in leaves.items() if unit_id not in groups]
    if above:
        arms.append(col(Member.branch_id).in_(org_service.subtree_ids(above)))
    if groups:
        arms.append(col(Member.group_id).in_(sorted(groups)))
    return or_(*arms)


def list_members(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    unit_id: int | None = None,
    q: str | None = None,
    status: MemberStatus | None = None,
    board_consent: bool | None = None,
) -> Page[MemberRead]:
    """Members in the actor's scope (or in one unit's subtree), by name, one page at a time."""
    paths = org_service.scope_for(session, actor, Permission.member_read, unit_id)
    stmt: Any = select(Member).where(in_subtrees_sql(session, paths))
    if q:
        stmt = stmt.where(col(Member.name).contains(q.strip(), autoescape=True))
    if status is not None:
        stmt = stmt.where(col(Member.status) == status)
    if board_consent is not None:
        stmt = stmt.where(col(Member.board_consent) == board_consent)
    stmt = stmt.order_by(col(Member.branch_id), col(Member.group_id), col(Member.name), col(Member.id))

    def to_reads(rows: Sequence[Member]) -> list[MemberRead]:
        branches = org_service.units_by_id(session, {m.branch_id for m in rows})
        return [to_read(m, show_phone=can_see_phone(actor, m, branches[m.branch_id].path)) for m in rows]

    return paginate(session, stmt, params, to_reads)


def _check_group(session: Session, branch: OrgUnit, group_id: int | None) -> None:
    if group_id is None:
        return
    group = org_service.find_unit(session, group_id)
    if group is None or group.kind != UnitKind.group or group.parent_id != branch.id:
        raise Unprocessable(
            "党小组必须属于该党员所在的党支部",
            code="member_bad_group",
            errors=[{"field": "group_id", "message": "党小组必须属于该党员所在的党支部"}],
        )


def _branch_for_write(session: Session, actor: Actor, branch_id: int) -> OrgUnit:
    branch = org_service.visible_unit(session, actor, branch_id)
    require(actor, Permission.member_manage, branch)
    if branch.kind != UnitKind.branch:
        raise Unprocessable(
            "党员必须归属到党支部", code="member_bad_branch", errors=[{"field": "branch_id", "message": "请选择党支部"}]
        )
    if branch.archived_at is not None:
        raise Conflict("该党支部已撤销", code="unit_archived")
    return branch


def _phone_taken(session: Session, phone: str | None, exclude_id: int | None = None) -> None:
    if not phone:
        return
    stmt = select(col(Member.id)).where(col(Member.phone) == phone, col(Member.status) != MemberStatus.moved)
    if exclude_id is not None:
        stmt = stmt.where(col(Member.id) != exclude_id)
    if session.execute(stmt).first() is not None:
        raise Conflict(
            "该手机号已登记给另一名党员", code="phone_taken", errors=[{"field": "phone", "message": "该手机号已登记"}]
        )


def create_member(session: Session, *, actor: Actor, data: MemberCreate) -> Member:
    """Register a member; with `initial_password`, open their account too. The password is hashed
    after the permission check and before the first write, outside the transaction (see
    `_initial_password_hash`), so a caller giving one must not have written anything yet."""
    branch = _branch_for_write(session, actor, data.branch_id)
    password_hash = None
    if data.initial_password:
        password_hash = _initial_password_hash(session, phone=data.phone, password=data.initial_password)
    _check_group(session, branch, data.group_id)
    _phone_taken(session, data.phone)
    member = Member(**data.model_dump(exclude={"initial_password"}))
    session.add(member)
    session.flush()
    history.created(session, actor, [member])
    org_service.touch(session, [member.branch_id, member.group_id])
    if password_hash is not None:
        open_account(session, actor=actor, member=member, password_hash=password_hash)
    return member


def create_members(
    session: Session, *, actor: Actor, data: Sequence[MemberCreate], password_hashes: Sequence[str]
) -> list[Member]:
    """Many new members with their accounts at once (a roster import). The rules of `create_member`
    and `open_account` hold for every one (a branch the actor manages, a group of that branch, a
    free phone, a login for it) and are checked for all before anything is written; then one batched
    insert each for the accounts (with their ready password hashes, to be changed at first sign-in),
    the members and their member roles, and one touch of the units concerned."""
    branches = {branch_id: _branch_for_write(session, actor, branch_id) for branch_id in {d.branch_id for d in data}}
    for item in data:
        _check_group(session, branches[item.branch_id], item.group_id)
    phones = [item.phone or "" for item in data]
    if not all(phones):
        raise Unprocessable("请先登记手机号，手机号就是登录账号", code="phone_required")
    for start in range(0, len(phones), 500):
        taken = select(col(Member.id)).where(
            col(Member.phone).in_(phones[start : start + 500]), col(Member.status) != MemberStatus.moved
        )
        if session.execute(taken).first() is not None:
            raise Conflict("该手机号已登记给另一名党员", code="phone_taken")
    accounts = auth_service.create_accounts(
        session,
        actor=actor,
        accounts=[(p, item.name, h) for p, item, h in zip(phones, data, password_hashes, strict=True)],
    )
    members = [
        Member(**item.model_dump(exclude={"initial_password"}), account_id=account.id)
        for item, account in zip(data, accounts, strict=True)
    ]
    session.add_all(members)
    session.flush()
    history.created(session, actor, members)  # one INSERT for the batch
    org_service.grant_new_accounts(
        session,
        grants=[(pk(account), Role.member, item.branch_id) for item, account in zip(data, accounts, strict=True)],
    )
    org_service.touch(session, {i for item in data for i in (item.branch_id, item.group_id)})
    return members


def _initial_password_hash(session: Session, *, phone: str | None, password: str) -> str:
    """Check an initial password against the policy, end the request's read phase and hash it: argon2
    (~0.1 s) must not run under SQLite's database-wide write lock, which every POST takes at its
    first query. The checks that follow run in the new (write) transaction."""
    if not phone:
        raise Unprocessable(
            "请先登记手机号，手机号就是登录账号", code="phone_required", errors=[{"field": "phone", "message": "必填"}]
        )
    auth_service.check_new_password(password, phone=phone, field="initial_password")
    end_read_phase(session)
    return auth_service.new_password_hash(password, phone=phone, field="initial_password")


def open_account(
    session: Session,
    *,
    actor: Actor,
    member: Member,
    initial_password: str | None = None,
    password_hash: str | None = None,
    must_change_password: bool = True,
) -> Member:
    """Give a member a login (their phone + an initial password) and the member role in their branch.

    An `initial_password` is hashed outside the transaction (see `_initial_password_hash`): give one
    only before the request has written anything; otherwise pass a ready `password_hash`."""
    branch = org_service.get_unit(session, member.branch_id)
    require(actor, Permission.member_manage, branch)
    if member.account_id is not None:
        raise Conflict("该党员已开通账号", code="account_exists")
    if not member.phone:
        raise Unprocessable(
            "请先登记手机号，手机号就是登录账号", code="phone_required", errors=[{"field": "phone", "message": "必填"}]
        )
    if password_hash is None and initial_password is not None:
        password_hash = _initial_password_hash(session, phone=member.phone, password=initial_password)
    before = history.state(member)
    account = auth_service.create_account(
        session,
        actor=actor,
        phone=member.phone,
        display_name=member.name,
        password=initial_password,
        password_hash=password_hash,
        must_change_password=must_change_password,
    )
    member.account_id = account.id
    session.add(member)
    # the member role comes with the account, whoever opens it
    org_service.grant_role(session, actor=SYSTEM, account_id=pk(account), role=Role.member, unit_id=pk(branch))
    session.flush()
    history.changed(session, actor, member, before, "open_account")
    return member


# columns a PATCH may change but never clear (an explicit null would hit NOT NULL: a 500)
_REQUIRED_ON_UPDATE = ("name", "post", "public_title", "status", "board_consent")


def update_member(session: Session, *, actor: Actor, member: Member, data: MemberUpdate) -> Member:
    branch = org_service.get_unit(session, member.branch_id)
    require(actor, Permission.member_manage, branch)
    changes = data.model_dump(exclude_unset=True, exclude={"reason"})
    before = history.state(member)
    cleared = [key for key in _REQUIRED_ON_UPDATE if key in changes and changes[key] is None]
    if cleared:
        raise Unprocessable(
            "这些内容不能清空：" + "、".join(cleared),
            code="validation_error",
            errors=[{"field": key, "message": "不能为空"} for key in cleared],
        )
    old_group = member.group_id
    if "group_id" in changes:
        _check_group(session, branch, changes["group_id"])
    if changes.get("phone"):
        _phone_taken(session, changes["phone"], exclude_id=member.id)
    if "phone" in changes and member.account_id is not None and changes["phone"] != member.phone:
        # the phone is the login: keep the account's in step
        if not changes["phone"]:
            raise Unprocessable(
                "已开通账号的党员必须有手机号（手机号就是登录账号）",
                code="phone_required",
                errors=[{"field": "phone", "message": "必填"}],
            )
        auth_service.change_phone(session, account_id=member.account_id, phone=changes["phone"], actor=actor)
    old_status = MemberStatus(member.status)
    if "status" in changes and changes["status"] != old_status and member.account_id == actor.account_id:
        raise Conflict("不能更改自己的党员状态，请由其他管理员操作", code="own_status")
    for key, value in changes.items():
        setattr(member, key, value)
    member.version += 1
    member.updated_at = utcnow()
    session.add(member)
    session.flush()
    if member.account_id is not None:
        if old_status != member.status:
            _account_follows_status(session, member, branch, was=old_status, actor=actor)
        if old_group is not None and old_group != member.group_id:
            _end_group_leadership(session, member.account_id, old_group)
    org_service.touch(session, [member.branch_id, old_group, member.group_id])
    history.changed(session, actor, member, before, "update", reason=data.reason)
    return member


def _account_follows_status(
    session: Session, member: Member, branch: OrgUnit, *, was: MemberStatus, actor: Actor = SYSTEM
) -> None:
    """A member who leaves the roll (转出 moved, 不在册 inactive) loses their login: every role in the
    branch ends, the account is disabled and signed out everywhere. Back on the roll (active), the
    account works again with the member role; any other role (group leader, supervisor, secretary)
    is granted again by whoever hands it out, as for anyone new in the post."""
    assert member.account_id is not None
    if member.status == MemberStatus.active:
        auth_service.enable_account(session, account_id=member.account_id, actor=actor)
        org_service.grant_role(
            session, actor=SYSTEM, account_id=member.account_id, role=Role.member, unit_id=pk(branch)
        )
    elif was == MemberStatus.active:
        org_service.revoke_roles_in(
            session, account_id=member.account_id, unit=branch, roles=_BRANCH_ROLES, actor=actor
        )
        auth_service.disable_account(session, account_id=member.account_id, actor=actor)


def _end_group_leadership(session: Session, account_id: int, group_id: int) -> None:
    """Leading a group ends when the member leaves it."""
    org_service.revoke_roles_in(
        session, account_id=account_id, unit=org_service.get_unit(session, group_id), roles=(Role.group_leader,)
    )


# roles that come with being in a branch; they end when the member leaves it (committee roles stay)
_BRANCH_ROLES = (Role.member, Role.group_leader, Role.supervisor, Role.secretary)


def move_member(
    session: Session, *, actor: Actor, member: Member, branch_id: int, group_id: int | None, reason: str | None = None
) -> Member:
    """Move a member to another branch (or group): needs member management on both branches.

    The member role moves with them; their other roles in the old branch end, and leading a group
    ends when they leave that group."""
    old_branch = org_service.get_unit(session, member.branch_id)
    old_group_id = member.group_id
    before = history.state(member)
    require(actor, Permission.member_manage, old_branch)
    new_branch = _branch_for_write(session, actor, branch_id)
    org_service.touch(session, [member.branch_id, member.group_id, branch_id, group_id])
    _check_group(session, new_branch, group_id)
    member.branch_id = pk(new_branch)
    member.group_id = group_id
    member.version += 1
    member.updated_at = utcnow()
    session.add(member)
    if member.account_id is not None and old_branch.id != new_branch.id:
        org_service.revoke_roles_in(
            session, account_id=member.account_id, unit=old_branch, roles=_BRANCH_ROLES, actor=actor
        )
        if member.status == MemberStatus.active:  # off the roll, they hold no role anywhere
            org_service.grant_role(
                session, actor=SYSTEM, account_id=member.account_id, role=Role.member, unit_id=pk(new_branch)
            )
    elif member.account_id is not None and old_group_id is not None and old_group_id != group_id:
        _end_group_leadership(session, member.account_id, old_group_id)
    session.flush()
    history.changed(session, actor, member, before, "move", reason=reason)
    return member


PHOTO_MAX_SIDE = 320  # a profile photo is shown small on a board; 320 px covers 2x screens


def set_photo(session: Session, *, actor: Actor, member: Member, upload: BinaryIO | None) -> Member:
    """Set (or with None remove) a member's public profile photo (亮身份), by the member themself or
    whoever manages the branch. Same pipeline as progress photos: sniffed, re-encoded, no EXIF.

    The permission is checked before a byte of the upload is read, and the picture is decoded and
    re-encoded outside the transaction (Pillow takes a while; SQLite's write lock is not held)."""
    if member.account_id != actor.account_id:
        require(actor, Permission.member_manage, branch_path(session, member))
    before = history.state(member)
    if upload is None:
        member.photo_key = None
    else:
        data = upload.read(images.MAX_BYTES + 1)  # one byte more than allowed is enough to refuse
        images.check_size(len(data))
        end_read_phase(session)
        processed = images.process_upload(data, display_max=PHOTO_MAX_SIDE, thumb_max=PHOTO_MAX_SIDE)
        member.photo_key = get_storage().put(processed.display.data, ext=processed.display.ext)
    member.version += 1
    member.updated_at = utcnow()
    session.add(member)
    session.flush()
    org_service.touch(session, [member.branch_id, member.group_id])
    history.changed(session, actor, member, before, "photo")
    return member


def _check_may_read(session: Session, actor: Actor, member: Member) -> None:
    if member.account_id != actor.account_id:
        require(actor, Permission.member_read, read_path(session, actor, member))


def read_member(session: Session, *, actor: Actor, member: Member) -> MemberRead:
    """One member as the actor may see them (the phone only for themself, their secretary, admins)."""
    _check_may_read(session, actor, member)
    return read_for(session, actor, member)


def photo_file(session: Session, *, actor: Actor, member: Member) -> tuple[Path, str]:
    """The member's photo on disk and its media type; 404 when there is none."""
    _check_may_read(session, actor, member)
    path = get_storage().path(member.photo_key) if member.photo_key else None
    if path is None or member.photo_key is None:
        raise NotFound("该党员还没有照片", code="photo_missing")
    return path, content_type_of(member.photo_key)


def grant_role(session: Session, *, actor: Actor, account_id: int, role: Role, unit_id: int) -> RoleGrant:
    """A role grant asked for through the API (POST /grants).

    A local role (member, group leader, supervisor) goes only to an active member of the unit's
    branch: a secretary cannot give someone else's account (or a made-up account id) a role in their
    branch, and so cannot find out which accounts exist either: every refusal is the same 404. The
    rest (permission, kind of unit, archived units) is org's `grant_role`, which calls the member
    check right after its permission check."""

    def on_the_roll(unit: OrgUnit) -> None:
        branch = org_service.branch_of(session, unit)
        if role in LOCAL_ROLES and branch is not None:
            member = member_for_account(session, account_id)
            if member is None or member.branch_id != branch.id or member.status != MemberStatus.active:
                raise NotFound("未找到该账号，或该账号不是本支部在册的党员", code="grant_not_member")

    return org_service.grant_role(
        session, actor=actor, account_id=account_id, role=role, unit_id=unit_id, eligible=on_the_roll
    )
