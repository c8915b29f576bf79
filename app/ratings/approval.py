"""From computed results to published levels: compute (who may, when), approval by the secretary
(members of their branch, in bulk or one by one), a changed level with its reason, the committee's
approval of branches, publication (branch by branch or the whole period) and corrections.

Every level decision is a `rating_decision` row (approve / change / correct: who, when, why) and
the result keeps the decided level in `stars` beside the `proposed_stars` compute gave. A published
level changes only by a new 'correct' decision, shown on the star board as corrected. The period's
status moves only through `periods.transition` (the lifecycle of states.py). Publication and
corrections touch the boards of the branches and groups concerned (org_service.touch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from app.core.errors import Conflict, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable
from app.core.permissions import Actor, Permission, require
from app.core.time import utcnow
from app.org import service as org_service
from app.org.models import OrgUnit
from app.ratings import compute as compute_mod
from app.ratings import history, periods, scope, states
from app.ratings.models import (
    STAR_LABELS,
    DecisionKind,
    PeriodKind,
    PeriodStatus,
    RatingBranchStatus,
    RatingPeriod,
    RatingResult,
    SubjectKind,
)
from app.ratings.states import Action, Who

# the period states in which a branch's levels may be approved or changed
APPROVABLE = frozenset({PeriodStatus.assessing, PeriodStatus.computed})


@dataclass(frozen=True)
class Approved:
    approved: int
    members_approved: bool
    period_status: PeriodStatus


def _wrong_period_state(period: RatingPeriod, what: str) -> Conflict:
    return Conflict(
        f"该测评周期当前为“{states.STATUS_LABELS[period.status]}”，不能{what}",
        code="rating_period_wrong_state",
        extra={"period_status": period.status.value},
    )


def _by(session: Session, actor: Actor) -> tuple[int | None, str]:
    return (None if actor.system else actor.account_id), periods.actor_name(session, actor)[:40]


def check_result_version(result: RatingResult, expected: int | None) -> None:
    if expected is None:
        raise PreconditionRequired()
    if expected != result.version:
        raise PreconditionFailed(extra={"current_version": result.version})


def branch_status(session: Session, period: RatingPeriod, branch_id: int, *, lock: bool = False) -> RatingBranchStatus:
    """The branch's progress row (made when the period opened; made here for a period that has none)."""
    stmt: Any = select(RatingBranchStatus).where(
        col(RatingBranchStatus.period_id) == period.id, col(RatingBranchStatus.branch_id) == branch_id
    )
    if lock:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        row = RatingBranchStatus(period_id=period.id or 0, branch_id=branch_id)
        session.add(row)
        session.flush()
    return row


# ---------------------------------------------------------------- compute


def compute(
    session: Session,
    *,
    actor: Actor,
    period: RatingPeriod,
    unit: OrgUnit,
    branch_id: int | None = None,
    expected_version: int | None = None,
) -> compute_mod.Computed:
    """核算. The whole period: the committee, with If-Match on the period (assessing → computed, or a
    re-run while computed). One branch: its secretary (or the committee), while the period is being
    assessed or computed and the branch's members are not approved yet: no period move."""
    if period.kind == PeriodKind.year:
        from app.ratings import years

        return years.compute(session, actor=actor, period=period, unit=unit, expected_version=expected_version)
    if branch_id is not None:
        branch = scope.branch_in_period(session, actor, unit, branch_id)
        require(actor, Permission.rating_manage, branch)
        if period.status not in compute_mod.COMPUTABLE:
            raise _wrong_period_state(period, "核算")
        if branch_status(session, period, branch_id).members_approved_at is not None:
            raise Conflict("该党支部的党员星级已审定，不能重新核算", code="rating_branch_approved")
        return compute_mod.compute_results(session, period, branch_id=branch_id)
    action = Action.recompute if period.status == PeriodStatus.computed else Action.compute
    periods.transition(session, period, action, actor=actor, expected_version=expected_version)
    return compute_mod.compute_results(session, period)


# ---------------------------------------------------------------- approval by the secretary


def _member_results(period: RatingPeriod, branch_id: int) -> list[Any]:
    return [
        col(RatingResult.period_id) == period.id,
        col(RatingResult.subject_kind) == SubjectKind.member.value,
        col(RatingResult.branch_id) == branch_id,
    ]


def _record_approvals(session: Session, actor: Actor, where: Sequence[Any], now: Any) -> int:
    """Approve the undecided results matching `where`: their decisions chained in one INSERT
    (app.ratings.history: one read of the results, one of their chains' heads), one UPDATE of the
    results (their decided level = the proposed one)."""
    account_id, name = _by(session, actor)
    undecided = [*where, col(RatingResult.decided_at).is_(None)]
    found = session.execute(
        select(col(RatingResult.id), col(RatingResult.stars), col(RatingResult.proposed_stars))
        .where(*undecided)
        .order_by(col(RatingResult.id))
    ).all()
    history.append_decisions(
        session,
        [
            {
                "result_id": result_id,
                "kind": DecisionKind.approve.value,
                "from_stars": stars,
                "stars": proposed,
                "reason": None,
                "by_account_id": account_id,
                "by_name": name,
                "at": now,
            }
            for result_id, stars, proposed in found
        ],
    )
    session.execute(
        update(RatingResult)
        .where(*undecided)
        .values(stars=col(RatingResult.proposed_stars), decided_at=now, version=col(RatingResult.version) + 1)
        .execution_options(synchronize_session=False)
    )
    return len(found)


def approve_members(
    session: Session,
    *,
    actor: Actor,
    period: RatingPeriod,
    unit: OrgUnit,
    branch_id: int,
    result_ids: Sequence[int] | None = None,
) -> Approved:
    """The secretary approves the proposed levels of their branch's members: all of them (the branch
    is then approved), or the given results one by one (the branch is approved when none is left).
    A level already changed with a reason stays as changed."""
    branch = scope.branch_in_period(session, actor, unit, branch_id)
    require(actor, Permission.rating_manage, branch)
    if period.status not in APPROVABLE:
        raise _wrong_period_state(period, "审定")
    status = branch_status(session, period, branch_id, lock=True)
    if status.members_approved_at is not None:
        raise Conflict("该党支部的党员星级已审定", code="rating_branch_approved")
    where = _member_results(period, branch_id)
    total = session.execute(select(func.count()).where(*where)).scalar_one()
    if not total and not _has_branch_result(session, period, branch_id):
        raise Conflict("该党支部还没有核算结果，请先核算", code="rating_not_computed")
    if result_ids is not None:
        ids = sorted(set(result_ids))
        found = session.execute(select(func.count()).where(*where, col(RatingResult.id).in_(ids))).scalar_one()
        if found != len(ids):
            raise NotFound("有的结果不在该党支部，或不存在")
        where = [*where, col(RatingResult.id).in_(ids)]
    now = utcnow()
    approved = _record_approvals(session, actor, where, now)
    left = session.execute(
        select(func.count()).where(*_member_results(period, branch_id), col(RatingResult.decided_at).is_(None))
    ).scalar_one()
    if not left:
        status.members_approved_at = now
        status.members_approved_by_account_id = _by(session, actor)[0]
        status.updated_at = now
        session.add(status)
    session.flush()
    return Approved(approved=approved, members_approved=not left, period_status=period.status)


def _has_branch_result(session: Session, period: RatingPeriod, branch_id: int) -> bool:
    stmt = select(func.count()).where(
        col(RatingResult.period_id) == period.id,
        col(RatingResult.subject_kind) == SubjectKind.branch.value,
        col(RatingResult.subject_id) == branch_id,
    )
    return bool(session.execute(stmt).scalar_one())


def decide_level(
    session: Session,
    *,
    actor: Actor,
    kind: DecisionKind,
    period: RatingPeriod,
    unit: OrgUnit,
    result: RatingResult,
    stars: int,
    reason: str,
    expected_version: int | None,
) -> RatingResult:
    """A level other than the one the result has, only with a reason (kept with who and when).

    `change`: before approval, a level other than the proposed one, shown beside it. `correct`: a
    published level is never changed silently: a correction is a new recorded decision, and the star
    board shows the level as corrected. Members: their secretary; branches: the committee."""
    require_decider(session, actor, unit, result)
    if kind == DecisionKind.change:
        _check_changeable(session, period, result)
        check_result_version(result, expected_version)
        reason = _reason(reason)
    elif kind == DecisionKind.correct:
        if result.published_at is None:
            raise Conflict("尚未发布的星级请直接调整或审定", code="rating_result_not_published")
        check_result_version(result, expected_version)
        reason = _reason(reason)
        if stars == result.stars:
            raise Conflict(f"当前已是{STAR_LABELS[stars]}", code="rating_result_same_level")
    else:  # pragma: no cover - approval has its own path (approve_members, approve_branch)
        raise ValueError(kind)
    _decide(session, actor, result, kind, stars, reason)
    if kind == DecisionKind.correct:
        org_service.touch(session, [result.unit_id, result.branch_id])
    return result


def _check_changeable(session: Session, period: RatingPeriod, result: RatingResult) -> None:
    """A level is changed before approval: 409 once published, outside the approvable states, or
    once the level it belongs to (the branch's members, or the branch's own) is approved."""
    if period.status not in APPROVABLE:
        if result.published_at is not None:
            raise Conflict("已发布的星级只能更正（须写明原因）", code="rating_result_published")
        raise _wrong_period_state(period, "调整星级")
    status = branch_status(session, period, result.branch_id)
    done = status.members_approved_at if result.subject_kind == SubjectKind.member else status.branch_approved_at
    if done is not None:
        raise Conflict("该星级已审定，不能再调整", code="rating_result_approved")


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise Unprocessable("请填写原因", code="reason_required", errors=[{"field": "reason", "message": "必填"}])
    return text[:500]


def require_admin(actor: Actor, unit: OrgUnit) -> None:
    """The committee's steps: 403 for anyone else who sees the period (its secretaries, members)."""
    periods.authorize(actor, unit, Who.admin)


def require_decider(session: Session, actor: Actor, unit: OrgUnit, result: RatingResult) -> None:
    """Members' levels: their secretary (or the committee); a branch's own level: the committee."""
    if result.subject_kind == SubjectKind.member:
        require(actor, Permission.rating_manage, org_service.get_unit(session, result.branch_id))
    else:
        require_admin(actor, unit)


def _decide(
    session: Session, actor: Actor, result: RatingResult, kind: DecisionKind, stars: int, reason: str | None
) -> None:
    account_id, name = _by(session, actor)
    now = utcnow()
    decision = {
        "result_id": result.id or 0,
        "kind": DecisionKind(kind).value,
        "from_stars": result.stars if result.stars is not None else result.proposed_stars,
        "stars": stars,
        "reason": reason,
        "by_account_id": account_id,
        "by_name": name,
        "at": now,
    }
    history.append_decisions(session, [decision])  # chained after the result's last decision
    result.stars = stars
    result.decided_at = result.decided_at or now
    if kind == DecisionKind.correct:
        result.corrected_at = now
    result.version += 1
    session.add(result)
    session.flush()


# ---------------------------------------------------------------- the committee: branches, publication


def approve_branch(
    session: Session,
    *,
    actor: Actor,
    period: RatingPeriod,
    unit: OrgUnit,
    branch_id: int,
    expected_version: int | None = None,
) -> Approved:
    """The committee approves a branch's own level (proposed, or as changed), once its secretary has
    approved its members. When every branch is approved, the period is."""
    branch = scope.branch_in_period(session, actor, unit, branch_id)
    require_admin(actor, unit)
    if expected_version is not None:
        check_result_version(branch_result(session, period, branch_id), expected_version)
    if period.status not in APPROVABLE:
        raise _wrong_period_state(period, "审定")
    status = branch_status(session, period, branch_id, lock=True)
    if status.members_approved_at is None:
        raise Conflict(f"{branch.name}的党员星级尚未审定", code="rating_members_not_approved")
    if status.branch_approved_at is not None:
        raise Conflict(f"{branch.name}的星级已审定", code="rating_branch_approved")
    where = [
        col(RatingResult.period_id) == period.id,
        col(RatingResult.subject_kind) == SubjectKind.branch.value,
        col(RatingResult.subject_id) == branch_id,
    ]
    if not session.execute(select(func.count()).where(*where)).scalar_one():
        raise Conflict("该党支部还没有核算结果，请先核算", code="rating_not_computed")
    now = utcnow()
    approved = _record_approvals(session, actor, where, now)
    status.branch_approved_at = now
    status.branch_approved_by_account_id = _by(session, actor)[0]
    status.updated_at = now
    session.add(status)
    session.flush()
    if period.status == PeriodStatus.computed and _all_approved(session, period, unit):
        periods.transition(session, period, Action.approve, actor=actor, expected_version=period.version)
    return Approved(approved=approved, members_approved=True, period_status=period.status)


def approve_period(
    session: Session, *, actor: Actor, period: RatingPeriod, unit: OrgUnit, expected_version: int | None
) -> None:
    """computed → approved, by the committee, once every branch is approved (409 naming the rest)."""
    require_admin(actor, unit)
    periods.check_version(period, expected_version)
    late = [
        b
        for b, r in _status_rows(session, period, unit).items()
        if r.members_approved_at is None or r.branch_approved_at is None
    ]
    if period.status == PeriodStatus.computed and late:
        names = org_service.units_by_id(session, late[:5])
        listed = "、".join(names[b].name for b in late[:5] if b in names) + ("等" if len(late) > 5 else "")
        raise Conflict(
            f"还有 {len(late)} 个党支部的星级未审定（{listed}）", code="rating_not_approved", extra={"branch_ids": late}
        )
    periods.transition(session, period, Action.approve, actor=actor, expected_version=expected_version)


def _all_approved(session: Session, period: RatingPeriod, unit: OrgUnit) -> bool:
    """Every covered branch approved, members and itself (one query; a branch without a progress row
    counts as not approved)."""
    done = select(col(RatingBranchStatus.branch_id)).where(
        col(RatingBranchStatus.period_id) == period.id,
        col(RatingBranchStatus.members_approved_at).is_not(None),
        col(RatingBranchStatus.branch_approved_at).is_not(None),
    )
    left = select(func.count()).select_from(scope.branches_sql(unit).where(col(OrgUnit.id).not_in(done)).subquery())
    return not session.execute(left).scalar_one()


def _status_rows(session: Session, period: RatingPeriod, unit: OrgUnit) -> dict[int, RatingBranchStatus]:
    """Every covered branch's progress row, locked (rows a branch added since opening lacks are made)."""
    rows = session.execute(
        select(RatingBranchStatus).where(col(RatingBranchStatus.period_id) == period.id).with_for_update()
    ).scalars()
    by_branch = {r.branch_id: r for r in rows}
    for branch in scope.branches(session, unit):
        if branch.id not in by_branch:
            by_branch[branch.id or 0] = RatingBranchStatus(period_id=period.id or 0, branch_id=branch.id or 0)
            session.add(by_branch[branch.id or 0])
    session.flush()
    return by_branch


def publish(
    session: Session,
    *,
    actor: Actor,
    period: RatingPeriod,
    unit: OrgUnit,
    expected_version: int | None,
    branch_ids: Sequence[int] | None = None,
) -> list[int]:
    """Publish approved levels: the given branches (each approved by its secretary and the
    committee), or the whole period (only when every branch is approved). When the last branch is
    published the period moves to published. Returns the branches published now."""
    require_admin(actor, unit)
    periods.check_version(period, expected_version)
    if period.status not in {PeriodStatus.computed, PeriodStatus.approved}:
        raise _wrong_period_state(period, "发布")
    by_branch = _status_rows(session, period, unit)
    if branch_ids is None:
        wanted = sorted(by_branch)
    else:
        wanted = sorted(set(branch_ids))
        for b in wanted:
            scope.branch_in_period(session, actor, unit, b)
            if b not in by_branch:
                raise NotFound("该党支部不在本测评周期内")
    late = [b for b in wanted if by_branch[b].members_approved_at is None or by_branch[b].branch_approved_at is None]
    if late:
        names = org_service.units_by_id(session, late[:5])
        listed = "、".join(names[b].name for b in late[:5] if b in names) + ("等" if len(late) > 5 else "")
        raise Conflict(
            f"还有 {len(late)} 个党支部的星级未审定（{listed}），不能发布",
            code="rating_not_approved",
            extra={"branch_ids": late},
        )
    todo = [b for b in wanted if by_branch[b].published_at is None]
    now = utcnow()
    if todo:
        session.execute(
            update(RatingResult)
            .where(col(RatingResult.period_id) == period.id, col(RatingResult.branch_id).in_(todo))
            .values(published_at=now)
            .execution_options(synchronize_session=False)
        )
        for b in todo:
            by_branch[b].published_at = now
            by_branch[b].published_by_account_id = _by(session, actor)[0]
            by_branch[b].updated_at = now
            session.add(by_branch[b])
        _touch_branches(session, period, todo)
    if all(r.published_at is not None for r in by_branch.values()):
        if period.status == PeriodStatus.computed:
            periods.transition(session, period, Action.approve, actor=actor, expected_version=period.version)
        periods.transition(
            session, period, Action.publish, actor=actor, expected_version=period.version, data={"branches": len(todo)}
        )
    session.flush()
    return todo


def _touch_branches(session: Session, period: RatingPeriod, branch_ids: Sequence[int]) -> None:
    """The boards of these branches and of every group whose members were published."""
    units = session.execute(
        select(col(RatingResult.unit_id))
        .where(col(RatingResult.period_id) == period.id, col(RatingResult.branch_id).in_(branch_ids))
        .distinct()
    ).scalars()
    org_service.touch(session, sorted({*units, *branch_ids}))


def branch_result(session: Session, period: RatingPeriod, branch_id: int) -> RatingResult:
    """The branch's own result in the period (404 before it is computed)."""
    result = session.execute(
        select(RatingResult).where(
            col(RatingResult.period_id) == period.id,
            col(RatingResult.subject_kind) == SubjectKind.branch.value,
            col(RatingResult.subject_id) == branch_id,
        )
    ).scalar_one_or_none()
    if result is None:
        raise NotFound("该党支部还没有核算结果")
    return result


def branch_results_version(session: Session, period: RatingPeriod, branch_id: int) -> int:
    """The version of a branch's member results as one number (the sum of their versions): it moves
    whenever one of them is recomputed, changed or approved — the ETag of bulk approval."""
    stmt = select(func.coalesce(func.sum(col(RatingResult.version)), 0)).where(*_member_results(period, branch_id))
    return int(session.execute(stmt).scalar_one())
