"""The public 比学赶超 ranking of a town's branches (PK台, 002 "在一个PK台上'晒成绩'"): what it shows,
and the committee's decision to publish it (one publication per committee and year, its token the
page's address /r/{token}; publish and withdraw through the lifecycle engine, each an event).

Per branch, only figures — never a person: the year's score and star level (the committee's year
period, published levels only), the decided tier (先进 / 一般 / 后进, 一般（已摘帽）), pledge coverage
(active members with at least one of the year's pledges on the boards ÷ active members), the kept rate
(the year's closed pledges kept ÷ closed) and the villagers' 满意度 (app/evaluations/formula.py, over
people — distinct phones, each by its latest choice — in the year's rating periods, shown only from
MIN_PUBLIC_RATINGS people up, as on the boards). Branches are ordered by the year appraisal score
(app/appraisal/year_appraisal.py: the star score with the year's 述职评议 by the policy's weight; the
star score alone without 述职), without a published score last, then by name; a row shows both parts.
Every figure is one GROUP BY over the committee's branches: the view costs six statements whatever the
town's size, one more for the year's closed 述职 reports and three more when there are any (the policy
that says whether the committee's scores are trimmed, their GROUP BY, the representatives' GROUP BY).
A year without a single year pledge on the boards (a year before the town used Liangnuo) shows no
coverage and kept rate: unknown, not 0 %.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from app.appraisal import tiers, tiers_states, year_appraisal
from app.appraisal.models_tiers import (
    RANKING_STATUS_LABELS,
    BranchTier,
    RankingEvent,
    RankingPublication,
    RankingStatus,
)
from app.appraisal.tiers_states import RankingAction, Who
from app.core import chain, lifecycle
from app.core.errors import NotFound
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, require
from app.core.time import utcnow
from app.evaluations import formula
from app.evaluations.models import PublicRating
from app.evaluations.public import MIN_PUBLIC_RATINGS, in_year, latest_per_device
from app.evaluations.schemas import SatisfactionCounts
from app.members.models import Member, MemberStatus
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.pledges.models import OwnerKind, Pledge, PledgeKind, PledgeOutcome, PledgeStatus
from app.pledges.rules import PUBLIC
from app.ratings.models import STAR_LABELS, PeriodKind, RatingPeriod, RatingResult, SubjectKind
from app.ratings.periods import actor_name
from app.ratings.rules import PolicyRules

CHAIN = chain.Spec.lifecycle("ranking", "publication_id")


@dataclass
class RankingRow:
    rank: int | None  # None without a published year score
    branch_id: int
    branch_name: str
    score: float | None  # the year appraisal score (year_appraisal.py), which orders the rows
    star_score: float | None  # the year's star score (published)
    debrief_score: float | None  # the year's 述职评议 (0–100); None without a closed round
    stars: int | None
    stars_label: str
    tier_label: str
    members: int
    covered: int
    coverage: float | None  # percent, one decimal
    closed: int
    kept: int
    kept_rate: float | None
    raters: int
    satisfaction: int | None  # percent; None below MIN_PUBLIC_RATINGS people


@dataclass
class RankingView:
    unit_name: str
    year: int
    title: str
    period_title: str | None
    rows: list[RankingRow] = field(default_factory=list)
    formula: str = formula.TEXT
    min_raters: int = MIN_PUBLIC_RATINGS
    # whether the town has the year's pledges at all (a public or closed one): a year before the town
    # used Liangnuo has none, and its coverage and kept rate are unknown, not 0 %
    pledges_recorded: bool = True
    score_rule: str = ""  # how the year appraisal score is reached, in Chinese


def _rate(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def year_period(session: Session, committee: OrgUnit, year: int) -> RatingPeriod | None:
    """The committee's year period of `year` (its published results are the ranking's scores)."""
    stmt = select(RatingPeriod).where(
        col(RatingPeriod.unit_id) == committee.id,
        col(RatingPeriod.kind) == PeriodKind.year.value,
        col(RatingPeriod.year) == year,
    )
    return session.execute(stmt).scalars().first()


def view(session: Session, committee: OrgUnit, year: int, title: str | None = None) -> RankingView:
    """The ranking of the committee's branches for `year` (no permission check: a published
    publication's page, or the committee's preview, decides who reads it)."""
    branches = {
        int(b.id or 0): b
        for b in session.execute(
            select(OrgUnit).where(
                col(OrgUnit.kind) == UnitKind.branch,
                col(OrgUnit.path).startswith(committee.path),
                col(OrgUnit.archived_at).is_(None),
            )
        ).scalars()
    }
    ids = list(branches)
    period = year_period(session, committee, year)
    scores: dict[int, tuple[float, int]] = {}
    if period is not None and ids:
        for sid, score, stars in session.execute(
            select(col(RatingResult.subject_id), col(RatingResult.score), col(RatingResult.stars)).where(
                col(RatingResult.period_id) == period.id,
                col(RatingResult.subject_kind) == SubjectKind.branch.value,
                col(RatingResult.published_at).is_not(None),
                col(RatingResult.subject_id).in_(ids),
            )
        ).all():
            scores[int(sid)] = (float(score), int(stars))
    rules = PolicyRules.model_validate((period.policy_snapshot if period is not None else None) or {})
    appraised = year_appraisal.year_appraisals(session, committee, year, {b: s for b, (s, _) in scores.items()}, rules)
    tier_of = {
        t.branch_id: tiers.tier_label(t)
        for t in session.execute(
            select(BranchTier).where(
                col(BranchTier.year) == year,
                col(BranchTier.branch_id).in_(ids),
                col(BranchTier.status).in_([s.value for s in tiers_states.DECIDED]),
            )
        ).scalars()
    }
    # coverage: per member, whether one of the year's personal pledges is on the boards
    per = (
        select(col(Pledge.member_id).label("member_id"), func.max(case((PUBLIC.sql(), 1), else_=0)).label("pub"))
        .where(col(Pledge.owner_kind) == OwnerKind.member.value, col(Pledge.year) == year)
        .group_by(col(Pledge.member_id))
        .subquery()
    )
    coverage = {
        int(b): (int(n), int(c or 0))
        for b, n, c in session.execute(
            select(col(Member.branch_id), func.count(), func.sum(func.coalesce(per.c.pub, 0)))
            .select_from(Member)
            .outerjoin(per, per.c.member_id == col(Member.id))
            .where(col(Member.status) == MemberStatus.active.value, col(Member.branch_id).in_(ids))
            .group_by(col(Member.branch_id))
        ).all()
    }
    # per branch, over the year's pledges: closed, of them kept, and whether a year pledge is on the
    # boards (a year before the town used Liangnuo has none; a term pledge spans years)
    closed_ = col(Pledge.status) == PledgeStatus.closed.value
    on_the_boards = (col(Pledge.kind) == PledgeKind.year.value) & PUBLIC.sql()
    kept: dict[int, tuple[int, int]] = {}
    recorded = False
    for b, n, k, on_boards in session.execute(
        select(
            col(Pledge.branch_id),
            func.sum(case((closed_, 1), else_=0)),
            func.sum(case((closed_ & (col(Pledge.outcome) == PledgeOutcome.kept.value), 1), else_=0)),
            func.max(case((on_the_boards, 1), else_=0)),
        )
        .where(col(Pledge.year) == year, col(Pledge.branch_id).in_(ids))
        .group_by(col(Pledge.branch_id))
    ).all():
        kept[int(b)] = (int(n or 0), int(k or 0))
        recorded = recorded or bool(on_boards)
    people = latest_per_device(in_year(year), col(PublicRating.branch_id).in_(ids))
    counts: dict[int, SatisfactionCounts] = {}
    for b, choice, n in session.execute(
        select(people.c.branch_id, people.c.choice, func.count()).group_by(people.c.branch_id, people.c.choice)
    ).all():
        counts.setdefault(int(b), SatisfactionCounts()).add(choice, n)

    rows = []
    for bid, branch in branches.items():
        star_score, stars = scores.get(bid, (None, None))
        a = appraised.get(bid)
        members, covered = coverage.get(bid, (0, 0))
        closed, kept_n = kept.get(bid, (0, 0))
        c = counts.get(bid)
        raters = c.total if c else 0
        shown = c is not None and raters >= MIN_PUBLIC_RATINGS
        rows.append(
            RankingRow(
                rank=None,
                branch_id=bid,
                branch_name=branch.name,
                score=a.score if a else None,
                star_score=star_score,
                debrief_score=a.debrief_score if a else None,
                stars=stars,
                stars_label=STAR_LABELS[stars] if stars else "未公布",
                tier_label=tier_of.get(bid, "未评定"),
                members=members,
                covered=covered,
                coverage=_rate(covered, members) if recorded else None,
                closed=closed,
                kept=kept_n,
                kept_rate=_rate(kept_n, closed),
                raters=raters,
                satisfaction=formula.percent(c.satisfied, c.basic, c.unsatisfied) if c is not None and shown else None,
            )
        )
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.branch_name, r.branch_id))
    place = 0
    previous: float | None = None
    for index, r in enumerate(rows, start=1):
        if r.score is None:
            break
        if r.score != previous:  # equal scores share a place (1, 2, 2, 4)
            place = index
        r.rank, previous = place, r.score
    published = period is not None and any(s is not None for s, _ in scores.values())
    return RankingView(
        unit_name=committee.name,
        year=year,
        title=title or f"{committee.name}{year}年度比学赶超排行榜",
        period_title=period.title if period is not None and published else None,
        rows=rows,
        pledges_recorded=recorded,
        score_rule=year_appraisal.rule_text(rules) if published else "",
    )


# ---------------------------------------------------------------- the publication decision


def _authorize(actor: Actor, subject: tuple[RankingPublication, OrgUnit], who: Any) -> None:
    assert who == Who.admin
    require(actor, Permission.rating_admin, subject[1])


def _enter(_session: Session, step: lifecycle.Step[Any, RankingStatus, RankingAction]) -> None:
    publication = step.subject[0]
    if step.row.action == RankingAction.publish:
        publication.published_at = step.at
        publication.published_by_account_id = None if step.actor.system else step.actor.account_id
    step.data = {"year": publication.year}


def _write(session: Session, steps: Sequence[lifecycle.Step[Any, RankingStatus, RankingAction]]) -> None:
    chain.append(
        session,
        RankingEvent,
        CHAIN,
        [
            {
                "publication_id": s.subject[0].id or 0,
                "action": s.row.action.value,
                "from_status": s.row.source.value,
                "to_status": s.row.target.value,
                "actor_account_id": None if s.actor.system else s.actor.account_id,
                "actor_name": actor_name(session, s.actor)[:40],
                "reason": s.reason,
                "data": s.data,
                "at": s.at,
            }
            for s in steps
        ],
    )


RANKINGS: lifecycle.Lifecycle[Any, RankingStatus, RankingAction] = lifecycle.Lifecycle(
    name="ranking",
    noun="排行榜",
    table=tiers_states.RANKING_TABLE,
    status_labels=RANKING_STATUS_LABELS,
    action_labels=tiers_states.RANKING_ACTION_LABELS,
    record=lambda subject: subject[0],
    authorize=_authorize,
    write_events=_write,
    enter=_enter,
)


def publish(
    session: Session, *, actor: Actor, unit_id: int, year: int, reason: str | None, at: datetime | None = None
) -> RankingPublication:
    """The committee publishes the year's ranking (again, after a withdrawal: the same address); `at`:
    now, unless the demo seeder backdates."""
    committee = tiers.committee_of(session, actor, unit_id, Permission.rating_admin)
    publication = session.execute(
        select(RankingPublication)
        .where(col(RankingPublication.unit_id) == committee.id, col(RankingPublication.year) == year)
        .with_for_update()
    ).scalar_one_or_none()
    if publication is None:
        publication = RankingPublication(
            unit_id=committee.id or 0,
            year=year,
            title=f"{committee.name}{year}年度比学赶超排行榜"[:60],
            token=secrets.token_urlsafe(24),  # 192 bits, as a board's
            status=RankingStatus.withdrawn,
            created_at=at or utcnow(),
        )
        session.add(publication)
        session.flush()
    move = lifecycle.Move(
        (publication, committee),
        RankingAction.publish,
        actor,
        publication.version,
        reason=(reason or "").strip() or None,
        at=at,
    )
    lifecycle.apply_many(session, RANKINGS, [move])
    return publication


def locate(session: Session, actor: Actor, publication_id: int, *, lock: bool = False) -> RankingPublication:
    publication = session.get(RankingPublication, publication_id, with_for_update=lock or None)
    if publication is None:
        raise NotFound("未找到该排行榜")
    tiers.committee_of(session, actor, publication.unit_id, Permission.rating_admin)
    return publication


def withdraw(
    session: Session, *, actor: Actor, publication: RankingPublication, expected_version: int | None, reason: str | None
) -> RankingPublication:
    committee = org_service.get_unit(session, publication.unit_id)
    lifecycle.apply(
        session,
        RANKINGS,
        actor=actor,
        subject=(publication, committee),
        action=RankingAction.withdraw,
        expected_version=expected_version,
        reason=(reason or "").strip() or None,
    )
    return publication


def allowed_actions(actor: Actor, session: Session, publication: RankingPublication) -> list[str]:
    committee = org_service.get_unit(session, publication.unit_id)
    return RANKINGS.allowed_actions(actor, (publication, committee))


def list_publications(
    session: Session, *, actor: Actor, params: PageParams, unit_id: int | None = None
) -> Page[RankingPublication]:
    paths = org_service.scope_for(session, actor, Permission.rating_admin, unit_id)
    stmt: Any = (
        select(RankingPublication)
        .where(col(RankingPublication.unit_id).in_(org_service.subtree_ids(paths)))
        .order_by(col(RankingPublication.year).desc(), col(RankingPublication.id))
    )
    return paginate(session, stmt, params)


def public_by_token(session: Session, token: str) -> tuple[RankingPublication, OrgUnit] | None:
    """A published ranking behind a token (None: unknown or withdrawn), with its committee."""
    publication = session.execute(
        select(RankingPublication).where(col(RankingPublication.token) == token)
    ).scalar_one_or_none()
    if publication is None or publication.status != RankingStatus.published:
        return None
    return publication, org_service.get_unit(session, publication.unit_id)


__all__ = ["RANKINGS", "RankingRow", "RankingView", "list_publications", "public_by_token", "publish", "view"]
