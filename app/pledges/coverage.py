"""Pledge coverage (承诺覆盖; 003 "全体共产党员……作出公开承诺", "1200余名农村党员做出了承诺"): for a unit and a
year, how many of its active members have pledged and how many have a pledge on the boards, as rates
for the whole unit and per part of it — per group under a branch (members without a group as one row
未分组), per branch under a general branch or the committee — and a reminder to those who have not.

Who has not (the member list) is the group leader's view (`group_status`, `?missing=pledge|published&year=`);
this module adds the rates and the reminder. Permission: `group.status` on the unit (the group leader on
their group, the secretary on their branch, the committee anywhere below it), through `require()`.

"Pledged" is the same as in `group_status`: a personal pledge of the year submitted at least (not a
draft, not withdrawn). "Published" is `rules.PUBLIC` (on the boards, or cancelled after publication).
Every figure is one GROUP BY over the members joined to a per-member sub-select of their pledges: the
rates cost three statements after the unit is loaded (the totals, the number of rows, one page of
rows) whatever the unit's size; the reminder three (the unit, the members to remind, the ones already
reminded today) and one INSERT.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy import and_, case, func, literal, select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.errors import Unprocessable
from app.core.pagination import PageParams
from app.core.permissions import Actor, Permission, require
from app.core.time import today_local
from app.members.models import Member, MemberStatus
from app.notifications import service as notifications
from app.notifications.models import Notification
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges.group_status import NOT_PLEDGED, STATUS_UNITS
from app.pledges.models import OwnerKind, Pledge
from app.pledges.rules import IN_YEAR, PUBLIC
from app.pledges.schemas_coverage import CoveragePage, CoverageRow, ReminderSent

Missing = Literal["pledge", "published"]
REMINDER_KIND = "coverage"
NO_GROUP = "未分组"
NAMES = ("members", "pledged", "published")


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal, None for an empty unit (0 members is no rate, not 0 %)."""
    return round(part * 100 / whole, 1) if whole else None


def _per_member(year: int) -> Any:
    """Per member: whether they pledged in `year`, whether one of `year`'s pledges is on the boards."""
    return (
        select(
            col(Pledge.member_id).label("member_id"),
            func.max(case((col(Pledge.status).not_in(NOT_PLEDGED), 1), else_=0)).label("pledged"),
            func.max(case((PUBLIC.sql(), 1), else_=0)).label("published"),
        )
        .where(
            col(Pledge.owner_kind) == OwnerKind.member.value,
            col(Pledge.member_id).is_not(None),
            IN_YEAR.sql(year),  # a term pledge (任期承诺) covers every year of its term
        )
        .group_by(col(Pledge.member_id))
        .subquery()
    )


def _visible(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    unit = org_service.visible_unit(session, actor, unit_id)
    require(actor, Permission.group_status, unit)
    return unit


def _members_of(unit: OrgUnit) -> Any:
    """The active members of `unit` (a group: its own; a branch: its members; above: every branch below)."""
    active = col(Member.status) == MemberStatus.active.value
    if unit.kind == UnitKind.group:
        return and_(active, col(Member.group_id) == unit.id)
    if unit.kind == UnitKind.branch:
        return and_(active, col(Member.branch_id) == unit.id)
    below = select(col(OrgUnit.id)).where(col(OrgUnit.path).startswith(unit.path))
    return and_(active, col(Member.branch_id).in_(below))


def coverage(session: Session, *, actor: Actor, unit_id: int, year: int | None, params: PageParams) -> CoveragePage:
    """The unit's coverage for the year: totals, and one page of rows (a branch: per group; a general
    branch or the committee: per branch; a group: none — its members are the list), the lowest
    published rate first (what lags is what a secretary acts on), then by name."""
    unit = _visible(session, actor, unit_id)
    year = year or today_local().year
    per = _per_member(year)
    pledged = func.coalesce(per.c.pledged, 0)
    published = func.coalesce(per.c.published, 0)
    where = _members_of(unit)
    counted = (func.count(), func.coalesce(func.sum(pledged), 0), func.coalesce(func.sum(published), 0))
    members, with_pledge, with_published = (
        int(v or 0)
        for v in session.execute(
            select(*counted).select_from(Member).outerjoin(per, per.c.member_id == col(Member.id)).where(where)
        ).one()
    )

    rows: list[CoverageRow] = []
    total = 0
    if unit.kind != UnitKind.group:
        key = col(Member.group_id) if unit.kind == UnitKind.branch else col(Member.branch_id)
        total = int(
            session.execute(select(func.count(func.distinct(func.coalesce(key, 0)))).where(where)).scalar_one() or 0
        )
        grouped = (
            select(key.label("key"), *(c.label(n) for c, n in zip(counted, NAMES, strict=True)))
            .select_from(Member)
            .outerjoin(per, per.c.member_id == col(Member.id))
            .where(where)
            .group_by(key)
            .subquery()
        )
        lag = grouped.c.published * 1000 / grouped.c.members
        page = session.execute(
            select(grouped, col(OrgUnit.name), col(OrgUnit.kind))
            .outerjoin(OrgUnit, col(OrgUnit.id) == grouped.c.key)
            .order_by(lag, func.coalesce(col(OrgUnit.name), literal(NO_GROUP)), grouped.c.key)
            .limit(params.size)
            .offset(params.offset)
        ).all()
        rows = [
            CoverageRow(
                unit_id=r.key,
                unit_name=r.name or NO_GROUP,
                unit_kind=r.kind,
                members=int(r.members),
                pledged=int(r.pledged),
                published=int(r.published),
                pledged_rate=rate(int(r.pledged), int(r.members)),
                published_rate=rate(int(r.published), int(r.members)),
            )
            for r in page
        ]
    return CoveragePage(
        unit_id=pk(unit),
        unit_name=unit.name,
        unit_kind=unit.kind,
        year=year,
        members=members,
        pledged=with_pledge,
        published=with_published,
        pledged_rate=rate(with_pledge, members),
        published_rate=rate(with_published, members),
        may_remind=unit.kind in STATUS_UNITS,
        items=rows,
        total=total,
        page=params.page,
        size=params.size,
        pages=(total + params.size - 1) // params.size,
    )


def remind(
    session: Session, *, actor: Actor, unit_id: int, year: int | None, missing: Missing, today: date | None = None
) -> ReminderSent:
    """Remind the unit's (a group's or a branch's) members who have not pledged in the year, or have
    nothing of it on the boards, through their notifications — all in one INSERT, and at most once a
    day per member and kind (the dedupe key holds the day): pressing 提醒 twice, or the group leader
    and the secretary both, reminds nobody twice. Members without an account are counted, not reached."""
    unit = _visible(session, actor, unit_id)
    if unit.kind not in STATUS_UNITS:
        raise Unprocessable("请选择一个党小组或党支部", code="coverage_bad_unit")
    today = today or today_local()
    year = year or today.year
    per = _per_member(year)
    flag = per.c.pledged if missing == "pledge" else per.c.published
    due = session.execute(
        select(col(Member.account_id))
        .select_from(Member)
        .outerjoin(per, per.c.member_id == col(Member.id))
        .where(_members_of(unit), func.coalesce(flag, 0) == 0)
    ).all()
    accounts = [r.account_id for r in due if r.account_id is not None]
    stem = f"{REMINDER_KIND}:{missing}:{year}:{today.isoformat()}"
    already = 0
    if accounts:
        already = int(
            session.execute(
                select(func.count())
                .select_from(Notification)
                .where(col(Notification.dedupe_key).in_([f"{stem}:{a}" for a in accounts]))
            ).scalar_one()
        )
        title = f"请尽快作出{year}年的公开承诺" if missing == "pledge" else f"您{year}年的承诺还没有公示"
        body = (
            f"{unit.name}：全体党员都要作出公开承诺并公示。请在“我的承诺”里起草并报诺。"
            if missing == "pledge"
            else f"{unit.name}：您今年的承诺还在草稿或审核中，请及时报诺，或联系支部书记审核公示。"
        )
        notifications.notify(
            session,
            [
                (
                    notifications.Message(
                        kind=REMINDER_KIND,
                        title=title,
                        body=body,
                        link="/pledges",
                        subject_type="unit",
                        subject_id=pk(unit),
                        dedupe_key=stem,
                    ),
                    accounts,
                )
            ],
        )
    return ReminderSent(
        unit_id=pk(unit),
        year=year,
        missing=missing,
        members=len(due),
        reminded=len(accounts) - already,
        already_today=already,
        without_account=len(due) - len(accounts),
    )
