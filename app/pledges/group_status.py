"""The group leader's view (党小组情况): who in a group (or a branch) has pledged this year and who has
reported progress this month.

One GROUP BY over the pledges per member, joined to the group's active members: a page costs three
statements whatever the group's size (the page, its count, the whole group's totals), after the unit is
loaded. Permission: `group.status` on the unit (the group leader on their group, the secretary and
the committee above it), through `require()`.

"Pledged" is a personal pledge of the year that has been submitted (报诺) at least: a draft or a
withdrawn one does not count. "Reported this month" is a progress report since the first of the
month, China time, on any of the member's pledges (`pledge.last_progress_at`, kept by every report).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from app.core.errors import Unprocessable
from app.core.pagination import PageParams
from app.core.permissions import Actor, Permission, require
from app.core.time import CHINA_TZ, today_local
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges.models import OwnerKind, Pledge, PledgeStatus
from app.pledges.rules import IN_YEAR, PUBLIC
from app.pledges.schemas_group import GroupStatusPage, MemberPledgeStatus

Missing = Literal["pledge", "report", "published"]

# a pledge that was never submitted (or taken back before approval) is not yet a pledge made
NOT_PLEDGED = (PledgeStatus.draft.value, PledgeStatus.withdrawn.value)
STATUS_UNITS = (UnitKind.group, UnitKind.branch)


def month_start(today: Any = None) -> datetime:
    """The first moment of this month in China time, as aware UTC (what `last_progress_at` holds)."""
    day = today or today_local()
    return datetime(day.year, day.month, 1, tzinfo=CHINA_TZ).astimezone(UTC)


def _unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    unit = org_service.visible_unit(session, actor, unit_id)
    require(actor, Permission.group_status, unit)
    if unit.kind not in STATUS_UNITS:
        raise Unprocessable("请选择一个党小组或党支部", code="group_status_bad_unit")
    return unit


def group_status(
    session: Session,
    *,
    actor: Actor,
    unit_id: int,
    params: PageParams,
    missing: Missing | None = None,
    year: int | None = None,
) -> GroupStatusPage:
    """The unit's active members, each with their pledges of the year (this year unless `year`) and
    their last report; those who have not pledged first, then those who have not reported this month,
    then by name. `missing="published"`: those without a pledge of the year on the boards (承诺覆盖)."""
    unit = _unit(session, actor, unit_id)
    today = today_local()
    since = month_start(today)
    year = year or today.year
    per_member = (
        select(
            col(Pledge.member_id).label("member_id"),
            func.sum(case((and_(IN_YEAR.sql(year), col(Pledge.status).not_in(NOT_PLEDGED)), 1), else_=0)).label(
                "pledges"
            ),
            func.sum(case((and_(IN_YEAR.sql(year), PUBLIC.sql()), 1), else_=0)).label("published"),
            func.max(col(Pledge.last_progress_at)).label("last_report_at"),
        )
        .where(col(Pledge.owner_kind) == OwnerKind.member.value, col(Pledge.member_id).is_not(None))
        .group_by(col(Pledge.member_id))
        .subquery()
    )
    pledges = func.coalesce(per_member.c.pledges, 0)
    pledged = case((pledges > 0, 1), else_=0)
    reported = case((per_member.c.last_report_at >= since, 1), else_=0)
    published = case((func.coalesce(per_member.c.published, 0) > 0, 1), else_=0)
    in_unit = col(Member.group_id) == unit.id if unit.kind == UnitKind.group else col(Member.branch_id) == unit.id
    base = (
        select(
            col(Member.id),
            col(Member.name),
            col(Member.post),
            col(Member.public_title),
            pledges.label("pledges"),
            per_member.c.last_report_at,
            pledged.label("pledged"),
            reported.label("reported"),
            published.label("published"),
        )
        .outerjoin(per_member, per_member.c.member_id == col(Member.id))
        .where(in_unit, col(Member.status) == MemberStatus.active.value)
    )

    totals = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(pledged), 0),
            func.coalesce(func.sum(reported), 0),
            func.coalesce(func.sum(published), 0),
        )
        .select_from(Member)
        .outerjoin(per_member, per_member.c.member_id == col(Member.id))
        .where(in_unit, col(Member.status) == MemberStatus.active.value)
    ).one()
    members, with_pledge, with_report, with_published = (int(v or 0) for v in totals)

    listed = base
    if missing == "pledge":
        listed = listed.where(pledged == 0)
        total = members - with_pledge
    elif missing == "report":
        listed = listed.where(reported == 0)
        total = members - with_report
    elif missing == "published":
        listed = listed.where(published == 0)
        total = members - with_published
    else:
        total = members
    rows = session.execute(
        listed.order_by(pledged, reported, col(Member.name), col(Member.id)).limit(params.size).offset(params.offset)
    ).all()
    items = [
        MemberPledgeStatus(
            member_id=r.id,
            name=r.name,
            post=r.post,
            public_title=r.public_title,
            pledges=int(r.pledges or 0),
            pledged=bool(r.pledged),
            last_report_at=r.last_report_at,
            reported_this_month=bool(r.reported),
            published=bool(r.published),
        )
        for r in rows
    ]
    return GroupStatusPage(
        unit_id=unit.id or 0,
        unit_name=unit.name,
        unit_kind=unit.kind,
        year=year,
        month=today.month,
        members=members,
        pledged=with_pledge,
        reported=with_report,
        published=with_published,
        items=items,
        total=total,
        page=params.page,
        size=params.size,
        pages=(total + params.size - 1) // params.size,
    )
