"""What pledges tell people and boards: notifications after a move, due-date reminders, touches.

- `after_moves(session, steps)` is the lifecycle's follow-up (see pledges.lifecycle): the owner hears
  of a return, an approval, publication, closing, reopening or cancelling; the branch's secretaries of
  a submission, a revision or a request to close; boards are told that what they show changed. One
  notify and one touch for any number of moves.
- `send_reminders()` is the daily job's: due within seven days, or overdue (rules.OVERDUE), to the
  owner ("您的承诺…") and the supervisors of the pledge's unit ("王某某的承诺…", naming the member or
  the unit of a collective pledge, with the pledge's title); run as `SYSTEM`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.lifecycle import Step
from app.core.permissions import SYSTEM, Actor, Role
from app.core.time import today_local
from app.members import service as members_service
from app.notifications import service as notifications
from app.notifications.service import Message
from app.org import service as org_service
from app.org.models import OrgUnit
from app.pledges import states
from app.pledges.access import Located
from app.pledges.models import OUTCOME_LABELS, Pledge, PledgeOutcome, PledgeStatus
from app.pledges.rules import OVERDUE, is_public
from app.pledges.states import Action

REMINDER_DAYS = 7

OWNER_NEWS: dict[tuple[Action, str], tuple[str, str]] = {
    # (action, source kind) → (kind, title)
    (Action.return_, "submitted"): ("pledge_returned", "您的承诺被退回，请修改后重新提交"),
    (Action.return_, "revising"): ("revision_returned", "您的承诺修改申请未通过"),
    (Action.approve, "submitted"): ("pledge_approved", "您的承诺已通过审核（定诺）"),
    (Action.approve, "revising"): ("revision_approved", "您的承诺修改已通过，公示牌已更新"),
    (Action.publish, "*"): ("pledge_published", "您的承诺已公示（亮诺）"),
    (Action.close, "*"): ("pledge_closed", "您的承诺已销诺"),
    (Action.reopen, "*"): ("pledge_reopened", "销诺申请未通过，请继续践诺"),
    (Action.cancel, "*"): ("pledge_cancelled", "您的承诺已被取消"),
    (Action.review, "*"): ("term_reviewed", "您的任期承诺有了回头看意见"),
}
REVIEW_NEWS: dict[Action, tuple[str, str]] = {
    Action.submit: ("review_waiting", "有承诺等待审核（定诺）"),
    Action.request_close: ("close_waiting", "有承诺申请销诺，等待核实"),
    Action.revise: ("revision_waiting", "有已公示的承诺申请修改，等待审核"),
}

PledgeStep = Step[Located, PledgeStatus, Action]


def pledge_message(pledge: Pledge, news: tuple[str, str], body: str | None = None) -> Message:
    """A notification about a pledge: `news` is (kind, title) from OWNER_NEWS / REVIEW_NEWS."""
    kind, title = news
    return Message(
        kind=kind,
        title=title,
        body=body or f"《{pledge.title}》",
        link=f"/pledges/{pk(pledge)}",
        subject_type="pledge",
        subject_id=pk(pledge),
    )


def owner_accounts(session: Session, pledges: Sequence[Pledge]) -> dict[int, int]:
    """pledge id → the account that owns it (the member's, or the drafter of a collective pledge)."""
    members = members_service.members_by_id(session, [p.member_id for p in pledges if p.member_id is not None])
    out: dict[int, int] = {}
    for p in pledges:
        if p.member_id is not None:
            member = members.get(p.member_id)
            account_id = member.account_id if member else None
        else:
            account_id = p.created_by_account_id
        if account_id is not None:
            out[pk(p)] = account_id
    return out


def holders(session: Session, units: Iterable[OrgUnit], role: Role) -> dict[int, set[int]]:
    """unit id → accounts holding `role` on it or on an ancestor (one query for all units)."""
    units = list(units)
    ancestors = {u.id: org_service.ancestor_ids(u) for u in units}
    direct = org_service.role_holders(session, {a for ids in ancestors.values() for a in ids}, [role])
    return {uid: set().union(*(direct.get(a, set()) for a in ids)) for uid, ids in ancestors.items() if uid is not None}


def touch_pledges(session: Session, pledges: Sequence[Pledge]) -> None:
    """Tell boards that these pledges changed. A pledge is shown where it lives (its unit) and — boards
    find a member's pledges by the member — on the board of the member's CURRENT group and branch,
    which differ from the pledge's unit once the member moved. One query for the members, one touch."""
    units: set[int | None] = {p.unit_id for p in pledges}
    members = members_service.members_by_id(session, [p.member_id for p in pledges if p.member_id is not None])
    for member in members.values():
        units.update((member.branch_id, member.group_id))
    org_service.touch(session, units)


def _owner_body(step: PledgeStep) -> str:
    pledge, action = step.subject.pledge, step.row.action
    body = f"《{pledge.title}》"
    if action == Action.close and pledge.outcome:
        body += f"，结果：{OUTCOME_LABELS[PledgeOutcome(pledge.outcome)]}"
    if step.reason and action != Action.close:
        body += f"。原因：{step.reason}"
    return body


def after_moves(session: Session, steps: Sequence[PledgeStep]) -> None:
    """What follows accepted moves: notifications, and boards told their content changed. A fixed
    number of statements for any number of moves (owners in one query, secretaries in one)."""
    shown = [s.subject.pledge for s in steps if s.row.source in states.PUBLIC or is_public(s.subject.pledge)]
    owner_steps = [s for s in steps if _owner_news(s) is not None]
    owners = owner_accounts(session, [s.subject.pledge for s in owner_steps]) if owner_steps else {}
    review_steps = [s for s in steps if s.row.action in REVIEW_NEWS]
    units = {pk(s.subject.unit): s.subject.unit for s in review_steps}
    secretaries = holders(session, units.values(), Role.secretary) if units else {}
    messages: list[tuple[Message, Iterable[int]]] = []
    for step in steps:
        pledge = step.subject.pledge
        news = _owner_news(step)
        if news is not None:
            owner = owners.get(pk(pledge))
            if owner is not None and owner != step.actor.account_id:
                messages.append((pledge_message(pledge, news, _owner_body(step)), [owner]))
        if step.row.action in REVIEW_NEWS:
            waiting = secretaries.get(pk(step.subject.unit), set()) - {step.actor.account_id}
            messages.append((pledge_message(pledge, REVIEW_NEWS[step.row.action]), waiting))
    if shown:
        touch_pledges(session, shown)
    notifications.notify(session, messages)


def _owner_news(step: PledgeStep) -> tuple[str, str] | None:
    action, source = step.row.action, step.row.source.value
    return OWNER_NEWS.get((action, source)) or OWNER_NEWS.get((action, "*"))


@dataclass(frozen=True)
class ReminderResult:
    due_soon: int
    overdue: int


def send_reminders(session: Session, *, actor: Actor = SYSTEM, today: date | None = None) -> ReminderResult:
    """Due-date reminders for pledges whose due date matters (rules.OVERDUE: approved, published, being
    revised, asking to close — the same pledges `overdue` counts): due within seven days, or overdue —
    to the owner and the supervisors of the pledge's unit. Each reminder exists at most once per
    pledge, due date and recipient (dedupe keys), so running this daily, or twice, or on several
    workers, never sends duplicates. Only pledges of this year and the last are read: older ones were
    reminded in their time, and the daily scan stays small however many years the database holds.
    Five queries however many pledges. A job: `actor` is SYSTEM (nobody else runs it)."""
    assert actor.system, "reminders are the daily job's"
    today = today or today_local()
    # "overdue by the day after the horizon" = due by the horizon, among the pledges whose due date matters
    horizon = today + timedelta(days=REMINDER_DAYS)
    pledges = list(
        session.execute(
            select(Pledge).where(OVERDUE.sql(horizon + timedelta(days=1)), col(Pledge.year) >= today.year - 1)
        ).scalars()
    )
    if not pledges:
        return ReminderResult(0, 0)
    owners = owner_accounts(session, pledges)
    units = org_service.units_by_id(session, {p.unit_id for p in pledges})
    supervisors = holders(session, units.values(), Role.supervisor)
    names = members_service.member_names(session, (p.member_id for p in pledges if p.member_id is not None))
    late = OVERDUE.test(today)
    messages: list[tuple[Message, Iterable[int]]] = []
    due_soon = overdue = 0
    for p in pledges:
        owner = owners.get(pk(p))
        watchers = set(supervisors.get(p.unit_id, set())) - {owner}
        if late(p):
            overdue += 1
            kind, when = "overdue", "已超过完成时限"
        else:
            due_soon += 1
            kind, when = "due_soon", "将在 7 天内到期"
        unit = units.get(p.unit_id)
        # the supervisors are told whose pledge it is (the member, or the unit of a collective one)
        whose = names.get(p.member_id, "") if p.member_id is not None else (unit.name if unit else "")
        body = f"《{p.title}》完成时限：{p.due_date.isoformat()}"
        for title, recipients in ((f"您的承诺{when}", {owner} - {None}), (f"{whose}的承诺{when}", watchers)):
            if recipients:
                messages.append(
                    (
                        Message(
                            kind=kind,
                            title=title,
                            body=body,
                            link=f"/pledges/{pk(p)}",
                            subject_type="pledge",
                            subject_id=pk(p),
                            dedupe_key=f"{kind}:{pk(p)}:{p.due_date.isoformat()}",
                        ),
                        [r for r in recipients if r is not None],
                    )
                )
    notifications.notify(session, messages)
    return ReminderResult(due_soon=due_soon, overdue=overdue)
