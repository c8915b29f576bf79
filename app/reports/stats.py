"""Statistics for the committee and the secretaries (`GET /stats`): one unit's subtree for a year or a
quarter, and one row per child unit — or per member, under a group or a branch without groups — for
the drill-down (town → branch → group → member).

Who: Permission.pledge_review on the unit (the committee in its subtree, a secretary in their
branch); 404 outside what the actor sees. The figures come from a fixed number of GROUP BY
statements (stats_queries), whatever the number of members or pledges; Python only adds up their
rows. The rules are the domains' own: overdue is `pledges.rules.OVERDUE`, satisfaction the score of
`evaluations.summaries.SCORES` over counted ratings, star levels only published ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.errors import NotFound
from app.core.permissions import ROOT_PATH, Actor, Permission, allowed, require
from app.core.time import today_local
from app.evaluations.models import SATISFACTION_LABELS, Satisfaction
from app.evaluations.periods import period_bounds
from app.evaluations.summaries import SCORES
from app.members import service as members_service
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import UNIT_KIND_LABELS, OrgUnit, UnitKind
from app.pledges.models import CATEGORY_LABELS, OUTCOME_LABELS, PledgeOutcome
from app.pledges.states import STATUS_LABELS
from app.reports import stats_queries as q
from app.reports.schemas_stats import Figures, StatsRead, StatsRow, StatsUnit

PERMISSION = Permission.pledge_review
SELF_NAME = "本级"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def root_unit(session: Session, actor: Actor, unit_id: int | None) -> OrgUnit:
    """The unit asked for (404 outside the actor's view, 403 without pledge.review there), or the top
    of the actor's own scope."""
    if unit_id is not None:
        unit = org_service.visible_unit(session, actor, unit_id)
        require(actor, PERMISSION, unit)
        return unit
    paths = org_service.scope_for(session, actor, PERMISSION)
    if paths[0] == ROOT_PATH:
        root = org_service.first_root(session)
        if root is None:
            raise NotFound("还没有组织", code="org.empty")
        return root
    return org_service.get_unit(session, int(paths[0].strip("/").rsplit("/", 1)[-1]))


def _unit(u: OrgUnit) -> StatsUnit:
    assert u.id is not None
    kind = UnitKind(u.kind)
    return StatsUnit(id=u.id, name=u.name, kind=kind.value, kind_label=UNIT_KIND_LABELS[kind], parent_id=u.parent_id)


def _breadcrumbs(session: Session, actor: Actor, unit: OrgUnit) -> list[StatsUnit]:
    above = org_service.units_by_id(session, org_service.ancestor_ids(unit))
    return [
        _unit(above[i]) for i in org_service.ancestor_ids(unit) if i in above and allowed(actor, PERMISSION, above[i])
    ]


def _add_pledges(figs: Figures, status: str, category: str, outcome: str | None, n: int, overdue: int) -> None:
    figs.by_status[status] = figs.by_status.get(status, 0) + n
    if status in q.NOT_MADE:
        return
    figs.pledges += n
    figs.by_category[category] = figs.by_category.get(category, 0) + n
    figs.overdue += overdue
    if status == "closed":
        figs.closed += n
        if outcome in {o.value for o in PledgeOutcome}:
            setattr(figs, str(outcome), getattr(figs, str(outcome)) + n)


def _finish(figs: Figures) -> None:
    figs.participation_rate = _rate(figs.members_pledged, figs.members)
    figs.fulfilment_rate = _rate(figs.closed, figs.pledges)
    judged = figs.kept + figs.partly_kept + figs.not_kept
    figs.kept_rate = _rate(figs.kept, judged)
    figs.partly_kept_rate = _rate(figs.partly_kept, judged)
    figs.not_kept_rate = _rate(figs.not_kept, judged)
    s = figs.satisfaction
    s.total = s.satisfied + s.basic + s.unsatisfied
    if s.total:
        points = (
            s.satisfied * SCORES[Satisfaction.satisfied]
            + s.basic * SCORES[Satisfaction.basic]
            + s.unsatisfied * SCORES[Satisfaction.unsatisfied]
        )
        s.score = round(points / s.total, 1)


def _labels() -> dict[str, dict[str, str]]:
    return {
        "status": {k.value: v for k, v in STATUS_LABELS.items()},
        "category": {k.value: v for k, v in CATEGORY_LABELS.items()},
        "outcome": {k.value: v for k, v in OUTCOME_LABELS.items()},
        "satisfaction": {k.value: v for k, v in SATISFACTION_LABELS.items()},
    }


def _row_heads(
    session: Session, unit: OrgUnit, in_subtree: Any, *, members: bool = False
) -> tuple[bool, dict[int, StatsRow]]:
    """The drill-down's rows before their figures: the unit's children, else (or when `members`) its
    active members."""
    assert unit.id is not None
    children = (
        []
        if members
        else list(
            session.execute(
                select(OrgUnit)
                .where(col(OrgUnit.parent_id) == unit.id, col(OrgUnit.archived_at).is_(None))
                .order_by(col(OrgUnit.sort_order), col(OrgUnit.id))
            ).scalars()
        )
    )
    if children:
        return False, {
            c.id: StatsRow(kind="unit", id=c.id, name=c.name, unit_kind=c.kind, has_children=True)
            for c in children
            if c.id is not None
        }
    people = session.execute(
        select(col(Member.id), col(Member.name))
        .where(in_subtree, col(Member.status) == MemberStatus.active.value)
        .order_by(col(Member.name), col(Member.id))
    ).all()
    return True, {int(i): StatsRow(kind="member", id=int(i), name=str(n)) for i, n in people}


def _row(rows: dict[int, StatsRow], key: int, unit: OrgUnit) -> StatsRow:
    """The row of a key; what lives on the unit itself (or with a member no longer in it) goes to a
    本级 row made on first use."""
    if key in rows and rows[key].kind != "self":
        return rows[key]
    if q.SELF not in rows:
        assert unit.id is not None
        rows[q.SELF] = StatsRow(kind="self", id=unit.id, name=SELF_NAME, unit_kind=unit.kind)
    return rows[q.SELF]


def stats(
    session: Session,
    *,
    actor: Actor,
    unit_id: int | None = None,
    year: int | None = None,
    period: str | None = None,
    members: bool = False,
) -> StatsRead:
    """The figures of a unit's subtree and of each row of its drill-down. `period` ("2026Q3") narrows
    the year to pledges reported in that quarter, its ratings and its star levels. `members`: one row
    per active member of the whole subtree whatever its children (the branch's dossier)."""
    unit = root_unit(session, actor, unit_id)
    assert unit.id is not None
    start: datetime | None = None
    end: datetime | None = None
    if period:
        start, end = period_bounds(period)
        year = int(period[:4])
    else:
        year = year or today_local().year
    sel = q.Selection(path=unit.path, year=year, period=period, start=start, end=end, today=today_local())
    in_subtree = members_service.in_subtrees_sql(session, [unit.path])
    by_member, rows = _row_heads(session, unit, in_subtree, members=members)
    keyed = q.Keyed(root_id=unit.id, by_member=by_member)
    total = Figures()
    dialect = session.get_bind().dialect.name

    for status, category, outcome, n, overdue, key in session.execute(q.pledge_counts(sel, keyed)):
        for figs in (total, _row(rows, int(key), unit)):
            _add_pledges(figs, str(status), str(category), outcome, int(n), int(overdue))

    for n, pledged, key in session.execute(q.member_counts(sel, keyed, in_subtree)):
        for figs in (total, _row(rows, int(key), unit)):
            figs.members += int(n)
            figs.members_pledged += int(pledged)

    for key, step, days in session.execute(q.median_days(sel, keyed, dialect)):
        figs = total if int(key) == q.TOTAL else _row(rows, int(key), unit)
        value = round(float(days), 1)
        if step == "publish":
            figs.median_days_to_publish = value
        else:
            figs.median_days_to_close = value

    for choice, n, key in session.execute(q.satisfaction_counts(sel, keyed)):
        for figs in (total, _row(rows, int(key), unit)):
            setattr(figs.satisfaction, str(choice), getattr(figs.satisfaction, str(choice)) + int(n))

    star_title = None
    found = session.execute(q.star_period(sel)).first()
    if found is not None:
        star_title = str(found[1])
        for kind, branch_id, stars, n, key in session.execute(q.star_counts(sel, keyed, int(found[0]))):
            if kind == "branch":
                if branch_id == unit.id:
                    total.level = int(stars)
                elif int(branch_id) in rows:
                    rows[int(branch_id)].level = int(stars)
                continue
            for figs in (total, _row(rows, int(key), unit)):
                figs.stars[str(stars)] = figs.stars.get(str(stars), 0) + int(n)
            if by_member and int(key) in rows:
                rows[int(key)].level = int(stars)

    _finish(total)
    for row in rows.values():
        _finish(row)
    return StatsRead(
        **total.model_dump(),
        unit=_unit(unit),
        path=_breadcrumbs(session, actor, unit),
        year=year,
        period=period,
        star_period_title=star_title,
        rows_kind="members" if by_member else "units",
        rows=list(rows.values()),
        labels=_labels(),
    )
