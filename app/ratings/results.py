"""Reading results: the paged list of a period's results (by unit and level) and one member's
breakdown, with the history of decisions about the level.

Who sees what: the secretary sees their branch's results (Permission.rating_manage on it), the
committee every result of its period; a member sees only their own breakdown, and only once it is
published. Everything else is a 404. Peer reviews appear only as the aggregate (count and mean).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from app.core.errors import NotFound
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed
from app.members import service as members_service
from app.org import service as org_service
from app.org.models import OrgUnit
from app.ratings import scope
from app.ratings.models import DecisionKind, RatingDecision, RatingPeriod, RatingResult, SubjectKind
from app.ratings.schemas_results import BreakdownRead, DecisionRead, PartRead, ResultRead
from app.ratings.scoring import BRANCH_PART_LABELS, PART_LABELS

DECISION_LABELS = {DecisionKind.approve: "审定", DecisionKind.change: "调整", DecisionKind.correct: "更正"}
NOT_FOUND = "未找到该结果，或不在您的查看范围内"


def level_of(result: RatingResult) -> int:
    return result.stars if result.stars is not None else result.proposed_stars


def level_sql() -> Any:
    return func.coalesce(col(RatingResult.stars), col(RatingResult.proposed_stars))


def trend(result: RatingResult) -> str | None:
    if result.previous_stars is None:
        return None
    now = level_of(result)
    return "up" if now > result.previous_stars else "down" if now < result.previous_stars else "same"


def decision_read(d: RatingDecision) -> DecisionRead:
    return DecisionRead(
        kind=d.kind,
        kind_label=DECISION_LABELS[DecisionKind(d.kind)],
        from_stars=d.from_stars,
        stars=d.stars,
        reason=d.reason,
        by_name=d.by_name,
        at=d.at,
    )


def parts_of(r: RatingResult) -> list[PartRead]:
    branch = r.subject_kind == SubjectKind.branch
    keys = ("members", "villager", "assessment") if branch else ("peer", "villager", "assessment")
    labels = BRANCH_PART_LABELS if branch else PART_LABELS
    return [
        PartRead(
            key=k,
            label=labels[k],
            raw=getattr(r, f"{k}_raw"),
            count=getattr(r, f"{k}_count"),
            weight_used=getattr(r, f"{k}_weight"),
            score=getattr(r, f"{k}_score"),
        )
        for k in keys
    ]


def decisions_of(session: Session, result_ids: Sequence[int]) -> dict[int, list[RatingDecision]]:
    if not result_ids:
        return {}
    rows = session.execute(
        select(RatingDecision)
        .where(col(RatingDecision.result_id).in_(result_ids))
        .order_by(col(RatingDecision.at), col(RatingDecision.id))
    ).scalars()
    out: dict[int, list[RatingDecision]] = {}
    for d in rows:
        out.setdefault(d.result_id, []).append(d)
    return out


def reads(session: Session, rows: Sequence[RatingResult]) -> list[ResultRead]:
    """Results as read models: three queries for a page (names, branches, decisions)."""
    members = members_service.member_names(
        session, [r.subject_id for r in rows if r.subject_kind == SubjectKind.member]
    )
    units = org_service.units_by_id(session, {r.branch_id for r in rows})
    decisions = decisions_of(session, [r.id or 0 for r in rows])
    return [_read(r, members, units, decisions.get(r.id or 0, [])) for r in rows]


def _read(
    r: RatingResult, members: dict[int, str], units: dict[int, OrgUnit], decisions: list[RatingDecision]
) -> ResultRead:
    branch = units.get(r.branch_id)
    name = members.get(r.subject_id, "") if r.subject_kind == SubjectKind.member else (branch.name if branch else "")
    return ResultRead(
        id=r.id or 0,
        period_id=r.period_id,
        subject_kind=r.subject_kind,
        subject_id=r.subject_id,
        name=name,
        branch_id=r.branch_id,
        branch_name=branch.name if branch else "",
        unit_id=r.unit_id,
        score=r.score,
        proposed_stars=r.proposed_stars,
        stars=r.stars,
        level=level_of(r),
        changed=r.stars is not None and r.stars != r.proposed_stars,
        previous_stars=r.previous_stars,
        trend=trend(r),
        parts=parts_of(r),
        explanation=r.explanation,
        details=r.details,
        computed_at=r.computed_at,
        decided_at=r.decided_at,
        published_at=r.published_at,
        corrected=r.corrected_at is not None,
        version=r.version,
        last_decision=decision_read(decisions[-1]) if decisions else None,
    )


def list_results(
    session: Session,
    *,
    actor: Actor,
    period: RatingPeriod,
    unit: OrgUnit,
    params: PageParams,
    unit_id: int | None = None,
    stars: int | None = None,
    kind: SubjectKind | None = None,
    undecided: bool | None = None,
) -> Page[ResultRead]:
    """A period's results in the units where the actor manages ratings (or in `unit_id`'s subtree),
    branches first, then by score; filters by level (the decided one, else the proposed)."""
    # the period's rows lie in its subtree; the actor's scope (or unit_id's subtree) narrows them
    paths = org_service.scope_for(session, actor, Permission.rating_manage, unit_id)
    inside = org_service.subtree_ids(paths)
    stmt: Any = select(RatingResult).where(
        col(RatingResult.period_id) == period.id,
        or_(col(RatingResult.unit_id).in_(inside), col(RatingResult.branch_id).in_(inside)),
    )
    if stars is not None:
        stmt = stmt.where(level_sql() == stars)
    if kind is not None:
        stmt = stmt.where(col(RatingResult.subject_kind) == kind.value)
    if undecided is not None:
        decided = col(RatingResult.decided_at).is_(None)
        stmt = stmt.where(decided if undecided else ~decided)
    stmt = stmt.order_by(
        col(RatingResult.subject_kind),  # 'branch' before 'member'
        col(RatingResult.branch_id),
        col(RatingResult.score).desc(),
        col(RatingResult.subject_id),
    )
    return paginate(session, stmt, params, lambda rows: reads(session, rows))


def may_manage(session: Session, actor: Actor, result: RatingResult) -> bool:
    branch = org_service.get_unit(session, result.branch_id)
    return allowed(actor, Permission.rating_manage, branch)


def member_result(session: Session, *, actor: Actor, period: RatingPeriod, member_id: int) -> RatingResult:
    """The member's result: for their secretary and the committee, or for the member themself once
    published (404 otherwise, as if there were none)."""
    result = session.execute(
        select(RatingResult).where(
            col(RatingResult.period_id) == period.id,
            col(RatingResult.subject_kind) == SubjectKind.member.value,
            col(RatingResult.subject_id) == member_id,
        )
    ).scalar_one_or_none()
    if result is None:
        raise NotFound(NOT_FOUND)
    if actor.system or may_manage(session, actor, result):
        return result
    me = scope.active_member_of(session, actor)
    if me is not None and me.id == member_id and result.published_at is not None:
        return result
    raise NotFound(NOT_FOUND)


def breakdown(session: Session, *, actor: Actor, period: RatingPeriod, member_id: int) -> BreakdownRead:
    result = member_result(session, actor=actor, period=period, member_id=member_id)
    (read,) = reads(session, [result])
    decisions = decisions_of(session, [result.id or 0]).get(result.id or 0, [])
    return BreakdownRead(
        **read.model_dump(), period_title=period.title, decisions=[decision_read(d) for d in decisions]
    )


def result_for_decision(
    session: Session, *, actor: Actor, result_id: int, lock: bool = True
) -> tuple[RatingResult, RatingPeriod, OrgUnit]:
    """A result someone may decide about (its secretary or the committee), locked, with its period."""
    stmt: Any = select(RatingResult).where(col(RatingResult.id) == result_id)
    if lock:
        stmt = stmt.with_for_update()
    result = session.execute(stmt).scalar_one_or_none()
    if result is None:
        raise NotFound(NOT_FOUND)
    period, unit = scope.visible_period(session, actor, result.period_id)
    if not (actor.system or may_manage(session, actor, result) or allowed(actor, Permission.rating_admin, unit)):
        raise NotFound(NOT_FOUND)
    return result, period, unit
