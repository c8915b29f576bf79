"""The year-end dossier of a branch (建档 of 建档销号): an A4 PDF with the branch's figures for the
year (members, participation, pledges and their outcomes, overdue, the villagers' satisfaction), a
row per member (group, post, pledges, closed and how, satisfaction, stars), the branch's collective
pledges (its own and its groups'), and the star levels of the branch and of its members.

Who: Permission.pledge_review on the branch (its secretary, the committee above it); 404 outside the
actor's view; a unit that is not a branch is a 422. The figures are the statistics' own (`stats.stats`
in members mode: the same fixed GROUP BY statements), plus four statements (the members' groups and
posts, the collective pledges, their ratings, the branch's star history) — whatever the size.

Layout: WeasyPrint lays a long table out in time that grows faster than its rows (the slips' lesson),
so the members and the collective pledges are cut into tables of at most a page each.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.errors import Unprocessable
from app.core.permissions import Actor, Permission, require
from app.core.time import local_display, today_local, utcnow
from app.evaluations import formula
from app.members import service as members_service
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges.models import CATEGORY_LABELS, OUTCOME_LABELS, OwnerKind, Pledge
from app.pledges.states import STATUS_LABELS
from app.ratings.models import STAR_LABELS, SubjectKind
from app.reports import dossier, stats
from app.reports import stats_queries as q
from app.reports.schemas_stats import Figures

MEMBERS_PER_PAGE = 32
PLEDGES_PER_PAGE = 12


def _pages(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 1000) / 10:g}%"


def _satisfaction(s: int, b: int, u: int) -> str:
    value = formula.percent(s, b, u)
    return "—" if value is None else f"{value}%"


def branch_of_dossier(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """The branch asked for: 404 outside the actor's view, 403 without pledge.review, 422 not a branch."""
    unit = org_service.visible_unit(session, actor, unit_id)
    require(actor, Permission.pledge_review, unit)
    if unit.kind != UnitKind.branch.value:
        raise Unprocessable("年度档案按党支部建立，请选择一个党支部", code="dossier_not_branch")
    return unit


def _figures(f: Figures) -> dict[str, Any]:
    s = f.satisfaction
    return {
        "members": f.members,
        "members_pledged": f.members_pledged,
        "participation": _pct(f.participation_rate),
        "pledges": f.pledges,
        "closed": f.closed,
        "kept": f.kept,
        "partly_kept": f.partly_kept,
        "not_kept": f.not_kept,
        "kept_rate": _pct(f.kept_rate),
        "overdue": f.overdue,
        "to_publish": "—" if f.median_days_to_publish is None else f"{f.median_days_to_publish:g} 天",
        "to_close": "—" if f.median_days_to_close is None else f"{f.median_days_to_close:g} 天",
        "satisfied": s.satisfied,
        "basic": s.basic,
        "unsatisfied": s.unsatisfied,
        "rated": s.satisfied + s.basic + s.unsatisfied,
        "satisfaction": _satisfaction(s.satisfied, s.basic, s.unsatisfied),
    }


def branch_html(session: Session, *, actor: Actor, unit_id: int, year: int | None = None) -> tuple[str, str]:
    """(title, the branch's dossier as print-ready HTML)."""
    branch = branch_of_dossier(session, actor, unit_id)
    assert branch.id is not None
    year = year or today_local().year
    figures = stats.stats(session, actor=actor, unit_id=branch.id, year=year, members=True)
    in_branch = members_service.in_subtrees_sql(session, [branch.path])
    people = {
        int(i): (g, post)
        for i, g, post in session.execute(
            select(col(Member.id), col(Member.group_id), col(Member.post)).where(
                in_branch, col(Member.status) == MemberStatus.active.value
            )
        )
    }
    groups = {u.id: u.name for u in org_service.subtree(session, branch)}
    members = []
    for row in figures.rows:
        if row.kind != "member":
            continue
        group_id, post = people.get(row.id, (None, ""))
        members.append(
            {
                "name": row.name,
                "group": groups.get(group_id, "") if group_id else "",
                "post": post or "",
                "stars": "★" * row.level if row.level else "",
                **_figures(row),
            }
        )
    collective = list(
        session.execute(
            select(Pledge)
            .where(
                col(Pledge.owner_kind) == OwnerKind.unit.value,
                col(Pledge.unit_id).in_(org_service.subtree_ids([branch.path])),
                col(Pledge.year) == year,
                q.made(),
            )
            .order_by(col(Pledge.submitted_at), col(Pledge.id))
        ).scalars()
    )
    ratings = dossier.ratings_of(session, [p.id for p in collective if p.id is not None])
    pledges = []
    for p in collective:
        sat = ratings.get(p.id or 0, (0, 0, 0))
        pledges.append(
            {
                "title": p.title,
                "unit": groups.get(p.unit_id, ""),
                "category": CATEGORY_LABELS.get(p.category, str(p.category)),
                "status": STATUS_LABELS.get(p.status, str(p.status)),
                "outcome": OUTCOME_LABELS.get(p.outcome, "") if p.outcome else "",
                "due_date": p.due_date.isoformat(),
                "published": local_display(p.published_at) if p.published_at else "",
                "progress_count": p.progress_count,
                "rated": sum(sat),
                "satisfied": sat[0],
                "basic": sat[1],
                "unsatisfied": sat[2],
                "satisfaction": _satisfaction(*sat),
            }
        )
    stars = sorted(((int(k), n) for k, n in figures.stars.items()), reverse=True)
    parents = org_service.units_by_id(session, org_service.ancestor_ids(branch))
    above = " / ".join(parents[i].name for i in org_service.ancestor_ids(branch) if i in parents and i != branch.id)
    title = f"{branch.name} {year} 年度承诺档案"
    document = dossier.render(
        "dossier_branch.html",
        title=title,
        branch=branch.name,
        above=above,
        year=year,
        total=_figures(figures),
        level="★" * figures.level if figures.level else "",
        level_label=STAR_LABELS.get(figures.level, "") if figures.level else "",
        star_period=figures.star_period_title or "",
        star_counts=[{"stars": "★" * k, "label": STAR_LABELS.get(k, ""), "n": n} for k, n in stars],
        history=dossier.star_history(session, SubjectKind.branch, branch.id),
        member_pages=_pages(members, MEMBERS_PER_PAGE),
        pledge_pages=_pages(pledges, PLEDGES_PER_PAGE),
        formula=formula.TEXT,
        made_at=local_display(utcnow()),
    )
    return title, document


def branch_pdf(session: Session, *, actor: Actor, unit_id: int, year: int | None = None) -> tuple[str, bytes]:
    title, document = branch_html(session, actor=actor, unit_id=unit_id, year=year)
    return title, dossier.pdf(document)
