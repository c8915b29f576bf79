"""Supervisors' flags (提请书记关注): a supervisor draws the branch secretary's attention to a pledge
with a reason; the secretary is notified (and sees a badge: the open flags of their branches), answers,
and the answer closes the flag and goes back to the supervisor.

Who: raising needs `pledge.note` on the pledge (the supervision group, committee admins), as notes
do, while the pledge is active (published, being revised, asking to close); answering needs
`pledge.review` on the pledge's branch (its secretary, the committee). A supervisor has at most one
open flag per pledge. Flags are on the pledge's timeline for the branch and the supervision only —
not the member's, never a board's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import Page, PageParams, paginate
from app.core.permissions import Actor, Permission, Role, allowed, require
from app.core.time import utcnow
from app.members import service as members_service
from app.notifications import service as notifications
from app.notifications.service import Message
from app.org import service as org_service
from app.pledges import access, states
from app.pledges.access import Located
from app.pledges.lifecycle import actor_account_id, actor_name, wrong_state
from app.pledges.models import FLAG_STATUS_LABELS, FlagStatus, Pledge, PledgeFlag, PledgeStatus
from app.pledges.news import holders
from app.pledges.schemas import FlagRead


def _text(value: str, field: str, message: str) -> str:
    text = value.strip()
    if not text:
        raise Unprocessable(message, code=f"{field}_required", errors=[{"field": field, "message": message}])
    return text


def _who(session: Session, pledge: Pledge) -> str:
    """The pledge as a message names it: 王某某的承诺《…》 (or the unit's, for a collective pledge)."""
    if pledge.member_id is not None:
        owner = members_service.member_names(session, [pledge.member_id]).get(pledge.member_id, "")
    else:
        owner = org_service.get_unit(session, pledge.unit_id).name
    return f"{owner}的承诺《{pledge.title}》"


def raise_flag(session: Session, *, actor: Actor, located: Located, reason: str) -> FlagRead:
    """Flag a pledge to its branch's secretaries with a reason; they are notified."""
    access.require_note(actor, located)
    pledge = located.pledge
    if PledgeStatus(pledge.status) not in states.ACTIVE:
        raise wrong_state(actor, located, "提请书记关注")
    text = _text(reason, "reason", "请写明提请关注的原因")
    account_id = actor_account_id(actor)
    if account_id is not None:
        already = session.execute(
            select(col(PledgeFlag.id)).where(
                col(PledgeFlag.pledge_id) == pk(pledge),
                col(PledgeFlag.raised_by_account_id) == account_id,
                col(PledgeFlag.status) == FlagStatus.open,
            )
        ).first()
        if already is not None:
            raise Conflict("您已提请书记关注这项承诺，请等书记答复后再提", code="flag_already_open")
    flag = PledgeFlag(
        pledge_id=pk(pledge),
        branch_id=pledge.branch_id,
        reason=text,
        raised_by_account_id=account_id,
        raised_by_name=actor_name(session, actor),
    )
    session.add(flag)
    session.flush()
    branch = org_service.get_unit(session, pledge.branch_id)
    secretaries = holders(session, [branch], Role.secretary).get(pk(branch), set()) - {actor.account_id}
    message = Message(
        kind="pledge_flagged",
        title="监督小组提请您关注一项承诺",
        body=f"{_who(session, pledge)}：{text}",
        link=f"/pledges/{pk(pledge)}",
        subject_type="pledge",
        subject_id=pk(pledge),
    )
    notifications.notify(session, [(message, secretaries)])
    return _reads(session, [flag])[0]


def answer_flag(session: Session, *, actor: Actor, flag_id: int, answer: str) -> FlagRead:
    """The secretary's answer: the flag is closed with it, and the supervisor who raised it is told.
    404 outside the actor's scope, 403 without pledge.review on the branch, 409 once answered."""
    flag = session.get(PledgeFlag, flag_id)
    if flag is None:
        raise NotFound("未找到该提请", code="flag_not_found")
    located = access.visible_pledge(session, actor, flag.pledge_id)
    require(actor, Permission.pledge_review, org_service.get_unit(session, flag.branch_id))
    if flag.status != FlagStatus.open:
        raise Conflict("这条提请已经答复过了", code="flag_answered")
    flag.answer = _text(answer, "answer", "请填写答复内容")
    flag.status = FlagStatus.answered
    flag.answered_by_account_id = actor_account_id(actor)
    flag.answered_by_name = actor_name(session, actor)
    flag.answered_at = utcnow()
    session.add(flag)
    session.flush()
    if flag.raised_by_account_id is not None and flag.raised_by_account_id != actor.account_id:
        pledge = located.pledge
        message = Message(
            kind="flag_answered",
            title="书记已答复您的提请",
            body=f"{_who(session, pledge)}：{flag.answer}",
            link=f"/pledges/{pk(pledge)}",
            subject_type="pledge",
            subject_id=pk(pledge),
        )
        notifications.notify(session, [(message, [flag.raised_by_account_id])])
    return _reads(session, [flag])[0]


def flag_list(
    session: Session,
    *,
    actor: Actor,
    params: PageParams,
    status: FlagStatus | None = FlagStatus.open,
    unit_id: int | None = None,
    pledge_id: int | None = None,
    mine: bool = False,
) -> Page[FlagRead]:
    """Flags to answer: those on pledges of the branches the actor reviews (open ones by default,
    oldest first); with `mine`, the flags the actor raised (newest first). Three queries a page."""
    stmt: Any = select(PledgeFlag)
    if mine:
        stmt = stmt.where(col(PledgeFlag.raised_by_account_id) == actor.account_id)
        if unit_id is not None:
            paths = org_service.scope_for(session, actor, Permission.unit_read, unit_id)
            stmt = stmt.where(col(PledgeFlag.branch_id).in_(org_service.subtree_ids(paths)))
    else:
        paths = org_service.scope_for(session, actor, Permission.pledge_review, unit_id)
        stmt = stmt.where(col(PledgeFlag.branch_id).in_(org_service.subtree_ids(paths)))
    if pledge_id is not None:
        stmt = stmt.where(col(PledgeFlag.pledge_id) == pledge_id)
    if status is not None:
        stmt = stmt.where(col(PledgeFlag.status) == status)
    oldest_first = status == FlagStatus.open and not mine
    order = col(PledgeFlag.raised_at) if oldest_first else col(PledgeFlag.raised_at).desc()
    stmt = stmt.order_by(order, col(PledgeFlag.id))
    return paginate(session, stmt, params, lambda rows: _reads(session, rows))


def flags_on(session: Session, *, actor: Actor, located: Located) -> list[PledgeFlag]:
    """A pledge's flags for its timeline: for the supervision and the branch (pledge.note or
    pledge.review on the pledge), none for anyone else. One query, or none."""
    unit = located.unit
    if not (allowed(actor, Permission.pledge_note, unit) or allowed(actor, Permission.pledge_review, unit)):
        return []
    return list(
        session.execute(
            select(PledgeFlag).where(col(PledgeFlag.pledge_id) == pk(located.pledge)).order_by(col(PledgeFlag.id))
        ).scalars()
    )


def _reads(session: Session, rows: Sequence[PledgeFlag]) -> list[FlagRead]:
    """Flags with their pledges' titles, statuses and members: two queries for any number of rows."""
    ids = {f.pledge_id for f in rows}
    found = session.execute(select(Pledge).where(col(Pledge.id).in_(ids))).scalars() if ids else ()
    pledges = {pk(p): p for p in found}
    names = members_service.member_names(session, (p.member_id for p in pledges.values() if p.member_id))
    out = []
    for f in rows:
        read = FlagRead.model_validate(f)
        read.status_label = FLAG_STATUS_LABELS[FlagStatus(f.status)]
        pledge = pledges.get(f.pledge_id)
        if pledge is not None:
            read.pledge_title = pledge.title
            read.pledge_status = PledgeStatus(pledge.status)
            read.member_name = names.get(pledge.member_id) if pledge.member_id is not None else None
        out.append(read)
    return out
