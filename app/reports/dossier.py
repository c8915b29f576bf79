"""The year-end dossier of a member (建档 of 建档销号): an A4 PDF with the public profile, the year's
pledges with their timelines, outcomes and villagers' ratings, and the published star history —
laid out by WeasyPrint with the CJK font embedded, as the board posters and the slips are.

Who: Permission.pledge_review on the member's branch (the secretary, the committee); 404 outside the
actor's view. No phone, ID or helped household is printed. Five queries whatever the number of
pledges (member, pledges, their events, their ratings, the star history).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import case, func, select
from sqlmodel import Session, col

from app.core.permissions import Actor, Permission, require
from app.core.time import local_display, today_local, utcnow
from app.evaluations.models import PublicRating, RatingStatus
from app.members import service as members_service
from app.org import service as org_service
from app.pledges.models import CATEGORY_LABELS, OUTCOME_LABELS, Pledge, PledgeEvent
from app.pledges.states import ACTION_LABELS, STATUS_LABELS
from app.ratings.models import STAR_LABELS, RatingPeriod, RatingResult, SubjectKind
from app.reports import stats_queries as q

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), undefined=StrictUndefined
)


def _timelines(session: Session, pledge_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    out: dict[int, list[dict[str, str]]] = defaultdict(list)
    if not pledge_ids:
        return out
    events = session.execute(
        select(PledgeEvent)
        .where(col(PledgeEvent.pledge_id).in_(pledge_ids))
        .order_by(col(PledgeEvent.pledge_id), col(PledgeEvent.seq))
    ).scalars()
    for e in events:
        out[e.pledge_id].append(
            {
                "at": local_display(e.at),
                "label": ACTION_LABELS.get(e.action, e.action),
                "actor": e.actor_name or "",
                "reason": e.reason or "",
            }
        )
    return out


def ratings_of(session: Session, pledge_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """pledge id → (satisfied, basic, unsatisfied): the villagers' counted ratings."""
    if not pledge_ids:
        return {}
    counted = col(PublicRating.status) == RatingStatus.counted.value

    def n(choice: str) -> Any:
        return func.coalesce(func.sum(case((counted & (col(PublicRating.choice) == choice), 1), else_=0)), 0)

    rows = session.execute(
        select(col(PublicRating.pledge_id), n("satisfied"), n("basic"), n("unsatisfied"))
        .where(col(PublicRating.pledge_id).in_(pledge_ids))
        .group_by(col(PublicRating.pledge_id))
    ).all()
    return {int(p): (int(a), int(b), int(c)) for p, a, b, c in rows}


def star_history(session: Session, kind: SubjectKind, subject_id: int) -> list[dict[str, Any]]:
    """The published star levels of a member or a branch, oldest period first."""
    rows = session.execute(
        select(col(RatingPeriod.title), col(RatingResult.stars))
        .join(RatingPeriod, col(RatingPeriod.id) == col(RatingResult.period_id))
        .where(
            col(RatingResult.subject_kind) == kind.value,
            col(RatingResult.subject_id) == subject_id,
            col(RatingResult.published_at).is_not(None),
            col(RatingResult.stars).is_not(None),
        )
        .order_by(col(RatingPeriod.ends_on), col(RatingPeriod.id))
    ).all()
    return [{"title": t, "stars": int(s), "label": STAR_LABELS.get(int(s), "")} for t, s in rows]


def member_html(session: Session, *, actor: Actor, member_id: int, year: int | None = None) -> tuple[str, str]:
    """(title, the dossier as print-ready HTML)."""
    member, branch = members_service.visible_member(session, actor, member_id)
    require(actor, Permission.pledge_review, branch)
    year = year or today_local().year
    group = org_service.find_unit(session, member.group_id) if member.group_id else None
    pledges = list(
        session.execute(
            select(Pledge)
            .where(col(Pledge.member_id) == member.id, col(Pledge.year) == year, q.made())
            .order_by(col(Pledge.submitted_at), col(Pledge.id))
        ).scalars()
    )
    ids = [p.id for p in pledges if p.id is not None]
    timelines, ratings = _timelines(session, ids), ratings_of(session, ids)
    items = []
    for p in pledges:
        sat = ratings.get(p.id or 0, (0, 0, 0))
        items.append(
            {
                "title": p.title,
                "content": p.content,
                "category": CATEGORY_LABELS.get(p.category, str(p.category)),
                "status": STATUS_LABELS.get(p.status, str(p.status)),
                "outcome": OUTCOME_LABELS.get(p.outcome, "") if p.outcome else "",
                "outcome_comment": p.outcome_comment or "",
                "due_date": p.due_date.isoformat(),
                "progress_count": p.progress_count,
                "rated": sum(sat) > 0,
                "satisfied": sat[0],
                "basic": sat[1],
                "unsatisfied": sat[2],
                "timeline": timelines.get(p.id or 0, []),
            }
        )
    stars = star_history(session, SubjectKind.member, int(member.id or 0))
    title = f"{member.name} {year} 年度承诺档案"
    document = render(
        "dossier_member.html",
        title=title,
        member=member,
        branch=branch.name,
        group=group.name if group else "",
        year=year,
        pledges=items,
        stars=stars,
        made_at=local_display(utcnow()),
    )
    return title, document


def member_pdf(session: Session, *, actor: Actor, member_id: int, year: int | None = None) -> tuple[str, bytes]:
    title, document = member_html(session, actor=actor, member_id=member_id, year=year)
    return title, pdf(document)


def render(template: str, **values: Any) -> str:
    return _env.get_template(template).render(**values)


def pdf(document: str) -> bytes:
    """An HTML document of ours as an A4 PDF (WeasyPrint, the CJK font embedded)."""
    from weasyprint import HTML  # lazily: pango loads only when a PDF is asked for

    data: bytes = HTML(string=document, base_url=str(TEMPLATES)).write_pdf()
    return data
