"""The pairing register (结对帮扶, 003 "327名党员结对贫困户771户"): members paired with households, their
pairing pledges and the visits logged on them.

Private: a pairing's household name, village group and needs are read by the member themself, their
branch's pledge.private holders (the secretary) and the committee — nobody else, never a public page.
A board shows only how many households a member helps ("结对帮扶 N 户", `pairing_counts`).

Who writes: the member for themself (pledge.own somewhere), or pledge.review on the member's branch
(a secretary registering a member's pairing). A pairing pledge is an ordinary pledge of the member's
branch (drafting.create_pledge) with `category = pairing` and `pairing_id` set; it goes through the
five steps as any other. A visit (走访) is a progress report on that pledge (progress.add_progress: the
owner's step, the same checks and rows). Because pledge titles, contents and progress reports are
public, none of them may contain the household's name (422 `pairing_name_public`, by whatever route they
are written: app/pledges/household_text.py).

Counts for the committee (`branch_counts`) are one GROUP BY per branch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed, require, scope
from app.core.time import today_local, utcnow
from app.members import service as members_service
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges import access, drafting, household_text, progress, states
from app.pledges.access import Located
from app.pledges.models import Pledge, PledgeCategory, PledgeProgress
from app.pledges.models_pairing import Pairing
from app.pledges.schemas import PledgeCreate, ProgressRead
from app.pledges.schemas_pairing import (
    BranchPairingCounts,
    PairingCreate,
    PairingPledgeCreate,
    PairingRead,
    PairingUpdate,
    VisitCreate,
)


@dataclass(frozen=True)
class LocatedPairing:
    pairing: Pairing
    member: Member
    branch: OrgUnit


def _own(actor: Actor, pairing: Pairing) -> bool:
    return actor.member_id is not None and actor.member_id == pairing.member_id


def may_read(actor: Actor, located: LocatedPairing) -> bool:
    return _own(actor, located.pairing) or allowed(actor, Permission.pledge_private, located.branch)


def _authorize_write(actor: Actor, located: LocatedPairing) -> None:
    if _own(actor, located.pairing) and scope(actor, Permission.pledge_own, empty_ok=True):
        return
    require(actor, Permission.pledge_review, located.branch)


def visible_pairing(session: Session, actor: Actor, pairing_id: int) -> LocatedPairing:
    """The pairing, or 404 unless the actor is its member or holds pledge.private on its branch; a
    member of the branch without that (a group leader) sees it exists only as far as require() says."""
    pairing = session.get(Pairing, pairing_id)
    if pairing is not None:
        member = session.get(Member, pairing.member_id)
        assert member is not None
        located = LocatedPairing(pairing, member, org_service.get_unit(session, pairing.branch_id))
        if _own(actor, pairing):
            return located
        require(actor, Permission.pledge_private, located.branch)
        return located
    raise NotFound("未找到该结对记录，或不在您的管理范围内", code="pairing_not_found")


def _member_for_write(session: Session, actor: Actor, member_id: int | None) -> tuple[Member, OrgUnit]:
    member_id = member_id if member_id is not None else actor.member_id
    if member_id is None:
        raise Unprocessable(
            "您的账号没有对应的党员信息，请选择为哪位党员登记结对",
            code="pairing_member_required",
            errors=[{"field": "member_id", "message": "必填"}],
        )
    member, branch = members_service.visible_member(session, actor, member_id)
    if not (member_id == actor.member_id and scope(actor, Permission.pledge_own, empty_ok=True)):
        require(actor, Permission.pledge_review, branch)
    if member.status != MemberStatus.active:
        raise Conflict("该党员已转出或不在册，不能登记结对", code="member_inactive")
    return member, branch


def create_pairing(session: Session, *, actor: Actor, data: PairingCreate) -> LocatedPairing:
    member, branch = _member_for_write(session, actor, data.member_id)
    now = utcnow()
    pairing = Pairing(
        member_id=pk(member),
        branch_id=pk(branch),
        household_name=data.household_name,
        village_group=data.village_group,
        needs=data.needs,
        since=data.since or today_local(),
        created_by_account_id=actor.recorded_account_id,
        created_at=now,
        updated_at=now,
    )
    session.add(pairing)
    session.flush()
    org_service.touch(session, [member.group_id, member.branch_id])  # the board's "结对帮扶 N 户"
    return LocatedPairing(pairing, member, branch)


def update_pairing(
    session: Session, *, actor: Actor, located: LocatedPairing, data: PairingUpdate, expected_version: int
) -> LocatedPairing:
    """Edit the household's details, or end the pairing (`ended_on`)."""
    _authorize_write(actor, located)
    pairing = located.pairing
    if pairing.version != expected_version:
        raise PreconditionFailed()
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if getattr(pairing, k) != v}
    for name in ("household_name",):
        if name in changes and not changes[name]:
            raise Unprocessable("帮扶对象不能为空", code="invalid", errors=[{"field": name, "message": "不能为空"}])
    if not changes:
        return located
    if "household_name" in changes:
        household_text.check_renamed_household(session, pk(pairing), changes["household_name"])
    for name, value in changes.items():
        setattr(pairing, name, value)
    pairing.version += 1
    pairing.updated_at = utcnow()
    session.add(pairing)
    session.flush()
    if "ended_on" in changes:
        org_service.touch(session, [located.member.group_id, located.member.branch_id])
    return located


def create_pairing_pledge(
    session: Session, *, actor: Actor, located: LocatedPairing, data: PairingPledgeCreate
) -> Located:
    """A pairing pledge (category pairing) of the pairing's member, linked to the pairing."""
    _authorize_write(actor, located)
    pairing = located.pairing
    if pairing.ended_on is not None:
        raise Conflict("该结对已结束", code="pairing_ended")
    household_text.check_texts([pairing.household_name], data.title, data.content)
    body = PledgeCreate(
        title=data.title,
        content=data.content,
        category=PledgeCategory.pairing,
        year=data.year,
        due_date=data.due_date,
        member_id=None if _own(actor, pairing) else pairing.member_id,
    )
    pledge_located = drafting.create_pledge(session, actor=actor, data=body)
    pledge_located.pledge.pairing_id = pk(pairing)
    session.add(pledge_located.pledge)
    session.flush()
    return pledge_located


def _visit_pledge(session: Session, actor: Actor, pairing: Pairing, pledge_id: int | None) -> Located:
    """The pairing pledge a visit is logged on: the one named, else the latest active one."""
    stmt = select(col(Pledge.id)).where(
        col(Pledge.pairing_id) == pk(pairing), col(Pledge.status).in_([s.value for s in states.ACTIVE])
    )
    if pledge_id is not None:
        stmt = stmt.where(col(Pledge.id) == pledge_id)
    found = session.execute(stmt.order_by(col(Pledge.id).desc()).limit(1)).scalar()
    if found is None:
        raise Conflict(
            "该结对还没有公示中的结对帮扶承诺，走访记录要记在承诺上：请先作结对帮扶承诺并经支部公示",
            code="pairing_no_active_pledge",
        )
    return access.visible_pledge(session, actor, int(found), for_update=True)


def log_visit(session: Session, *, actor: Actor, located: LocatedPairing, data: VisitCreate) -> ProgressRead:
    """A visit (走访) as a progress report on the pairing's pledge (the progress report path)."""
    pairing = located.pairing
    if not _own(actor, pairing) and not allowed(actor, Permission.pledge_review, located.branch):
        raise Forbidden("只有结对的党员本人（或支部书记代办）可以记录走访", code="forbidden.pairing.visit")
    household_text.check_texts([pairing.household_name], data.text)
    pledge_located = _visit_pledge(session, actor, pairing, data.pledge_id)
    return progress.add_progress(
        session, actor=actor, located=pledge_located, text=f"走访结对户：{data.text}", percent=data.percent, uploads=[]
    )


def _visits(session: Session, pairing_ids: Iterable[int]) -> dict[int, tuple[int, Any, int]]:
    """pairing id → (visits, last visit, pledges): one GROUP BY."""
    ids = set(pairing_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            col(Pledge.pairing_id),
            func.coalesce(func.sum(col(Pledge.progress_count)), 0),
            func.max(col(Pledge.last_progress_at)),
            func.count(col(Pledge.id)),
        )
        .where(col(Pledge.pairing_id).in_(ids))
        .group_by(col(Pledge.pairing_id))
    ).all()
    return {int(r[0]): (int(r[1]), r[2], int(r[3])) for r in rows}


def _read(located: LocatedPairing, visits: tuple[int, Any, int], actor: Actor) -> PairingRead:
    p = located.pairing
    count, last, pledges = visits
    writable = _own(actor, p) or allowed(actor, Permission.pledge_review, located.branch)
    return PairingRead(
        id=pk(p),
        member_id=p.member_id,
        member_name=located.member.name,
        branch_id=p.branch_id,
        branch_name=located.branch.name,
        household_name=p.household_name,
        village_group=p.village_group,
        needs=p.needs,
        since=p.since,
        ended_on=p.ended_on,
        active=p.ended_on is None,
        pledges=pledges,
        visits=count,
        last_visit_at=last,
        version=p.version,
        may_edit=writable,
    )


def read_one(session: Session, actor: Actor, located: LocatedPairing) -> PairingRead:
    return _read(located, _visits(session, [pk(located.pairing)]).get(pk(located.pairing), (0, None, 0)), actor)


def list_pairings(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    unit_id: int | None = None,
    member_id: int | None = None,
    active: bool | None = None,
) -> Page[PairingRead]:
    """The register: with `unit_id`, that unit's subtree (pledge.private there: the secretary, the
    committee); with `member_id`, that member's (themself, or pledge.private on their branch); neither,
    the actor's own. Four queries a page (count, rows, members and units, visits)."""
    stmt: Any = select(Pairing)
    if unit_id is not None:
        unit = org_service.visible_unit(session, actor, unit_id)
        require(actor, Permission.pledge_private, unit)
        stmt = stmt.where(col(Pairing.branch_id).in_(org_service.subtree_ids([unit.path])))
    elif member_id is not None and member_id != actor.member_id:
        _member, branch = members_service.visible_member(session, actor, member_id)
        require(actor, Permission.pledge_private, branch)
        stmt = stmt.where(col(Pairing.member_id) == member_id)
    else:
        if actor.member_id is None:
            return Page[PairingRead](items=[], total=0, page=params.page, size=params.size, pages=0)
        stmt = stmt.where(col(Pairing.member_id) == actor.member_id)
    if active is True:
        stmt = stmt.where(col(Pairing.ended_on).is_(None))
    elif active is False:
        stmt = stmt.where(col(Pairing.ended_on).is_not(None))
    stmt = stmt.order_by(col(Pairing.branch_id), col(Pairing.member_id), col(Pairing.id))

    def reads(rows: Any) -> list[PairingRead]:
        members = members_service.members_by_id(session, list({r.member_id for r in rows}))
        units = org_service.units_by_id(session, {r.branch_id for r in rows})
        visits = _visits(session, [pk(r) for r in rows])
        return [
            _read(LocatedPairing(r, members[r.member_id], units[r.branch_id]), visits.get(pk(r), (0, None, 0)), actor)
            for r in rows
        ]

    return paginate(session, stmt, params, reads)


def pairing_counts(session: Session, member_ids: Iterable[int]) -> dict[int, int]:
    """member id → how many households they are paired with now (the board's "结对帮扶 N 户"). One
    GROUP BY; no household detail leaves this function."""
    ids = set(member_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(col(Pairing.member_id), func.count(col(Pairing.id)))
        .where(col(Pairing.member_id).in_(ids), col(Pairing.ended_on).is_(None))
        .group_by(col(Pairing.member_id))
    ).all()
    return {int(m): int(n) for m, n in rows}


def branch_counts(session: Session, *, actor: Actor, unit_id: int) -> list[BranchPairingCounts]:
    """Per branch under the unit (pledge.private on it: the committee, a secretary for their branch):
    members paired, households paired now, pairings ended, visits logged. Two GROUP BY queries."""
    unit = org_service.visible_unit(session, actor, unit_id)
    require(actor, Permission.pledge_private, unit)
    in_scope = col(Pairing.branch_id).in_(org_service.subtree_ids([unit.path], kind=UnitKind.branch))
    active = col(Pairing.ended_on).is_(None)
    rows = session.execute(
        select(
            col(Pairing.branch_id),
            func.count(func.distinct(col(Pairing.member_id))).filter(active),
            func.count(col(Pairing.id)).filter(active),
            func.count(col(Pairing.id)).filter(col(Pairing.ended_on).is_not(None)),
        )
        .where(in_scope)
        .group_by(col(Pairing.branch_id))
    ).all()
    visits = dict(
        session.execute(
            select(col(Pairing.branch_id), func.count(col(PledgeProgress.id)))
            .join(Pledge, col(Pledge.pairing_id) == col(Pairing.id))
            .join(PledgeProgress, col(PledgeProgress.pledge_id) == col(Pledge.id))
            .where(in_scope)
            .group_by(col(Pairing.branch_id))
        ).all()
    )
    units = org_service.units_by_id(session, {int(r[0]) for r in rows})
    out = [
        BranchPairingCounts(
            branch_id=int(b),
            branch_name=units[int(b)].name,
            members=int(m),
            households=int(h),
            ended=int(e),
            visits=int(visits.get(b, 0)),
        )
        for b, m, h, e in rows
    ]
    out.sort(key=lambda c: (-c.households, c.branch_name))
    return out
