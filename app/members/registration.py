"""双报到: a member employed elsewhere registers in their home community (001 "'五联双报到'工作机制,64个
驻区单位和934名在职党员全部到社区报到").

A registration ties a member (their own branch elsewhere) to a community branch. The member asks
(`requested`) and the community's secretary accepts or declines it; either secretary — the member's own
or the community's — may also register the member directly (`active` at once). The member withdraws a
request; the member or either secretary ends an active registration. Every move is a row of TABLE on
the one lifecycle engine, which writes the `registration_event` rows.

Who (all through `require()`/`allowed()`): the member themself; `member.manage` on the community
branch (its secretary, the committee); `member.manage` on the member's own branch. Anyone else gets
404: a registration is read by those three only. Pledges made to the community live on the
community's branch (app/pledges/community.py): it vets them and shows them on its board.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.core import lifecycle
from app.core.db import pk
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.lifecycle import Row, Table
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed, require, scope
from app.core.time import today_local, utcnow
from app.members.models import Member, MemberStatus
from app.members.models_registration import (
    REGISTRATION_STATUS_LABELS,
    CommunityRegistration,
    RegistrationEvent,
    RegistrationStatus,
)
from app.members.public import to_public
from app.members.schemas import MemberPublic
from app.members.schemas_registration import CommunityOption, RegistrationCreate, RegistrationRead
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind

S = RegistrationStatus
OPEN = (S.requested, S.active)


class Action(StrEnum):
    accept = "accept"
    decline = "decline"
    withdraw = "withdraw"
    end = "end"


class Who(StrEnum):
    member = "member"  # the registered member themself
    community = "community"  # member.manage on the community branch
    party = "party"  # any of the three: the member, either secretary


ACTION_LABELS = {
    Action.accept: "接收报到",
    Action.decline: "不予接收",
    Action.withdraw: "撤回申请",
    Action.end: "结束报到",
    "request": "申请报到",
    "register": "登记报到",
}

TABLE: Table[RegistrationStatus, Action] = Table(
    (
        Row(S.requested, Action.accept, S.active, Who.community),
        Row(S.requested, Action.decline, S.declined, Who.community, reason_required=True),
        Row(S.requested, Action.withdraw, S.withdrawn, Who.member),
        Row(S.active, Action.end, S.ended, Who.party),
    )
)


@dataclass(frozen=True)
class Located:
    """A registration with its member and both branches (whose paths decide every permission)."""

    registration: CommunityRegistration
    member: Member
    community: OrgUnit
    home: OrgUnit


def _is_member(actor: Actor, located: Located) -> bool:
    return actor.member_id is not None and actor.member_id == located.registration.member_id


def _authorize(actor: Actor, located: Located, who: StrEnum) -> None:
    if actor.system:
        return
    if who == Who.member:
        if _is_member(actor, located):
            return
        raise Forbidden("只有报到的党员本人可以撤回申请", code="forbidden.registration.member")
    if who == Who.community:
        if allowed(actor, Permission.member_manage, located.community):
            return
        raise Forbidden("只有报到社区的支部书记可以接收或不予接收", code="forbidden.registration.community")
    if (
        _is_member(actor, located)
        or allowed(actor, Permission.member_manage, located.community)
        or allowed(actor, Permission.member_manage, located.home)
    ):
        return
    raise Forbidden("只有党员本人或两边的支部书记可以结束报到", code="forbidden.registration.end")


def _enter(session: Session, step: lifecycle.Step[Located, RegistrationStatus, Action]) -> None:
    reg = step.subject.registration
    if step.row.target == S.active and reg.since is None:
        reg.since = today_local()
    reg.updated_at = step.at
    session.add(reg)


def _write_events(session: Session, steps: Sequence[lifecycle.Step[Located, RegistrationStatus, Action]]) -> None:
    rows = [
        _event(
            session,
            pk(s.subject.registration),
            s.row.action.value,
            s.row.source.value,
            s.row.target.value,
            s.actor,
            s.reason,
            s.at,
        )
        for s in steps
    ]
    session.execute(insert(RegistrationEvent), rows)


def _event(
    session: Session,
    reg_id: int,
    action: str,
    source: str | None,
    target: str,
    actor: Actor,
    reason: str | None,
    at: Any,
) -> dict[str, Any]:
    name = actor.name or "系统" if actor.system else auth_service.get_account(session, actor.account_id).display_name
    return {
        "registration_id": reg_id,
        "action": action,
        "from_status": source,
        "to_status": target,
        "actor_account_id": actor.recorded_account_id,
        "actor_name": name[:40],
        "reason": reason,
        "at": at,
    }


REGISTRATIONS: lifecycle.Lifecycle[Located, RegistrationStatus, Action] = lifecycle.Lifecycle(
    name="registration",
    noun="报到",
    table=TABLE,
    status_labels=REGISTRATION_STATUS_LABELS,
    action_labels=ACTION_LABELS,
    record=lambda located: located.registration,
    authorize=_authorize,
    write_events=_write_events,
    enter=_enter,
)


def _may_read(actor: Actor, located: Located) -> bool:
    return (
        actor.system
        or _is_member(actor, located)
        or allowed(actor, Permission.member_manage, located.community)
        or allowed(actor, Permission.member_manage, located.home)
    )


def locate(session: Session, reg: CommunityRegistration) -> Located:
    member = session.get(Member, reg.member_id)
    assert member is not None
    units = org_service.units_by_id(session, {reg.branch_id, member.branch_id})
    return Located(reg, member, units[reg.branch_id], units[member.branch_id])


def visible_registration(session: Session, actor: Actor, registration_id: int) -> Located:
    """The registration, or 404 when missing or not the actor's to read (the member, either secretary)."""
    reg = session.get(CommunityRegistration, registration_id)
    if reg is not None:
        located = locate(session, reg)
        if _may_read(actor, located):
            return located
    raise NotFound("未找到该报到记录，或不在您的管理范围内", code="registration_not_found")


def _community(session: Session, branch_id: int) -> OrgUnit:
    unit = org_service.find_unit(session, branch_id)
    if unit is None or unit.kind != UnitKind.branch or unit.archived_at is not None:
        raise Unprocessable(
            "请选择要报到的社区（村）党支部",
            code="registration_bad_branch",
            errors=[{"field": "branch_id", "message": "不是可报到的党支部"}],
        )
    return unit


def create(session: Session, *, actor: Actor, data: RegistrationCreate) -> Located:
    """A member's request (`requested`), or a registration by either secretary (`active` at once)."""
    member_id = data.member_id if data.member_id is not None else actor.member_id
    if member_id is None:
        raise Unprocessable(
            "您的账号没有对应的党员信息，请选择为哪位党员登记报到",
            code="registration_member_required",
            errors=[{"field": "member_id", "message": "必填"}],
        )
    community = _community(session, data.branch_id)
    own = member_id == actor.member_id and not actor.system
    if own:
        member = session.get(Member, member_id)
        assert member is not None
        home = org_service.get_unit(session, member.branch_id)
    else:
        member = session.get(Member, member_id)
        if member is None:
            raise NotFound("未找到该党员", code="member_not_found")
        home = org_service.get_unit(session, member.branch_id)
        # a secretary of either side registers the member (404 when the member is outside both)
        if not (allowed(actor, Permission.member_manage, community) or allowed(actor, Permission.member_manage, home)):
            require(actor, Permission.member_manage, home)
    if member.status != MemberStatus.active:
        raise Conflict("该党员已转出或不在册，不能报到", code="member_inactive")
    if member.branch_id == community.id:
        raise Unprocessable(
            "不能在本人所在的党支部报到",
            code="registration_own_branch",
            errors=[{"field": "branch_id", "message": "这是本人所在的党支部"}],
        )
    taken = session.execute(
        select(col(CommunityRegistration.id)).where(
            col(CommunityRegistration.member_id) == member_id,
            col(CommunityRegistration.branch_id) == community.id,
            col(CommunityRegistration.status).in_(OPEN),
        )
    ).first()
    if taken is not None:
        raise Conflict("已在该社区报到或正在等待确认", code="registration_exists")
    now = utcnow()
    status = S.requested if own and not allowed(actor, Permission.member_manage, community) else S.active
    reg = CommunityRegistration(
        member_id=member_id,
        branch_id=pk(community),
        status=status,
        since=today_local() if status == S.active else None,
        note=data.note,
        created_by_account_id=actor.recorded_account_id,
        created_at=now,
        updated_at=now,
    )
    session.add(reg)
    session.flush()
    action = "request" if status == S.requested else "register"
    session.execute(insert(RegistrationEvent), [_event(session, pk(reg), action, None, status.value, actor, None, now)])
    return Located(reg, member, community, home)


def act(
    session: Session, *, actor: Actor, located: Located, action: Action, expected_version: int, reason: str | None
) -> Located:
    lifecycle.apply(
        session,
        REGISTRATIONS,
        actor=actor,
        subject=located,
        action=action,
        expected_version=expected_version,
        reason=(reason or "").strip() or None,
    )
    return located


def to_read(actor: Actor, located: Located) -> RegistrationRead:
    reg = located.registration
    return RegistrationRead(
        id=pk(reg),
        member_id=reg.member_id,
        member_name=located.member.name,
        member_post=located.member.post,
        home_branch_id=pk(located.home),
        home_branch_name=located.home.name,
        branch_id=reg.branch_id,
        branch_name=located.community.name,
        status=RegistrationStatus(reg.status),
        status_label=REGISTRATION_STATUS_LABELS[RegistrationStatus(reg.status)],
        since=reg.since,
        note=reg.note,
        version=reg.version,
        created_at=reg.created_at,
        allowed_actions=REGISTRATIONS.allowed_actions(actor, located),
        may_pledge=reg.status == S.active and _is_member(actor, located),
    )


def _reads(session: Session, actor: Actor, rows: Sequence[CommunityRegistration]) -> list[RegistrationRead]:
    """A page's reads in two more queries (members, units), whatever its size."""
    members = {
        pk(m): m
        for m in session.execute(select(Member).where(col(Member.id).in_({r.member_id for r in rows}))).scalars()
    }
    units = org_service.units_by_id(session, {r.branch_id for r in rows} | {m.branch_id for m in members.values()})
    out = []
    for r in rows:
        member = members[r.member_id]
        out.append(to_read(actor, Located(r, member, units[r.branch_id], units[member.branch_id])))
    return out


def list_registrations(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    branch_id: int | None = None,
    member_id: int | None = None,
    status: RegistrationStatus | None = None,
) -> Page[RegistrationRead]:
    """With `branch_id`: the community's list (member.manage on it) — who registered, newest first.
    With `member_id`: that member's registrations, for their own branch's secretary (member.manage on
    it; 404 outside sight, 403 without). Without either: the actor's own registrations."""
    stmt: Any = select(CommunityRegistration)
    if member_id is not None and member_id != actor.member_id:
        _managed_member(session, actor, member_id)
        stmt = stmt.where(col(CommunityRegistration.member_id) == member_id)
        if branch_id is not None:
            stmt = stmt.where(col(CommunityRegistration.branch_id) == branch_id)
    elif branch_id is not None:
        unit = org_service.visible_unit(session, actor, branch_id)
        require(actor, Permission.member_manage, unit)
        stmt = stmt.where(col(CommunityRegistration.branch_id).in_(org_service.subtree_ids([unit.path])))
    else:
        if actor.member_id is None:
            return Page[RegistrationRead](items=[], total=0, page=params.page, size=params.size, pages=0)
        stmt = stmt.where(col(CommunityRegistration.member_id) == actor.member_id)
    if status is not None:
        stmt = stmt.where(col(CommunityRegistration.status) == status)
    stmt = stmt.order_by(col(CommunityRegistration.updated_at).desc(), col(CommunityRegistration.id).desc())
    return paginate(session, stmt, params, lambda rows: _reads(session, actor, rows))


def _managed_member(session: Session, actor: Actor, member_id: int) -> Member:
    """A member whose branch the actor manages (the home secretary registering them): 404 outside the
    actor's sight, 403 without member.manage on the member's branch."""
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("未找到该党员，或不在您的管理范围内", code="member_not_found")
    home = org_service.get_unit(session, member.branch_id)
    if not allowed(actor, Permission.unit_read, home):
        raise NotFound("未找到该党员，或不在您的管理范围内", code="member_not_found")
    require(actor, Permission.member_manage, home)
    return member


def communities(
    session: Session, *, actor: Actor, params: PageParams, q: str | None, member_id: int | None = None
) -> Page[CommunityOption]:
    """The branches a member may register in: every branch of the tree they belong to but their own
    (names are public: every board shows them). Needs a place on the roll (pledge.own) or member.manage.
    With `member_id`: the branches that member may register in, for their branch's secretary."""
    if member_id is not None and member_id != actor.member_id:
        whose: int | None = pk(_managed_member(session, actor, member_id))
    else:
        if not scope(actor, Permission.pledge_own, empty_ok=True):
            scope(actor, Permission.member_manage)
        whose = actor.member_id
    stmt: Any = select(OrgUnit).where(col(OrgUnit.kind) == UnitKind.branch, col(OrgUnit.archived_at).is_(None))
    if whose is not None:
        member = session.get(Member, whose)
        if member is not None:
            home = org_service.get_unit(session, member.branch_id)
            town = "/" + home.path.strip("/").split("/")[0] + "/"  # the tree the member belongs to
            stmt = stmt.where(col(OrgUnit.id) != member.branch_id, col(OrgUnit.path).startswith(town))
    if q:
        stmt = stmt.where(col(OrgUnit.name).contains(q))
    stmt = stmt.order_by(col(OrgUnit.name), col(OrgUnit.id))
    return paginate(session, stmt, params, lambda rows: [CommunityOption(id=pk(u), name=u.name) for u in rows])


def active_registration(session: Session, registration_id: int) -> CommunityRegistration | None:
    """For pledges made to the community: the registration, whatever its state (the caller checks)."""
    return session.get(CommunityRegistration, registration_id)


def home_branch_names(session: Session, member_ids: Iterable[int]) -> dict[int, str]:
    """member id → the name of their own branch (a board shows a 报到党员 with their own unit). One query."""
    ids = set(member_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(col(Member.id), col(OrgUnit.name))
        .join(OrgUnit, col(OrgUnit.id) == col(Member.branch_id))
        .where(col(Member.id).in_(ids))
    ).all()
    return {int(i): str(n) for i, n in rows}


def registered_count(session: Session, branch_id: int) -> int:
    """How many members are registered (active) in this community branch."""
    return int(
        session.execute(
            select(func.count()).where(
                col(CommunityRegistration.branch_id) == branch_id, col(CommunityRegistration.status) == S.active
            )
        ).scalar_one()
    )


def registered_public(session: Session, member_ids: Iterable[int]) -> list[tuple[MemberPublic, str]]:
    """What a community's board may show of the members who pledged to it: their public identity
    (members.public: named only with consent) and their own branch's name (报到党员 of their unit).
    One query, in the order given."""
    ids = list(dict.fromkeys(member_ids))
    if not ids:
        return []
    rows = session.execute(
        select(Member, col(OrgUnit.name))
        .join(OrgUnit, col(OrgUnit.id) == col(Member.branch_id))
        .where(col(Member.id).in_(ids))
    ).all()
    found = {pk(m): (to_public(m), str(name)) for m, name in rows}
    return [found[i] for i in ids if i in found]
