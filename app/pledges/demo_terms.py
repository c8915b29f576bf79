"""Demo term pledges (任期承诺, 002 "任期承诺回头看，我给书记提个醒"): a few cadres' pledges for their term,
published; the demo branch's secretary's has had its mid-term 回头看 (the committee's note, an event on
the pledge's timeline), the others show when theirs becomes possible. Dates are relative to this year,
so every run builds the same shapes; a handful of rows through the lifecycle engine, quick.

Villagers' comments on the reviewed pledge are suggestions (evaluations, a higher domain): app/demo.py
adds them with the id this returns."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from app.core.db import pk
from app.core.permissions import SYSTEM
from app.core.time import today_local
from app.members.models import Member
from app.pledges.drafting import create_pledge
from app.pledges.lifecycle import act
from app.pledges.models import PledgeKind
from app.pledges.schemas import PledgeCreate
from app.pledges.states import Action

# (title, content, years the term began before this one, years it ends after this one)
TERMS = [
    (
        "任期内村级集体经济收入翻一番",
        "三年任期内盘活村集体闲置山场和厂房，发展茶叶合作社，"
        "村集体经济年收入从 8 万元增加到 16 万元以上，每年向村民公开账目。",
        2,
        1,
    ),
    (
        "任期内修通三条断头路",
        "任期内争取项目资金，修通村里三条断头路，每修好一条向群众报告一次。",
        1,
        1,
    ),
    (
        "任期内建成村级养老服务站",
        "任期内建成村级养老服务站，为 70 岁以上独居老人提供助餐和上门探访。",
        0,
        2,
    ),
]
REVIEW_NOTE = (
    "回头看：茶叶合作社已成立，山场流转完成一半，集体收入今年达到 12 万元；厂房出租还没落实，"
    "请抓紧招租，年底前向群众说明进度。"
)
REVIEWER = dataclasses.replace(SYSTEM, name="镇党委")  # a secretary's own pledge is vetted above the branch


def seed_term_pledges(session: Session, *, cadres: Sequence[Member]) -> int | None:
    """One published term pledge for each cadre (members holding a branch role: terms.CADRE_ROLES), in
    TERMS order; the first has had its 回头看. Returns that pledge's id (for the villagers' comments)."""
    year = today_local().year
    reviewed: int | None = None
    for index, (member, (title, content, began, ends)) in enumerate(zip(cadres, TERMS, strict=False)):
        data = PledgeCreate(
            title=title,
            content=content,
            category="post_duty",
            kind=PledgeKind.term,
            term_start=date(year - began, 3, 1),
            due_date=date(year + ends, 2, 28),
        )
        located = create_pledge(session, actor=dataclasses.replace(SYSTEM, member_id=pk(member)), data=data)
        for action in (Action.submit, Action.approve, Action.publish):
            act(session, actor=REVIEWER, located=located, action=action, expected_version=located.pledge.version)
        if index == 0:
            act(
                session,
                actor=REVIEWER,
                located=located,
                action=Action.review,
                expected_version=located.pledge.version,
                reason=REVIEW_NOTE,
            )
            reviewed = pk(located.pledge)
    session.flush()
    return reviewed
