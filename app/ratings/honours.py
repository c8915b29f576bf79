"""十佳党员承诺 and 十佳党组织承诺 of a year, and the 评先选优 candidates.

十佳支书 (a secretary, no pledge) is nominated by the committee and selected the same way.
Secretaries nominate closed, kept pledges of their branch (a member's pledge is a 党员承诺, a group's
or branch's collective one a 党组织承诺); the committee selects at most ten of each kind per year, each
with a reason. Members who moved up a level (晋星) or hold three stars or more in the year's latest
published period are listed as candidates for honours (评先选优).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from app.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, Role, allowed, require
from app.core.time import utcnow
from app.members import service as members_service
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges import service as pledges_service
from app.pledges.models import OwnerKind, Pledge, PledgeOutcome, PledgeStatus
from app.ratings import scope
from app.ratings.models import (
    HONOUR_KIND_LABELS,
    Honour,
    HonourKind,
    PeriodKind,
    PeriodStatus,
    RatingPeriod,
    RatingResult,
    SubjectKind,
)
from app.ratings.results import level_sql
from app.ratings.schemas_results import CandidateRead, HonourRead

TOP = 10


def _committee_of(session: Session, branch: OrgUnit) -> OrgUnit:
    """The nearest committee above the branch: whose 十佳 the pledge competes in."""
    ancestors = org_service.units_by_id(session, org_service.ancestor_ids(branch))
    for unit_id in reversed(org_service.ancestor_ids(branch)):
        unit = ancestors.get(unit_id)
        if unit is not None and unit.kind == UnitKind.committee:
            return unit
    return branch


def nominate(
    session: Session, *, actor: Actor, pledge_id: int, year: int | None = None, reason: str | None = None
) -> Honour:
    """A secretary puts a closed, kept pledge of their branch forward for the year's 十佳."""
    pledge = session.get(Pledge, pledge_id)
    if pledge is None:
        raise NotFound("未找到该承诺")
    branch = org_service.get_unit(session, pledge.branch_id)
    require(actor, Permission.rating_manage, branch)
    if pledge.status != PledgeStatus.closed or pledge.outcome != PledgeOutcome.kept:
        raise Conflict("只能推荐已销诺、且已兑现的承诺", code="honour_pledge_not_kept")
    kind = HonourKind.member_pledge if pledge.owner_kind == OwnerKind.member else HonourKind.org_pledge
    year = year or pledge.year
    taken = select(func.count()).where(
        col(Honour.year) == year, col(Honour.kind) == kind.value, col(Honour.pledge_id) == pledge_id
    )
    if session.execute(taken).scalar_one():
        raise Conflict("该承诺已被推荐", code="honour_exists")
    honour = Honour(
        unit_id=_committee_of(session, branch).id or 0,
        year=year,
        kind=kind,
        pledge_id=pledge_id,
        branch_id=pledge.branch_id,
        nominated_by_account_id=None if actor.system else actor.account_id,
        nominated_at=utcnow(),
        nomination_reason=(reason or "").strip() or None,
    )
    session.add(honour)
    session.flush()
    return honour


def nominate_secretary(
    session: Session,
    *,
    actor: Actor,
    year: int,
    member_id: int | None = None,
    branch_id: int | None = None,
    reason: str | None = None,
) -> Honour:
    """The committee puts a branch secretary forward for the year's 十佳支书 (a secretary never
    nominates themself: it is the committee's, rating.admin on the branch) — by member, or by branch
    (its secretary; 409 when it has none or several)."""
    if member_id is None:
        branch = org_service.get_unit(session, branch_id or 0) if branch_id else None
        if branch is None:
            raise NotFound("未找到该党支部")
        require(actor, Permission.rating_admin, branch)
        accounts = org_service.role_holders(session, [branch.id or 0], [Role.secretary]).get(branch.id or 0, set())
        found = [
            m
            for m in (members_service.member_for_account(session, a) for a in sorted(accounts))
            if m is not None and m.branch_id == branch.id
        ]
        if len(found) != 1:
            raise Conflict("该党支部没有唯一的现任书记，请指定书记", code="honour_no_secretary")
        member_id = found[0].id or 0
    member = members_service.members_by_id(session, [member_id]).get(member_id)
    if member is None:
        raise NotFound("未找到该党员")
    branch = org_service.get_unit(session, member.branch_id)
    require(actor, Permission.rating_admin, branch)
    holders = org_service.role_holders(session, [branch.id or 0], [Role.secretary]).get(branch.id or 0, set())
    if member.account_id is None or member.account_id not in holders:
        raise Conflict("只能推荐现任党支部书记", code="honour_not_secretary")
    taken = select(func.count()).where(
        col(Honour.year) == year, col(Honour.kind) == HonourKind.secretary.value, col(Honour.member_id) == member_id
    )
    if session.execute(taken).scalar_one():
        raise Conflict("该书记已被推荐", code="honour_exists")
    honour = Honour(
        unit_id=_committee_of(session, branch).id or 0,
        year=year,
        kind=HonourKind.secretary,
        member_id=member_id,
        branch_id=branch.id or 0,
        nominated_by_account_id=None if actor.system else actor.account_id,
        nominated_at=utcnow(),
        nomination_reason=(reason or "").strip() or None,
    )
    session.add(honour)
    session.flush()
    return honour


def get_honour(session: Session, *, actor: Actor, honour_id: int, lock: bool = False) -> Honour:
    """The honour (404 outside the actor's sight); with `lock`, its row held for this transaction,
    so two committee members deciding it at once take turns and the second sees the first's change."""
    honour = session.get(Honour, honour_id, with_for_update=lock or None, populate_existing=lock)
    if honour is None or not allowed(actor, Permission.unit_read, org_service.get_unit(session, honour.branch_id)):
        raise NotFound("未找到该推荐")
    return honour


def honour_version(honour: Honour) -> int:
    """The honour's ETag: a digest of what selecting and taking back change (when, by whom, why).
    The honour table keeps no version counter; the digest moves with every decision (each has its
    own time, or its own reason), and fits the nine digits an If-Match of ratings carries."""
    at = round(honour.selected_at.timestamp() * 1_000_000) if honour.selected_at else 0
    raw = f"{at}|{honour.selected_by_account_id or 0}|{honour.reason or ''}".encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:8], "big") % 1_000_000_000


def select_honour(
    session: Session,
    *,
    actor: Actor,
    honour_id: int,
    reason: str,
    expected_version: int | None,
    selected: bool = True,
) -> Honour:
    """The committee selects a nominated pledge as one of the year's ten (or takes it back), with a
    reason; at most ten of each kind per committee and year. `expected_version` is the honour's
    version the committee decided on (If-Match: 428 without, 412 when it has changed since)."""
    honour = get_honour(session, actor=actor, honour_id=honour_id, lock=True)
    committee = org_service.get_unit(session, honour.unit_id)
    if not allowed(actor, Permission.rating_admin, committee):
        raise Forbidden(code="forbidden.rating.admin")
    if expected_version is None:
        raise PreconditionRequired()
    current = honour_version(honour)
    if expected_version != current:
        raise PreconditionFailed(extra={"current_version": current})
    if selected and honour.selected_at is None:
        # two committee members selecting two different pledges at once take turns on the committee's
        # row, so the second counts the first's choice and the ten are never eleven
        session.execute(select(col(OrgUnit.id)).where(col(OrgUnit.id) == honour.unit_id).with_for_update())
        chosen = session.execute(
            select(func.count()).where(
                col(Honour.unit_id) == honour.unit_id,
                col(Honour.year) == honour.year,
                col(Honour.kind) == honour.kind,
                col(Honour.selected_at).is_not(None),
            )
        ).scalar_one()
        if chosen >= TOP:
            label = HONOUR_KIND_LABELS[HonourKind(honour.kind)]
            raise Conflict(f"{honour.year}年{label}已选满 {TOP} 项", code="honour_full")
        honour.selected_at = utcnow()
        honour.selected_by_account_id = None if actor.system else actor.account_id
    elif not selected:
        honour.selected_at = None
        honour.selected_by_account_id = None
    honour.reason = reason.strip()[:500]
    session.add(honour)
    if honour.pledge_id is not None:
        pledge = pledges_service.get_pledge(session, honour.pledge_id)
        org_service.touch(session, [pledge.unit_id, pledge.branch_id])  # the star boards list the 十佳
    else:
        org_service.touch(session, [honour.branch_id])  # a 十佳支书
    session.flush()
    return honour


def list_honours(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    year: int | None = None,
    unit_id: int | None = None,
    kind: HonourKind | None = None,
    selected: bool | None = None,
) -> Page[HonourRead]:
    """Nominations in the branches where the actor manages ratings; selected ones first."""
    paths = org_service.scope_for(session, actor, Permission.rating_manage, unit_id)
    stmt: Any = select(Honour).where(col(Honour.branch_id).in_(org_service.subtree_ids(paths)))
    if year is not None:
        stmt = stmt.where(col(Honour.year) == year)
    if kind is not None:
        stmt = stmt.where(col(Honour.kind) == kind.value)
    if selected is not None:
        stmt = stmt.where(col(Honour.selected_at).is_not(None) if selected else col(Honour.selected_at).is_(None))
    stmt = stmt.order_by(col(Honour.year).desc(), col(Honour.selected_at).is_(None), col(Honour.id))
    return paginate(session, stmt, params, lambda rows: honour_reads(session, rows))


def honour_reads(session: Session, rows: Any) -> list[HonourRead]:
    pledges = {
        p.id: p
        for p in session.execute(
            select(Pledge).where(col(Pledge.id).in_([h.pledge_id for h in rows if h.pledge_id is not None]))
        ).scalars()
    }
    names = members_service.member_names(
        session,
        [p.member_id for p in pledges.values() if p.member_id] + [h.member_id for h in rows if h.member_id],
    )
    units = org_service.units_by_id(session, {h.branch_id for h in rows} | {p.unit_id for p in pledges.values()})
    out = []
    for h in rows:
        p = pledges.get(h.pledge_id)
        if p is None:  # 十佳支书: the secretary
            owner = names.get(h.member_id or 0, "")
        elif p.member_id:
            owner = names.get(p.member_id, "")
        else:
            owner = units[p.unit_id].name if p.unit_id in units else ""
        out.append(
            HonourRead(
                id=h.id or 0,
                year=h.year,
                kind=h.kind,
                kind_label=HONOUR_KIND_LABELS[HonourKind(h.kind)],
                pledge_id=h.pledge_id,
                pledge_title=p.title if p is not None else "",
                member_id=h.member_id,
                owner_name=owner,
                branch_id=h.branch_id,
                branch_name=units[h.branch_id].name if h.branch_id in units else "",
                nominated_at=h.nominated_at,
                nomination_reason=h.nomination_reason,
                selected=h.selected_at is not None,
                selected_at=h.selected_at,
                reason=h.reason,
                version=honour_version(h),
            )
        )
    return out


def latest_published(session: Session, unit: OrgUnit, year: int) -> RatingPeriod | None:
    """The year's result if published, else its latest published quarter."""
    stmt = (
        select(RatingPeriod)
        .where(
            col(RatingPeriod.unit_id) == unit.id,
            col(RatingPeriod.year) == year,
            col(RatingPeriod.status) == PeriodStatus.published.value,
        )
        .order_by(col(RatingPeriod.kind) == PeriodKind.quarter.value, col(RatingPeriod.ends_on).desc())
        .limit(1)
    )
    return session.execute(stmt).scalar_one_or_none()


def candidates(session: Session, *, actor: Actor, params: PageParams, unit_id: int, year: int) -> Page[CandidateRead]:
    """评先选优: members with three stars or more, or who moved up (晋星), in the latest published
    period of the year of `unit_id` (a committee), within the actor's scope; best first."""
    unit = org_service.find_unit(session, unit_id)
    if unit is None or not scope.sees_period_unit(actor, unit):
        raise NotFound("未找到该组织，或不在您的管理范围内")
    paths = org_service.scope_for(session, actor, Permission.rating_manage)
    period = latest_published(session, unit, year)
    level = level_sql()
    stmt: Any = (
        select(RatingResult)
        .where(
            col(RatingResult.period_id) == (period.id if period else 0),
            col(RatingResult.subject_kind) == SubjectKind.member.value,
            col(RatingResult.published_at).is_not(None),
            col(RatingResult.branch_id).in_(org_service.subtree_ids(paths)),
            or_(level >= 3, level > func.coalesce(col(RatingResult.previous_stars), 5)),
        )
        .order_by(level.desc(), col(RatingResult.score).desc(), col(RatingResult.subject_id))
    )

    def transform(rows: Any) -> list[CandidateRead]:
        names = members_service.member_names(session, [r.subject_id for r in rows])
        units = org_service.units_by_id(session, {r.branch_id for r in rows})
        return [
            CandidateRead(
                member_id=r.subject_id,
                name=names.get(r.subject_id, ""),
                branch_id=r.branch_id,
                branch_name=units[r.branch_id].name if r.branch_id in units else "",
                stars=r.stars or r.proposed_stars,
                previous_stars=r.previous_stars,
                promoted=r.previous_stars is not None and (r.stars or r.proposed_stars) > r.previous_stars,
                period_title=period.title if period else "",
            )
            for r in rows
        ]

    return paginate(session, stmt, params, transform)
