"""The SQL of the statistics: each figure is one GROUP BY over a unit's subtree, keyed by the row of the
drill-down it falls in (a child unit, or a member under a group), so the number of statements is the
same whatever the size of the town.

Every statement takes a `Keyed` — how a unit id or a member id maps to the drill-down key — and the
filters of the selection (`Selection`: the subtree, the year, and an optional quarter). The median is
computed here, in SQL, once for both databases (`median_days`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, and_, case, cast, exists, func, literal, not_, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from app.evaluations.models import PublicRating, RatingStatus
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges.models import OwnerKind, Pledge, PledgeStatus
from app.pledges.rules import OVERDUE
from app.ratings.models import PeriodKind, RatingPeriod, RatingResult

# a pledge counts once it has been reported (报诺): a draft is not yet a promise, a withdrawn one never was
NOT_MADE = (PledgeStatus.draft.value, PledgeStatus.withdrawn.value)
SELF = 0  # the key of what lives on the unit itself (本级), not in any child
TOTAL = -1  # the key of the whole subtree in the medians' statement


@dataclass(frozen=True)
class Selection:
    """What the figures are about: the subtree of `path`, pledges of `year`, and — for a quarter —
    pledges reported within [start, end), ratings of that quarter, the quarter's star levels."""

    path: str
    year: int
    period: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    today: date | None = None

    def units(self) -> Any:
        return org_service.subtree_ids([self.path])


@dataclass(frozen=True)
class Keyed:
    """The drill-down key: `child_of` maps a unit id to the child unit of the root it lies under
    (None: the root itself, key SELF); in members mode (`by_member`) the key is the member's id."""

    root_id: int
    by_member: bool

    def child_map(self) -> Any:
        """unit id → the child of the root it lies in (a sub-select joined on the unit id)."""
        table: Any = OrgUnit.__table__  # type: ignore[attr-defined]
        unit, child = table.alias("u"), table.alias("c")
        return (
            select(unit.c.id.label("unit_id"), child.c.id.label("child_id"))
            .join(child, and_(child.c.parent_id == self.root_id, unit.c.path.startswith(child.c.path)))
            .where(child.c.archived_at.is_(None))
            .subquery("child_map")
        )

    def by_unit(self, stmt: Any, unit_column: Any, member_column: Any) -> tuple[Any, Any]:
        """(the statement joined as needed, the key column) for rows carrying these columns."""
        if self.by_member:
            return stmt, func.coalesce(member_column, SELF)
        m = self.child_map()
        return stmt.outerjoin(m, m.c.unit_id == unit_column), func.coalesce(m.c.child_id, SELF)


def made() -> ColumnElement[bool]:
    return not_(col(Pledge.status).in_(NOT_MADE))


def pledge_where(sel: Selection) -> list[Any]:
    where: list[Any] = [col(Pledge.unit_id).in_(sel.units()), col(Pledge.year) == sel.year]
    if sel.start is not None and sel.end is not None:
        where += [col(Pledge.submitted_at) >= sel.start, col(Pledge.submitted_at) < sel.end]
    return where


def pledge_counts(sel: Selection, keyed: Keyed) -> Any:
    """key, status, category, outcome, count, overdue count — every pledge of the selection (drafts
    too: the status chart shows them; the other figures leave them out)."""
    assert sel.today is not None
    overdue = func.coalesce(func.sum(case((OVERDUE.sql(sel.today), 1), else_=0)), 0)
    stmt = select(col(Pledge.status), col(Pledge.category), col(Pledge.outcome), func.count(), overdue).select_from(
        Pledge
    )
    stmt, key = keyed.by_unit(stmt, col(Pledge.unit_id), col(Pledge.member_id))
    return (
        stmt.add_columns(key.label("key"))
        .where(*pledge_where(sel))
        .group_by(key, col(Pledge.status), col(Pledge.category), col(Pledge.outcome))
    )


def days_between(start: Any, end: Any, dialect: str) -> Any:
    """Days (fractional) from `start` to `end`: the one place the two databases differ."""
    if dialect == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / literal(86400.0)


def median_days(sel: Selection, keyed: Keyed, dialect: str) -> Any:
    """key, step ("publish": 报诺→亮诺, "close": 亮诺→销诺), median days — per key and for the whole
    subtree (key TOTAL). Window functions number each key's values; the median is the middle one, or
    the mean of the two middle ones."""
    arms = []
    steps = (
        ("publish", col(Pledge.submitted_at), col(Pledge.published_at), col(Pledge.published_at).is_not(None)),
        ("close", col(Pledge.published_at), col(Pledge.closed_at), col(Pledge.status) == PledgeStatus.closed.value),
    )
    for step, start, end, done in steps:
        where = [*pledge_where(sel), made(), done, start.is_not(None), end.is_not(None)]
        days = cast(days_between(start, end, dialect), Float)
        base = select(literal(step).label("step"), days.label("d")).select_from(Pledge)
        keyed_stmt, key = keyed.by_unit(base, col(Pledge.unit_id), col(Pledge.member_id))
        arms.append(keyed_stmt.add_columns(key.label("key")).where(*where))
        arms.append(base.add_columns(literal(TOTAL).label("key")).where(*where))
    values = union_all(*arms).subquery("days")
    part = (values.c.key, values.c.step)
    ranked = select(
        values.c.key,
        values.c.step,
        values.c.d,
        func.row_number().over(partition_by=part, order_by=values.c.d).label("rn"),
        func.count().over(partition_by=part).label("n"),
    ).subquery("ranked")
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    return select(ranked.c.key, ranked.c.step, func.avg(ranked.c.d)).where(middle).group_by(ranked.c.key, ranked.c.step)


def member_counts(sel: Selection, keyed: Keyed, in_subtree: ColumnElement[bool]) -> Any:
    """key, active members, those of them with at least one pledge made in the selection (anywhere:
    a member who moved keeps the pledges their old branch vetted)."""
    pledged = exists().where(
        col(Pledge.member_id) == col(Member.id),
        col(Pledge.owner_kind) == OwnerKind.member.value,
        made(),
        *pledge_where_any_unit(sel),
    )
    stmt = select(func.count(), func.coalesce(func.sum(case((pledged, 1), else_=0)), 0)).select_from(Member)
    unit = func.coalesce(col(Member.group_id), col(Member.branch_id))
    stmt, key = keyed.by_unit(stmt, unit, col(Member.id))
    return (
        stmt.add_columns(key.label("key"))
        .where(in_subtree, col(Member.status) == MemberStatus.active.value)
        .group_by(key)
    )


def pledge_where_any_unit(sel: Selection) -> list[Any]:
    where: list[Any] = [col(Pledge.year) == sel.year]
    if sel.start is not None and sel.end is not None:
        where += [col(Pledge.submitted_at) >= sel.start, col(Pledge.submitted_at) < sel.end]
    return where


def satisfaction_counts(sel: Selection, keyed: Keyed) -> Any:
    """key, choice, count of the villagers' counted ratings (the rule of app.evaluations: flagged
    ratings wait for review, discarded ones never count) in the year's quarters or the one quarter."""
    where: list[Any] = [
        col(PublicRating.status) == RatingStatus.counted.value,
        col(PublicRating.unit_id).in_(sel.units()),
    ]
    if sel.period:
        where.append(col(PublicRating.period) == sel.period)
    else:
        where.append(col(PublicRating.period).startswith(f"{sel.year}Q"))
    stmt = select(col(PublicRating.choice), func.count()).select_from(PublicRating)
    stmt, key = keyed.by_unit(stmt, col(PublicRating.unit_id), col(PublicRating.member_id))
    return stmt.add_columns(key.label("key")).where(*where).group_by(key, col(PublicRating.choice))


def _published(period_id: Any, sel: Selection) -> list[Any]:
    return [
        col(RatingResult.period_id) == period_id,
        col(RatingResult.published_at).is_not(None),
        col(RatingResult.stars).is_not(None),
        col(RatingResult.unit_id).in_(sel.units()),
    ]


def star_period(sel: Selection) -> Any:
    """The rating period the star distribution is read from: the latest one of the year (of the
    quarter) with published levels in the subtree; the year's own result before a quarter ending the
    same day."""
    p = RatingPeriod
    where: list[Any] = [col(p.year) == sel.year, exists().where(*_published(col(p.id), sel))]
    if sel.period:
        where += [col(p.kind) == PeriodKind.quarter.value, col(p.quarter) == int(sel.period[-1])]
    year_first = case((col(p.kind) == PeriodKind.year.value, 0), else_=1)
    return (
        select(col(p.id), col(p.title))
        .where(*where)
        .order_by(col(p.ends_on).desc(), year_first, col(p.id).desc())
        .limit(1)
    )


def star_counts(sel: Selection, keyed: Keyed, period_id: int) -> Any:
    """key, subject kind, subject id (branches only, else 0), stars, count of published levels."""
    r = RatingResult
    branch = case((col(r.subject_kind) == "branch", col(r.subject_id)), else_=0)
    stmt = select(col(r.subject_kind), branch, col(r.stars), func.count()).select_from(r)
    member = case((col(r.subject_kind) == "member", col(r.subject_id)), else_=None)
    stmt, key = keyed.by_unit(stmt, col(r.unit_id), member)
    return (
        stmt.add_columns(key.label("key"))
        .where(*_published(period_id, sel))
        .group_by(key, col(r.subject_kind), branch, col(r.stars))
    )
