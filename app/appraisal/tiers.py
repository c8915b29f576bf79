"""Branch tiers by 五好 (先进 / 一般 / 后进): the committee's classification of each branch each year.

- `propose()`: from the year appraisal (year_appraisal.py: the committee's year period, approved or
  published, one result per branch, with the year's 述职评议) and the policy's lines
  (`PolicyRules.tiers`, frozen with the period). The level is the approved star level when the year has
  no 述职; with one, the level the year appraisal score reaches on the year's star score lines (the
  lines keep their meaning: 先进 at 4 stars means an appraisal score at or above the 4-star line). A
  level of at least `advanced_stars` is 先进 — unless the committee marked a 五好 item 不好 — at most
  `backward_stars` 后进, otherwise 一般. A branch still 待审定 gets the proposal anew; a decided one is
  left alone (going back to 待审定 first takes a reason).
- `set_items()`: the committee's 五好 marks on a proposal (the proposal follows them).
- `transition()`: approve (another tier than proposed needs a reason), change, reopen, rectify,
  lift (摘帽子) — through the one lifecycle engine (tiers_states.py); every move is an event.
- `history()` and the events: the history of a branch's tier (one row per year plus the decisions).

The 整顿 plan of a 后进 branch (steps with dates) is tiers_steps.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.appraisal import tiers_states, year_appraisal
from app.appraisal.models_tiers import (
    FIVE_GOOD,
    TIER_LABELS,
    TIER_STATUS_LABELS,
    BranchTier,
    BranchTierEvent,
    RectificationStep,
    StepStatus,
    Tier,
    TierStatus,
)
from app.appraisal.tiers_states import TierAction, Who
from app.core import chain, lifecycle
from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, allowed, require
from app.core.time import utcnow
from app.org import service as org_service
from app.org.models import OrgUnit, UnitKind
from app.ratings.models import STAR_LABELS, PeriodKind, PeriodStatus, RatingPeriod, RatingResult, SubjectKind
from app.ratings.periods import actor_name
from app.ratings.rules import PolicyRules, TierLines
from app.ratings.scoring import fmt

T = TypeVar("T")
CHAIN = chain.Spec.lifecycle("tier", "tier_id")
DECIDED_YEAR = (PeriodStatus.approved.value, PeriodStatus.published.value)


@dataclass
class Located:
    """A tier with its committee and branch (what the engine authorizes on), and for 摘帽子 how many
    steps of its plan are done and still open."""

    tier: BranchTier
    committee: OrgUnit
    branch: OrgUnit
    steps_done: int = 0
    steps_open: int = 0


def proposal(stars: int, items: dict[str, Any], lines: TierLines, basis: str | None = None) -> tuple[Tier, str]:
    """The proposed tier of a year level and the 五好 marks, with the Chinese account of why (`basis`:
    how the level came from the year appraisal score, when 述职 joined it)."""
    level = basis or f"年度星级{STAR_LABELS[stars]}"
    bad = [FIVE_GOOD[k] for k in FIVE_GOOD if items.get(k) is False]
    if stars >= lines.advanced_stars:
        if bad:
            return Tier.ordinary, (
                f"{level}（{STAR_LABELS[lines.advanced_stars]}及以上可评先进），"
                f"但“{'、'.join(bad)}”评为不好，建议为一般。"
            )
        return Tier.advanced, f"{level}，达到先进线（{STAR_LABELS[lines.advanced_stars]}及以上），建议为先进。"
    if stars <= lines.backward_stars:
        return Tier.backward, f"{level}，在后进线（{STAR_LABELS[lines.backward_stars]}及以下），建议为后进。"
    return Tier.ordinary, (
        f"{level}，在先进线（{STAR_LABELS[lines.advanced_stars]}）与后进线"
        f"（{STAR_LABELS[lines.backward_stars]}）之间，建议为一般。"
    )


# ---------------------------------------------------------------- the engine's plug


def appraised_level(tier: BranchTier, rules: PolicyRules) -> tuple[int, str | None]:
    """The level a tier's proposal reads and its account: the star level when the year had no 述职
    (or its weight is 0), else the level of the year appraisal score on the year's star lines."""
    stars = int(tier.stars or 3)
    if tier.debrief_score is None or tier.score is None or not rules.appraisal.debrief_weight:
        return stars, None
    a = year_appraisal.combine(tier.score, (tier.debrief_score, 1), rules)
    level = year_appraisal.thresholds(rules).stars(a.score)
    line = year_appraisal.thresholds(rules).minimum(level)
    reached = f"达到{STAR_LABELS[level]}分数线（{fmt(line)} 分）" if line is not None else "低于二星分数线"
    basis = (
        f"年度考评得分 {fmt(a.score)} 分（年度星级{STAR_LABELS[stars]}；{a.text.removesuffix('。')}），"
        f"{reached}，按{STAR_LABELS[level]}计"
    )
    return level, basis


def require_admin(actor: Actor, committee: OrgUnit) -> None:
    """The committee's decision: 403 for anyone else who sees the tier (the loader answered 404 to
    those who do not; a secretary does not see the committee itself, so require() would say 404)."""
    if not allowed(actor, Permission.rating_admin, committee):
        raise Forbidden(code="forbidden.rating.admin")


def _authorize(actor: Actor, located: Located, who: Any) -> None:
    if who == Who.admin:
        require_admin(actor, located.committee)
    else:
        require(actor, Permission.rating_manage, located.branch)


def _chosen(step: lifecycle.Step[Located, TierStatus, TierAction]) -> Tier | None:
    value = step.inputs.get("tier")
    return Tier(value) if value else None


def _validate(step: lifecycle.Step[Located, TierStatus, TierAction]) -> None:
    tier, action, chosen = step.subject.tier, step.row.action, _chosen(step)
    if action == TierAction.approve and chosen is not None and chosen != tier.proposed_tier and not step.reason:
        raise Unprocessable(
            "审定为与建议不同的分类，须写明理由",
            code="reason_required",
            errors=[{"field": "reason", "message": "必填"}],
        )
    if action == TierAction.change and (chosen is None or chosen == tier.tier):
        raise Unprocessable(
            "请选择与现在不同的分类", code="tier_unchanged", errors=[{"field": "tier", "message": "须与现在不同"}]
        )
    if action == TierAction.rectify and tier.tier != Tier.backward:
        raise Conflict("只有后进党支部需要整顿", code="tier_not_backward")
    if action == TierAction.lift:
        if step.subject.steps_open:
            raise Conflict(f"整顿方案还有 {step.subject.steps_open} 个步骤未完成，不能摘帽", code="tier_steps_open")
        if not step.subject.steps_done:
            raise Conflict("整顿方案还没有完成的步骤，不能摘帽", code="tier_no_steps_done")


def _enter(_session: Session, step: lifecycle.Step[Located, TierStatus, TierAction]) -> None:
    tier, action = step.subject.tier, step.row.action
    before = tier.tier
    if action in (TierAction.approve, TierAction.change):
        tier.tier = _chosen(step) or tier.proposed_tier
        tier.decided_at = step.at
    elif action == TierAction.reopen:
        tier.tier = None
        tier.decided_at = None
    elif action == TierAction.lift:
        tier.tier = Tier.ordinary
        tier.lifted_at = step.at
    if step.reason:
        tier.reason = step.reason.strip()[:500]
    tier.updated_at = step.at
    step.data = {"from_tier": str(before) if before else None, "tier": str(tier.tier) if tier.tier else None}


def event_row(
    session: Session,
    *,
    tier_id: int,
    actor: Actor,
    action: str,
    from_status: str | None,
    to_status: str,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    at: Any = None,
    step_id: int | None = None,
) -> dict[str, Any]:
    return {
        "tier_id": tier_id,
        "step_id": step_id,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "actor_account_id": None if actor.system else actor.account_id,
        "actor_name": actor_name(session, actor)[:40],
        "reason": reason,
        "data": data,
        "at": at or utcnow(),
    }


def write_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """The one way branch_tier_event rows are written: chained per tier, one multi-row INSERT."""
    chain.append(session, BranchTierEvent, CHAIN, rows)


def _write_tier_events(session: Session, steps: Sequence[lifecycle.Step[Located, TierStatus, TierAction]]) -> None:
    write_events(
        session,
        [
            event_row(
                session,
                tier_id=s.subject.tier.id or 0,
                actor=s.actor,
                action=s.row.action.value,
                from_status=s.row.source.value,
                to_status=s.row.target.value,
                reason=s.reason,
                data=s.data,
                at=s.at,
            )
            for s in steps
        ],
    )


def _follow_up(session: Session, steps: Sequence[lifecycle.Step[Located, Any, Any]]) -> None:
    org_service.touch(session, [s.subject.branch.id for s in steps])  # the ranking page shows tiers


TIERS: lifecycle.Lifecycle[Located, TierStatus, TierAction] = lifecycle.Lifecycle(
    name="branch_tier",
    noun="党支部分类",
    table=tiers_states.TIER_TABLE,
    status_labels=TIER_STATUS_LABELS,
    action_labels=tiers_states.TIER_ACTION_LABELS,
    record=lambda located: located.tier,
    authorize=_authorize,
    write_events=_write_tier_events,
    enter=_enter,
    validate=_validate,
    follow_up=_follow_up,
)


# ---------------------------------------------------------------- loading


def committee_of(session: Session, actor: Actor, unit_id: int, permission: Permission) -> OrgUnit:
    """A committee the actor sees (404 otherwise, also for a unit that is no committee)."""
    unit = org_service.find_unit(session, unit_id)
    if unit is None or unit.kind != UnitKind.committee or not allowed(actor, Permission.unit_read, unit):
        raise NotFound("未找到该党委，或不在您的管理范围内")
    require(actor, permission, unit)
    return unit


def locate(session: Session, actor: Actor, tier_id: int, *, lock: bool = False) -> Located:
    """The tier (404 unless the actor manages ratings in its branch), optionally locked."""
    tier = session.get(BranchTier, tier_id, with_for_update=lock or None, populate_existing=lock)
    if tier is None:
        raise NotFound("未找到该党支部分类")
    branch = org_service.get_unit(session, tier.branch_id)
    if not allowed(actor, Permission.rating_manage, branch):
        raise NotFound("未找到该党支部分类")
    located = Located(tier, org_service.get_unit(session, tier.committee_id), branch)
    if lock:
        counts = step_counts(session, tier.id or 0)
        located.steps_done = counts.get(StepStatus.done, 0)
        located.steps_open = counts.get(StepStatus.planned, 0)
    return located


def step_counts(session: Session, tier_id: int) -> dict[StepStatus, int]:
    rows = session.execute(
        select(col(RectificationStep.status), func.count())
        .where(col(RectificationStep.tier_id) == tier_id)
        .group_by(col(RectificationStep.status))
    ).all()
    return {StepStatus(s): int(n) for s, n in rows}


def year_period(session: Session, committee: OrgUnit, year: int) -> RatingPeriod | None:
    """The committee's year period of `year` whose levels are decided (approved or published)."""
    stmt = select(RatingPeriod).where(
        col(RatingPeriod.unit_id) == committee.id,
        col(RatingPeriod.kind) == PeriodKind.year.value,
        col(RatingPeriod.year) == year,
        col(RatingPeriod.status).in_(DECIDED_YEAR),
    )
    return session.execute(stmt).scalars().first()


# ---------------------------------------------------------------- proposing and deciding


def propose(session: Session, *, actor: Actor, committee_id: int, year: int, at: datetime | None = None) -> int:
    """Propose the year's tier of every branch with a year result; returns how many proposals were
    made or renewed (decided tiers are left alone). `at`: now, unless the demo seeder backdates."""
    committee = committee_of(session, actor, committee_id, Permission.rating_admin)
    period = year_period(session, committee, year)
    if period is None:
        raise Conflict(f"{year}年度星级尚未审定，不能提出分类建议", code="tier_no_year_levels")
    rules = PolicyRules.model_validate(period.policy_snapshot or {})
    lines = rules.tiers
    session.execute(select(col(OrgUnit.id)).where(col(OrgUnit.id) == committee.id).with_for_update())
    results = session.execute(
        select(
            col(RatingResult.subject_id),
            col(RatingResult.stars),
            col(RatingResult.proposed_stars),
            col(RatingResult.score),
        )
        .where(col(RatingResult.period_id) == period.id, col(RatingResult.subject_kind) == SubjectKind.branch.value)
        .order_by(col(RatingResult.subject_id))
    ).all()
    existing = {
        t.branch_id: t
        for t in session.execute(
            select(BranchTier).where(
                col(BranchTier.year) == year, col(BranchTier.branch_id).in_([r[0] for r in results])
            )
        ).scalars()
    }
    appraised = year_appraisal.year_appraisals(
        session, committee, year, {int(r[0]): float(r[3]) for r in results}, rules
    )
    now = at or utcnow()
    renewed: list[tuple[BranchTier, str | None]] = []
    for branch_id, stars, proposed_stars, score in results:
        star_level = int(stars or proposed_stars)
        tier = existing.get(int(branch_id))
        if tier is not None and tier.status != TierStatus.proposed:
            continue
        if tier is None:
            tier = BranchTier(
                committee_id=committee.id or 0,
                branch_id=int(branch_id),
                year=year,
                proposed_tier=Tier.ordinary,
                created_at=now,
            )
            renewed.append((tier, None))
        else:
            tier.version += 1
            renewed.append((tier, TierStatus.proposed.value))
        a = appraised[int(branch_id)]
        tier.stars, tier.score, tier.period_id, tier.updated_at = star_level, float(score), period.id, now
        tier.debrief_score, tier.appraisal_score = a.debrief_score, a.score
        level, basis = appraised_level(tier, rules)
        tier.proposed_tier, tier.explanation = proposal(level, tier.items, lines, basis)
        session.add(tier)
    session.flush()
    write_events(
        session,
        [
            event_row(
                session,
                tier_id=t.id or 0,
                actor=actor,
                action="propose",
                from_status=before,
                to_status=TierStatus.proposed.value,
                data={
                    "proposed_tier": str(t.proposed_tier),
                    "stars": t.stars,
                    "debrief_score": t.debrief_score,
                    "appraisal_score": t.appraisal_score,
                },
                at=now,
            )
            for t, before in renewed
        ],
    )
    return len(renewed)


def set_items(
    session: Session,
    *,
    actor: Actor,
    located: Located,
    items: dict[str, bool | None],
    expected_version: int | None,
    at: datetime | None = None,
) -> BranchTier:
    """The committee's 五好 marks on a proposal (true 好, false 不好, null unmarked); the proposal follows."""
    tier = located.tier
    require_admin(actor, located.committee)
    lifecycle.check_version(tier, expected_version)
    if tier.status != TierStatus.proposed:
        raise TIERS.wrong_state(actor, located, "评定五好")
    unknown = sorted(set(items) - set(FIVE_GOOD))
    if unknown:
        raise Unprocessable(
            "没有这一项五好标准：" + "、".join(unknown),
            code="tier_bad_item",
            errors=[{"field": "items", "message": "未知的项目"}],
        )
    marks = {**tier.items, **items}
    tier.items = {k: v for k, v in marks.items() if v is not None}
    period = session.get(RatingPeriod, tier.period_id) if tier.period_id else None
    rules = PolicyRules.model_validate((period.policy_snapshot if period else None) or {})
    level, basis = appraised_level(tier, rules)
    tier.proposed_tier, tier.explanation = proposal(level, tier.items, rules.tiers, basis)
    tier.version += 1
    tier.updated_at = at or utcnow()
    session.add(tier)
    session.flush()
    write_events(
        session,
        [
            event_row(
                session,
                tier_id=tier.id or 0,
                actor=actor,
                action="items",
                from_status=str(tier.status),
                to_status=str(tier.status),
                data={"items": tier.items, "proposed_tier": str(tier.proposed_tier)},
                at=tier.updated_at,
            )
        ],
    )
    return tier


def transition(
    session: Session,
    *,
    actor: Actor,
    located: Located,
    action: TierAction,
    expected_version: int | None,
    reason: str | None = None,
    tier: Tier | None = None,
) -> BranchTier:
    """One decision on a tier through the engine (reasons, versions and who checked there)."""
    lifecycle.apply(
        session,
        TIERS,
        actor=actor,
        subject=located,
        action=action,
        expected_version=expected_version,
        reason=(reason or "").strip() or None,
        inputs={"tier": tier.value if tier else None},
    )
    return located.tier


# ---------------------------------------------------------------- reading


def list_tiers(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    unit_id: int | None = None,
    year: int | None = None,
    branch_id: int | None = None,
    tier: Tier | None = None,
    status: TierStatus | None = None,
    transform: Callable[[Sequence[BranchTier]], Sequence[T]],
) -> Page[T]:
    """Tiers in the branches where the actor manages ratings: latest year first, then 后进 first."""
    paths = org_service.scope_for(session, actor, Permission.rating_manage, unit_id)
    stmt: Any = select(BranchTier).where(col(BranchTier.branch_id).in_(org_service.subtree_ids(paths)))
    if year is not None:
        stmt = stmt.where(col(BranchTier.year) == year)
    if branch_id is not None:
        stmt = stmt.where(col(BranchTier.branch_id) == branch_id)
    if tier is not None:
        stmt = stmt.where(col(BranchTier.tier) == tier.value)
    if status is not None:
        stmt = stmt.where(col(BranchTier.status) == status.value)
    stmt = stmt.order_by(col(BranchTier.year).desc(), col(BranchTier.branch_id))
    return paginate(session, stmt, params, transform)


def events(session: Session, tier_id: int) -> list[BranchTierEvent]:
    return list(
        session.execute(
            select(BranchTierEvent).where(col(BranchTierEvent.tier_id) == tier_id).order_by(col(BranchTierEvent.id))
        ).scalars()
    )


def tier_label(tier: BranchTier) -> str:
    """先进 / 一般 / 后进, or 一般（已摘帽）; 待审定 while undecided."""
    if tier.tier is None:
        return "待审定"
    label = TIER_LABELS[Tier(tier.tier)]
    return f"{label}（已摘帽）" if tier.status == TierStatus.lifted else label


__all__ = ["CHAIN", "TIERS", "Located", "list_tiers", "locate", "proposal", "propose", "set_items", "transition"]
