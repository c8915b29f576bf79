"""Members: listing within scope, creating, editing, moving between branches, their accounts.

Phone numbers are private: only the member, their branch secretary and committee admins see them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.core import images
from app.core.db import end_read_phase, pk
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, Role, allowed, require
from app.core.storage import get_storage
from app.core.time import utcnow
from app.members.models import Member, MemberStatus
from app.members.schemas import AccountSummary, Me, MemberCreate, MemberPublic, MemberRead, MemberUpdate
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind


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
    if not actor.can_see(path) and member.group_id is not None:
        return org_service.get_unit(session, member.group_id).path
    return path


def visible_member(session: Session, actor: Actor, member_id: int) -> tuple[Member, OrgUnit]:
    """The member and their branch, or 404 when missing or outside the actor's scope."""
    member = session.get(Member, member_id)
    if member is not None:
        branch = org_service.get_unit(session, member.branch_id)
        if actor.can_see(branch.path) or member.account_id == actor.account_id:
            return member, branch
        # a grant on the member's group alone (a group leader) shows them too, as the roll does
        if member.group_id is not None and actor.can_see(org_service.get_unit(session, member.group_id).path):
            return member, branch
    raise NotFound("未找到该党员，或不在您的管理范围内")


def member_for_account(session: Session, account_id: int) -> Member | None:
    return session.execute(select(Member).where(col(Member.account_id) == account_id)).scalar_one_or_none()


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


def to_public(member: Member) -> MemberPublic:
    assert member.id is not None
    return MemberPublic(
        id=member.id, name=member.name, post=member.post, public_title=member.public_title, photo_key=member.photo_key
    )


def public_members(session: Session, *, unit: OrgUnit, member_ids: Sequence[int] | None = None) -> list[MemberPublic]:
    """Members a public board of `unit` may show: active, consenting to the board, in the unit
    (its group, or its branch). With `member_ids`, only those and in that order. One query."""
    in_unit = col(Member.group_id) == unit.id if unit.kind == UnitKind.group else col(Member.branch_id) == unit.id
    stmt: Any = select(Member).where(
        in_unit, col(Member.board_consent).is_(True), col(Member.status) == MemberStatus.active
    )
    if member_ids is not None:
        if not member_ids:
            return []
        stmt = stmt.where(col(Member.id).in_(set(member_ids)))
    rows = list(session.execute(stmt.order_by(col(Member.id))).scalars())
    if member_ids is not None:
        order = {m: i for i, m in enumerate(member_ids)}
        rows.sort(key=lambda m: order.get(m.id or 0, 0))
    else:
        # leaders first (those with a public title), then by name as on a paper board
        rows.sort(key=lambda m: (m.public_title == "", m.name, m.id or 0))
    return [to_public(m) for m in rows]


def read_for(session: Session, actor: Actor, member: Member) -> MemberRead:
    return to_read(member, show_phone=can_see_phone(actor, member, branch_path(session, member)))


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
    stmt: Any = select(Member).where(
        col(Member.branch_id).in_(org_service.subtree_ids(paths))
        | col(Member.group_id).in_(org_service.subtree_ids(paths))
    )
    if q:
        stmt = stmt.where(col(Member.name).contains(q.strip(), autoescape=True))
    if status is not None:
        stmt = stmt.where(col(Member.status) == status)
    if board_consent is not None:
        stmt = stmt.where(col(Member.board_consent) == board_consent)
    stmt = stmt.order_by(col(Member.branch_id), col(Member.group_id), col(Member.name), col(Member.id))
    private_paths = actor.scope_paths(Permission.member_read_private)

    def to_reads(rows: Sequence[Member]) -> list[MemberRead]:
        branches = org_service.units_by_id(session, {m.branch_id for m in rows})
        out = []
        for m in rows:
            bpath = branches[m.branch_id].path
            out.append(
                to_read(
                    m, show_phone=m.account_id == actor.account_id or any(bpath.startswith(p) for p in private_paths)
                )
            )
        return out

    return paginate(session, stmt, params, to_reads)


def _check_group(session: Session, branch: OrgUnit, group_id: int | None) -> None:
    if group_id is None:
        return
    group = session.get(OrgUnit, group_id)
    if group is None or group.kind != UnitKind.group or group.parent_id != branch.id:
        raise Unprocessable(
            "党小组必须属于该党员所在的党支部",
            code="member_bad_group",
            errors=[{"field": "group_id", "message": "党小组必须属于该党员所在的党支部"}],
        )


def _branch_for_write(session: Session, actor: Actor | None, branch_id: int) -> OrgUnit:
    branch = (
        org_service.get_unit(session, branch_id)
        if actor is None
        else org_service.visible_unit(session, actor, branch_id)
    )
    if actor is not None:
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


def create_member(session: Session, *, actor: Actor | None, data: MemberCreate) -> Member:
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
    org_service.touch(session, [member.branch_id, member.group_id])
    if password_hash is not None:
        open_account(session, actor=actor, member=member, password_hash=password_hash)
    return member


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
    actor: Actor | None,
    member: Member,
    initial_password: str | None = None,
    password_hash: str | None = None,
    must_change_password: bool = True,
) -> Member:
    """Give a member a login (their phone + an initial password) and the member role in their branch.

    An `initial_password` is hashed outside the transaction (see `_initial_password_hash`): give one
    only before the request has written anything; otherwise pass a ready `password_hash`."""
    branch = org_service.get_unit(session, member.branch_id)
    if actor is not None:
        require(actor, Permission.member_manage, branch)
    if member.account_id is not None:
        raise Conflict("该党员已开通账号", code="account_exists")
    if not member.phone:
        raise Unprocessable(
            "请先登记手机号，手机号就是登录账号", code="phone_required", errors=[{"field": "phone", "message": "必填"}]
        )
    if password_hash is None and initial_password is not None:
        password_hash = _initial_password_hash(session, phone=member.phone, password=initial_password)
    account = auth_service.create_account(
        session,
        phone=member.phone,
        display_name=member.name,
        password=initial_password,
        password_hash=password_hash,
        must_change_password=must_change_password,
    )
    member.account_id = account.id
    session.add(member)
    org_service.grant_role(session, actor=None, account_id=pk(account), role=Role.member, unit_id=pk(branch))
    session.flush()
    return member


# columns a PATCH may change but never clear (an explicit null would hit NOT NULL: a 500)
_REQUIRED_ON_UPDATE = ("name", "post", "public_title", "status", "board_consent")


def update_member(session: Session, *, actor: Actor, member: Member, data: MemberUpdate) -> Member:
    branch = org_service.get_unit(session, member.branch_id)
    require(actor, Permission.member_manage, branch)
    changes = data.model_dump(exclude_unset=True)
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
        auth_service.change_phone(session, account_id=member.account_id, phone=changes["phone"])
    for key, value in changes.items():
        setattr(member, key, value)
    member.version += 1
    member.updated_at = utcnow()
    session.add(member)
    session.flush()
    org_service.touch(session, [member.branch_id, old_group, member.group_id])
    return member


# roles that come with being in a branch; they end when the member leaves it (committee roles stay)
_BRANCH_ROLES = (Role.member, Role.group_leader, Role.supervisor, Role.secretary)


def move_member(session: Session, *, actor: Actor, member: Member, branch_id: int, group_id: int | None) -> Member:
    """Move a member to another branch (or group): needs member management on both branches.

    The member role moves with them; their other roles in the old branch end, and leading a group
    ends when they leave that group."""
    old_branch = org_service.get_unit(session, member.branch_id)
    old_group_id = member.group_id
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
        org_service.revoke_roles_in(session, account_id=member.account_id, unit=old_branch, roles=_BRANCH_ROLES)
        org_service.grant_role(
            session, actor=None, account_id=member.account_id, role=Role.member, unit_id=pk(new_branch)
        )
    elif member.account_id is not None and old_group_id is not None and old_group_id != group_id:
        org_service.revoke_roles_in(
            session,
            account_id=member.account_id,
            unit=org_service.get_unit(session, old_group_id),
            roles=(Role.group_leader,),
        )
    session.flush()
    return member


PHOTO_MAX_SIDE = 320  # a profile photo is shown small on a board; 320 px covers 2x screens


def set_photo(session: Session, *, actor: Actor, member: Member, data: bytes | None) -> Member:
    """Set (or with None remove) a member's public profile photo (亮身份), by the member themself or
    whoever manages the branch. Same pipeline as progress photos: sniffed, re-encoded, no EXIF."""
    if member.account_id != actor.account_id:
        require(actor, Permission.member_manage, branch_path(session, member))
    if data is None:
        member.photo_key = None
    else:
        processed = images.process_upload(data, display_max=PHOTO_MAX_SIDE, thumb_max=PHOTO_MAX_SIDE)
        member.photo_key = get_storage().put(processed.display.data, ext=processed.display.ext)
    member.version += 1
    member.updated_at = utcnow()
    session.add(member)
    session.flush()
    org_service.touch(session, [member.branch_id, member.group_id])
    return member


def me(session: Session, *, account_id: int, display_name: str, must_change_password: bool) -> Me:
    member = member_for_account(session, account_id)
    return Me(
        account=AccountSummary(id=account_id, display_name=display_name, must_change_password=must_change_password),
        member=to_read(member, show_phone=True) if member else None,
        grants=org_service.grants_of(session, account_id),
    )
