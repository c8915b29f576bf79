"""The rating period lifecycle as one transition table on the house's engine (app/core/lifecycle.py).

    draft ──open──▶ open ──close_reviews──▶ assessing ──compute──▶ computed ──approve──▶ approved ──publish──▶ published
      ▲               │ ▲                       │ ▲                    │ ▲ recompute        │
      └───reopen──────┘ └───back_to_reviews─────┘ └──back_to_assessing─┘ └─────unapprove─────┘

- open: the policy is frozen into the period, one progress row per branch is made; self
  statements and peer reviews are taken (villager ratings inside the period's dates count anyway).
- close_reviews: reviews stop; 人情分 flags are found; the 承诺践诺 item is filled from pledges.
- compute / recompute (results, R2): writes one result per member and branch; re-runnable until approval.
- approve: the period is approved when every branch is (R2's approval code takes this step).
- publish: the levels go public (the committee may publish branch by branch before).
Going back a step needs a reason. Every accepted action writes one `rating_period_event`.

Who: `admin` is Permission.rating_admin on the period's unit (the committee); `manager` holds
Permission.rating_manage on the period's unit or inside its subtree (a secretary whose approval is
the last one moves the period to approved).
"""

from __future__ import annotations

from enum import StrEnum

from app.core import lifecycle
from app.ratings.models import PERIOD_STATUS_LABELS, PeriodStatus

S = PeriodStatus


class Action(StrEnum):
    open = "open"
    reopen = "reopen"
    close_reviews = "close_reviews"
    back_to_reviews = "back_to_reviews"
    compute = "compute"
    recompute = "recompute"
    back_to_assessing = "back_to_assessing"
    approve = "approve"
    unapprove = "unapprove"
    publish = "publish"


class Who(StrEnum):
    admin = "admin"  # Permission.rating_admin on the period's unit
    manager = "manager"  # Permission.rating_manage somewhere in the period's subtree (compute, approve)


Row = lifecycle.Row

TRANSITIONS: tuple[Row[PeriodStatus, Action], ...] = (
    Row(S.draft, Action.open, S.open, Who.admin),
    Row(S.open, Action.reopen, S.draft, Who.admin, reason_required=True),
    Row(S.open, Action.close_reviews, S.assessing, Who.admin),
    Row(S.assessing, Action.back_to_reviews, S.open, Who.admin, reason_required=True),
    Row(S.assessing, Action.compute, S.computed, Who.admin),
    Row(S.computed, Action.recompute, S.computed, Who.admin),
    Row(S.computed, Action.back_to_assessing, S.assessing, Who.admin, reason_required=True),
    Row(S.computed, Action.approve, S.approved, Who.manager),
    Row(S.approved, Action.unapprove, S.computed, Who.admin, reason_required=True),
    Row(S.approved, Action.publish, S.published, Who.admin),
)

# one row per (status, action), one kind of actor per action (the engine asserts both)
TABLE: lifecycle.Table[PeriodStatus, Action] = lifecycle.Table(TRANSITIONS)
WHO: dict[Action, Who] = {t.action: Who(t.who) for t in TRANSITIONS}

STATUSES: frozenset[PeriodStatus] = frozenset({t.source for t in TRANSITIONS} | {t.target for t in TRANSITIONS})
# self statements and peer reviews are taken (and changed) only while open
REVIEWING: frozenset[PeriodStatus] = frozenset({S.open})
# secretaries and the committee score (saving as they go) while reviews run and after
ASSESSING: frozenset[PeriodStatus] = frozenset({S.open, S.assessing})
# the period's policy is frozen from opening on
FROZEN: frozenset[PeriodStatus] = STATUSES - {S.draft}
# a draft's dates, title and deadlines may be edited; afterwards only the deadlines
EDITABLE: frozenset[PeriodStatus] = frozenset({S.draft})
DEADLINES_EDITABLE: frozenset[PeriodStatus] = frozenset({S.draft, S.open, S.assessing, S.computed})

STATUS_LABELS = PERIOD_STATUS_LABELS

ACTION_LABELS: dict[str, str] = {
    "create": "创建测评周期",
    "edit": "修改测评周期",
    Action.open: "开始自评互评",
    Action.reopen: "退回草稿",
    Action.close_reviews: "结束互评，进入组织考评",
    Action.back_to_reviews: "退回自评互评",
    Action.compute: "核算得分",
    Action.recompute: "重新核算",
    Action.back_to_assessing: "退回组织考评",
    Action.approve: "审定",
    Action.unapprove: "撤销审定",
    Action.publish: "发布",
}


def find(status: PeriodStatus, action: Action) -> Row[PeriodStatus, Action] | None:
    return TABLE.find(PeriodStatus(status), action)


def actions_from(status: PeriodStatus) -> list[Row[PeriodStatus, Action]]:
    return TABLE.from_state(PeriodStatus(status))
