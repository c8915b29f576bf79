"""The pledge lifecycle (五诺) as one transition table, in the types of the engine (app.core.lifecycle).

Each row: from status, action, next status, who may do it and what the action needs. The engine's
`apply()` (through `pledges.lifecycle.act()` and `publish_batch()`) applies a row; nothing else changes
a pledge's status. The sets of statuses below (PUBLIC, DUE, …) are what the rules in rules.py use.

Who:
- `owner`: for an individual pledge, the member themself while they are an active member (they hold
  Permission.pledge_own somewhere) — wherever the pledge lives, so a member who moves to another
  group or branch keeps reporting on and closing their own pledges; for a collective pledge, whoever
  holds Permission.pledge_collective on the owning unit (group leader, secretary). A secretary
  (Permission.pledge_review on the pledge's branch) may also act for a member who has no phone.
- `reviewer`: Permission.pledge_review on the pledge's branch (secretary, committee admin). Never on
  one's own pledge (separation of duties): a secretary's own pledge is vetted by someone holding
  pledge_review above the branch (the committee), and the secretary gets 403 "不能审核自己的承诺".

Where a pledge lives when its member moves: a pledge stays with the branch that vetted it (its
`unit_id` / `branch_id` never change): that branch's secretary approves, publishes, closes or
cancels it to the end, sees it in their review queue and is notified, and the timeline stays in
one place. The member keeps doing the owner's part from their new branch. Boards show a member's
pledges on the board of the member's current group or branch, and every change touches both the
pledge's unit and the member's current units (news.touch_pledges). A member who is no longer
active (转出, 不在册) owns nothing any more: their old branch's secretary closes or cancels what is left.

    draft ──submit──▶ submitted ──approve──▶ approved ──publish──▶ published ──request_close──▶ closing
      ▲                   │                                      │   ▲   ▲                       │
      └──────return───────┘                               revise │   │   └────────reopen─────────┤
                                                                 ▼   │ approve / return          │ close
                                                              revising                          closed
    draft, submitted ──withdraw──▶ withdrawn;   approved, published, revising ──cancel──▶ cancelled
"""

from __future__ import annotations

from enum import StrEnum

from app.core.lifecycle import Row, Table
from app.pledges.models import PledgeStatus

S = PledgeStatus


class Action(StrEnum):
    submit = "submit"
    approve = "approve"
    return_ = "return"
    publish = "publish"
    withdraw = "withdraw"
    cancel = "cancel"
    request_close = "request_close"
    close = "close"
    reopen = "reopen"
    revise = "revise"
    review = "review"  # 回头看: the branch's mid-term note on a term pledge (任期承诺)


class Who(StrEnum):
    owner = "owner"
    reviewer = "reviewer"


Transition = Row[PledgeStatus, Action]

TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.draft, Action.submit, S.submitted, Who.owner),
    Transition(S.submitted, Action.approve, S.approved, Who.reviewer),
    Transition(S.submitted, Action.return_, S.draft, Who.reviewer, reason_required=True),
    Transition(S.approved, Action.publish, S.published, Who.reviewer),
    Transition(S.published, Action.request_close, S.closing, Who.owner),
    Transition(
        S.closing,
        Action.close,
        S.closed,
        Who.reviewer,
        reason_required=True,
        outcome_required=True,
        reason_label="核实意见",
    ),
    Transition(S.closing, Action.reopen, S.published, Who.reviewer, reason_required=True),
    Transition(S.draft, Action.withdraw, S.withdrawn, Who.owner),
    Transition(S.submitted, Action.withdraw, S.withdrawn, Who.owner),
    Transition(S.approved, Action.cancel, S.cancelled, Who.reviewer, reason_required=True),
    Transition(S.published, Action.cancel, S.cancelled, Who.reviewer, reason_required=True),
    Transition(S.revising, Action.cancel, S.cancelled, Who.reviewer, reason_required=True),
    # a published pledge whose content must change goes back through approval; the board keeps
    # showing the approved text until the revision is approved (then shows that it changed)
    Transition(S.published, Action.revise, S.revising, Who.owner),
    Transition(S.revising, Action.approve, S.published, Who.reviewer),
    Transition(S.revising, Action.return_, S.published, Who.reviewer, reason_required=True),
    # 任期承诺回头看: the branch's review note on a term pledge while it is kept (terms.check_review);
    # the status stays, the engine writes the note as an event, the board shows it
    Transition(S.published, Action.review, S.published, Who.reviewer, reason_required=True, reason_label="回头看意见"),
)

TABLE: Table[PledgeStatus, Action] = Table(TRANSITIONS)

# one kind of actor per action (the engine checks it), so "may this person ever do it" (403) is told
# apart from "not now" (409)
WHO: dict[Action, Who] = {action: Who(who) for action, who in TABLE.who.items()}

STATUSES: frozenset[PledgeStatus] = TABLE.states
FINAL: frozenset[PledgeStatus] = frozenset({S.closed, S.withdrawn, S.cancelled})
# shown on public boards (with their history) — and so is a cancelled pledge that had been published
# (`published_at` set; shown as 已取消, without the reason): nothing shown publicly is taken back
PUBLIC: frozenset[PledgeStatus] = frozenset({S.published, S.revising, S.closing, S.closed})
# progress updates and supervision notes are taken while the pledge is being kept
ACTIVE: frozenset[PledgeStatus] = frozenset({S.published, S.revising, S.closing})
# the due date matters: past it and not closed means overdue
DUE: frozenset[PledgeStatus] = frozenset({S.approved, S.published, S.revising, S.closing})
# only a draft may be edited in place; a published one is revised
EDITABLE: frozenset[PledgeStatus] = frozenset({S.draft})
# waiting for the secretary (the review queue)
AWAITING_REVIEW: frozenset[PledgeStatus] = frozenset({S.submitted, S.revising, S.closing})

STATUS_LABELS: dict[PledgeStatus, str] = {
    S.draft: "草稿",
    S.submitted: "待审核",
    S.approved: "待公示",
    S.published: "践诺中",
    S.revising: "修改待审核",
    S.closing: "申请销诺",
    S.closed: "已销诺",
    S.withdrawn: "已撤回",
    S.cancelled: "已取消",
}

ACTION_LABELS: dict[str, str] = {
    "create": "起草承诺",
    "edit": "修改草稿",
    Action.submit: "报诺",
    Action.approve: "定诺",
    Action.return_: "退回",
    Action.publish: "亮诺公示",
    Action.withdraw: "撤回",
    Action.cancel: "取消承诺",
    Action.request_close: "申请销诺",
    Action.close: "销诺",
    Action.reopen: "重新践诺",
    Action.revise: "申请修改",
    Action.review: "回头看",
    "progress": "践诺进展",
    "note": "监督意见",
}


# actions whose effect cannot be undone: the PWA names the effect in full words and confirms
DESTRUCTIVE: frozenset[str] = frozenset({Action.withdraw, Action.cancel})
# actions whose dialog asks for a reason the record keeps, though it may stay empty (the demo and
# paper records withdraw without one); `reason_required` rows must have it
REASON_ASKED: frozenset[str] = frozenset({Action.withdraw})
REASON_LABELS: dict[str, str] = {Action.withdraw: "撤回原因", Action.review: "回头看意见"}

# what each action does, in full words: the confirm dialog's text (vocabulary.py)
CONFIRM: dict[str, str] = {
    "create": "起草承诺：先保存为草稿，报诺后交支部书记审核",
    "edit": "修改草稿：保存修改后的内容",
    Action.submit: "报诺：承诺将交支部书记审核，审核期间不能修改",
    Action.approve: "定诺：承诺通过审核，等待公示",
    Action.return_: "退回：承诺退回给承诺人修改，承诺人会看到退回原因",
    Action.publish: "亮诺公示：承诺将出现在公示牌上，群众可以看到并测评",
    Action.withdraw: "撤回：承诺将作废，不再送审，不能恢复",
    Action.cancel: "取消承诺：承诺将作废，不再践诺，不能恢复；已公示的在公示牌上显示为“已取消”",
    Action.request_close: "申请销诺：报告承诺已经完成，交支部书记核实",
    Action.close: "销诺：按所选结果结束承诺，结果和核实意见将在公示牌上公开，不能再改",
    Action.reopen: "重新践诺：销诺申请不通过，承诺回到践诺中",
    Action.revise: "申请修改：修改内容须经支部书记审核，通过前公示牌仍显示原内容",
    Action.review: "回头看：记下支部对这项任期承诺的中期检查意见，意见将在公示牌上公开，承诺继续践诺",
    "progress": "践诺进展：进展和照片将在公示牌上公开",
    "note": "监督意见：记入承诺的记录，仅支部内可见，不公示",
}


def actions_from(status: PledgeStatus) -> list[Transition]:
    return TABLE.from_state(status)


def find(status: PledgeStatus, action: Action) -> Transition | None:
    return TABLE.find(status, action)
