"""The 述职评议 round lifecycle as one transition table on the house's engine (app/core/lifecycle.py).

    draft ──open──▶ open ──schedule──▶ scheduled ──start_scoring──▶ scoring ──close──▶ closed
      ▲               │ ▲                  │ ▲                         │ ▲               │
      └──back_to_draft┘ └──back_to_open────┘ └──back_to_scheduled──────┘ └─reopen_scoring┘

- open: the rubric is frozen; one report row per branch under the round's unit is made; secretaries
  submit until the session (a report saved after `report_due` is marked late).
- schedule: the 述职会's date and place must be set (422 otherwise).
- start_scoring: reports are final; committee members score each one (one score per scorer).
- close: scores stop; the results (mean, trimmed from five scorers) stand; reports may be published.
Going back a step needs a reason. Every accepted action writes one `debrief_round_event`.
"""

from __future__ import annotations

from enum import StrEnum

from app.appraisal.models_debrief import DEBRIEF_STATUS_LABELS, DebriefStatus
from app.core import lifecycle

S = DebriefStatus


class Action(StrEnum):
    open = "open"
    back_to_draft = "back_to_draft"
    schedule = "schedule"
    back_to_open = "back_to_open"
    start_scoring = "start_scoring"
    back_to_scheduled = "back_to_scheduled"
    close = "close"
    reopen_scoring = "reopen_scoring"


class Who(StrEnum):
    admin = "admin"  # Permission.rating_admin on the round's unit (the committee)


Row = lifecycle.Row

TABLE: lifecycle.Table[DebriefStatus, Action] = lifecycle.Table(
    (
        Row(S.draft, Action.open, S.open, Who.admin),
        Row(S.open, Action.back_to_draft, S.draft, Who.admin, reason_required=True),
        Row(S.open, Action.schedule, S.scheduled, Who.admin),
        Row(S.scheduled, Action.back_to_open, S.open, Who.admin, reason_required=True),
        Row(S.scheduled, Action.start_scoring, S.scoring, Who.admin),
        Row(S.scoring, Action.back_to_scheduled, S.scheduled, Who.admin, reason_required=True),
        Row(S.scoring, Action.close, S.closed, Who.admin),
        Row(S.closed, Action.reopen_scoring, S.scoring, Who.admin, reason_required=True),
    )
)

# secretaries submit (and amend) while reports are taken; after the deadline the save is marked late
SUBMITTING: frozenset[DebriefStatus] = frozenset({S.open, S.scheduled})
# a draft's title, rubric and deadline may be edited; the deadline and the session until scoring
EDITABLE: frozenset[DebriefStatus] = frozenset({S.draft})
SESSION_EDITABLE: frozenset[DebriefStatus] = frozenset({S.draft, S.open, S.scheduled})
# results are final (and reports may be published) once closed
FINAL: frozenset[DebriefStatus] = frozenset({S.closed})

STATUS_LABELS = DEBRIEF_STATUS_LABELS

ACTION_LABELS: dict[str, str] = {
    "create": "创建述职评议",
    "edit": "修改述职评议",
    "publish_report": "在公示牌公开述职报告",
    "unpublish_report": "撤下公示的述职报告",
    Action.open: "开始收取述职报告",
    Action.back_to_draft: "退回草稿",
    Action.schedule: "安排述职会",
    Action.back_to_open: "退回收取述职报告",
    Action.start_scoring: "开始评议打分",
    Action.back_to_scheduled: "退回述职会安排",
    Action.close: "结束评议",
    Action.reopen_scoring: "重新打开评议",
}
