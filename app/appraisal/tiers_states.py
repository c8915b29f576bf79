"""The lifecycles of a branch's tier, of a step of its 整顿 plan and of a ranking's publication, as
transition tables on the house's engine (app/core/lifecycle.py).

    proposed ──approve──▶ approved ──rectify──▶ rectifying ──lift (摘帽子)──▶ lifted
        ▲                  │  ▲ change (another tier, with a reason)
        └────reopen────────┘  │
                              └──┘

- approve: the proposed tier, or another one with a reason (the engine's `validate` asks for it);
- change: an approved tier changed (静态定位、动态升级), always with a reason;
- reopen: back to the proposal (e.g. the year's levels recomputed), with a reason;
- rectify: a 后进 branch starts its 整顿 plan (only 后进);
- lift: 摘帽子 — every step of the plan done or dropped, at least one done, with a reason; the
  branch's tier of the year becomes 一般, its 后进 kept in the events.

A step: planned ──complete──▶ done (with a note), done ──undo──▶ planned (reason),
planned ──drop──▶ dropped (reason). A ranking: published ⇄ withdrawn (withdraw needs a reason).

Who: `admin` is Permission.rating_admin on the committee whose tiers they are; `manager` holds
Permission.rating_manage on the branch (its secretary, or the committee) and completes steps.
"""

from __future__ import annotations

from enum import StrEnum

from app.appraisal.models_tiers import RankingStatus, StepStatus, TierStatus
from app.core import lifecycle

Row = lifecycle.Row
S = TierStatus


class TierAction(StrEnum):
    approve = "approve"
    change = "change"
    reopen = "reopen"
    rectify = "rectify"
    lift = "lift"


class StepAction(StrEnum):
    complete = "complete"
    undo = "undo"
    drop = "drop"


class RankingAction(StrEnum):
    publish = "publish"
    withdraw = "withdraw"


class Who(StrEnum):
    admin = "admin"  # Permission.rating_admin on the committee
    manager = "manager"  # Permission.rating_manage on the branch


TIER_TABLE: lifecycle.Table[TierStatus, TierAction] = lifecycle.Table(
    (
        Row(S.proposed, TierAction.approve, S.approved, Who.admin),
        Row(S.approved, TierAction.change, S.approved, Who.admin, reason_required=True),
        Row(S.approved, TierAction.reopen, S.proposed, Who.admin, reason_required=True),
        Row(S.approved, TierAction.rectify, S.rectifying, Who.admin),
        Row(S.rectifying, TierAction.lift, S.lifted, Who.admin, reason_required=True, reason_label="摘帽理由"),
    )
)

STEP_TABLE: lifecycle.Table[StepStatus, StepAction] = lifecycle.Table(
    (
        Row(
            StepStatus.planned,
            StepAction.complete,
            StepStatus.done,
            Who.manager,
            reason_required=True,
            reason_label="完成情况",
        ),
        Row(StepStatus.done, StepAction.undo, StepStatus.planned, Who.manager, reason_required=True),
        Row(StepStatus.planned, StepAction.drop, StepStatus.dropped, Who.admin, reason_required=True),
    )
)

RANKING_TABLE: lifecycle.Table[RankingStatus, RankingAction] = lifecycle.Table(
    (
        Row(RankingStatus.withdrawn, RankingAction.publish, RankingStatus.published, Who.admin),
        Row(RankingStatus.published, RankingAction.withdraw, RankingStatus.withdrawn, Who.admin, reason_required=True),
    )
)

TIER_ACTION_LABELS: dict[str, str] = {
    "propose": "提出分类建议",
    "items": "评定五好",
    TierAction.approve: "审定分类",
    TierAction.change: "调整分类",
    TierAction.reopen: "退回待审定",
    TierAction.rectify: "开始整顿",
    TierAction.lift: "摘帽子",
    "add_step": "添加整顿步骤",
    StepAction.complete: "完成整顿步骤",
    StepAction.undo: "撤销完成",
    StepAction.drop: "取消整顿步骤",
}

RANKING_ACTION_LABELS: dict[str, str] = {
    RankingAction.publish: "公布排行榜",
    RankingAction.withdraw: "撤下排行榜",
}

# while steps may be added to a 后进 branch's plan
PLANNING: frozenset[TierStatus] = frozenset({S.approved, S.rectifying})
# a decided tier (what the ranking and the history show)
DECIDED: frozenset[TierStatus] = frozenset({S.approved, S.rectifying, S.lifted})
