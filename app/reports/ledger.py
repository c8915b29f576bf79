"""The pledge ledger (承诺台账) of a unit's subtree for a year (or a quarter): one row per pledge made
(drafts and withdrawn ones are not pledges yet) with its owner, group, branch, category, post, the
date of each step, status, overdue, outcome, progress count, the villagers' counted ratings and the
last progress report.

One SELECT (the ratings and the last progress report joined as grouped sub-selects), read in batches
(`yield_per`) and written row by row (app.reports.sheets), so 200 k rows stay in flat memory. Who:
Permission.pledge_review on the unit, as the statistics. A pairing's helped household never appears.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from app.core.permissions import Actor
from app.core.time import today_local
from app.evaluations.models import PublicRating, RatingStatus
from app.evaluations.periods import period_bounds
from app.members.models import Member
from app.org.models import OrgUnit, UnitKind
from app.pledges.models import CATEGORY_LABELS, OUTCOME_LABELS, OwnerKind, Pledge, PledgeProgress
from app.pledges.rules import OVERDUE
from app.pledges.states import STATUS_LABELS
from app.reports import stats_queries as q
from app.reports.stats import root_unit

HEADER = [
    "党支部",
    "党小组",
    "承诺人",
    "个人/集体",
    "类别",
    "岗位",
    "承诺事项",
    "承诺内容",
    "承诺期限",
    "报诺时间",
    "定诺时间",
    "亮诺公示时间",
    "销诺时间",
    "状态",
    "是否逾期",
    "兑现结果",
    "核实意见",
    "进展次数",
    "群众满意",
    "基本满意",
    "不满意",
    "最近进展",
    "最近进展时间",
]
WIDTHS = [22, 14, 12, 9, 10, 14, 28, 40, 11, 17, 17, 17, 17, 10, 8, 10, 20, 8, 8, 8, 8, 40, 17]
BATCH = 2000


def selection(
    session: Session, *, actor: Actor, unit_id: int | None, year: int | None, period: str | None
) -> tuple[OrgUnit, q.Selection]:
    """The unit (404/403 as the statistics) and what to export."""
    unit = root_unit(session, actor, unit_id)
    if period:
        start, end = period_bounds(period)
        return unit, q.Selection(path=unit.path, year=int(period[:4]), period=period, start=start, end=end)
    return unit, q.Selection(path=unit.path, year=year or today_local().year)


def _statement(sel: q.Selection) -> Any:
    branch = OrgUnit.__table__.alias("branch")  # type: ignore[attr-defined]
    home = OrgUnit.__table__.alias("home")  # type: ignore[attr-defined]
    pledges = select(col(Pledge.id)).where(*q.pledge_where(sel), q.made())
    counted = col(PublicRating.status) == RatingStatus.counted.value

    def by_choice(choice: str) -> Any:
        return func.coalesce(func.sum(case((counted & (col(PublicRating.choice) == choice), 1), else_=0)), 0)

    ratings = (
        select(
            col(PublicRating.pledge_id).label("pledge_id"),
            by_choice("satisfied").label("satisfied"),
            by_choice("basic").label("basic"),
            by_choice("unsatisfied").label("unsatisfied"),
        )
        .where(col(PublicRating.pledge_id).in_(pledges))
        .group_by(col(PublicRating.pledge_id))
        .subquery("ratings")
    )
    latest = (
        select(col(PledgeProgress.pledge_id).label("pledge_id"), func.max(col(PledgeProgress.id)).label("progress_id"))
        .where(col(PledgeProgress.pledge_id).in_(pledges))
        .group_by(col(PledgeProgress.pledge_id))
        .subquery("latest")
    )
    overdue = case((OVERDUE.sql(today_local()), 1), else_=0)
    return (
        select(
            branch.c.name,
            case((home.c.kind == UnitKind.group.value, home.c.name), else_=""),
            func.coalesce(col(Member.name), home.c.name),
            col(Pledge.owner_kind),
            col(Pledge.category),
            col(Pledge.post),
            col(Pledge.title),
            col(Pledge.content),
            col(Pledge.due_date),
            col(Pledge.submitted_at),
            col(Pledge.approved_at),
            col(Pledge.published_at),
            col(Pledge.closed_at),
            col(Pledge.status),
            overdue,
            col(Pledge.outcome),
            col(Pledge.outcome_comment),
            col(Pledge.progress_count),
            func.coalesce(ratings.c.satisfied, 0),
            func.coalesce(ratings.c.basic, 0),
            func.coalesce(ratings.c.unsatisfied, 0),
            col(PledgeProgress.text),
            col(PledgeProgress.created_at),
        )
        .select_from(Pledge)
        .join(branch, branch.c.id == col(Pledge.branch_id))
        .join(home, home.c.id == col(Pledge.unit_id))
        .outerjoin(Member, col(Member.id) == col(Pledge.member_id))
        .outerjoin(ratings, ratings.c.pledge_id == col(Pledge.id))
        .outerjoin(latest, latest.c.pledge_id == col(Pledge.id))
        .outerjoin(PledgeProgress, col(PledgeProgress.id) == latest.c.progress_id)
        .where(*q.pledge_where(sel), q.made())
        .order_by(branch.c.path, home.c.path, col(Pledge.id))
    )


def count(session: Session, sel: q.Selection) -> int:
    """How many rows the ledger has (for a progress bar)."""
    return int(session.execute(select(func.count()).where(*q.pledge_where(sel), q.made())).scalar_one())


def rows(session: Session, sel: q.Selection) -> Iterator[list[Any]]:
    """The ledger's rows, in Chinese words, read in batches."""
    result = session.execute(_statement(sel).execution_options(yield_per=BATCH))
    for r in result:
        row = list(r)
        row[3] = "集体" if row[3] == OwnerKind.unit.value else "个人"
        row[4] = CATEGORY_LABELS.get(row[4], row[4])
        row[13] = STATUS_LABELS.get(row[13], row[13])
        row[14] = "是" if row[14] else "否"
        row[15] = OUTCOME_LABELS.get(row[15], "") if row[15] else ""
        yield row


def filename(unit: OrgUnit, sel: q.Selection, fmt: str) -> str:
    when = f"{sel.year}年第{sel.period[-1]}季度" if sel.period else f"{sel.year}年"
    return f"{unit.name}{when}承诺台账.{fmt}"
