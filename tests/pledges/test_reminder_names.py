"""Supervisors' reminders name whose pledge it is and which (issue 9); the owner's say 您的承诺."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.time import today_local
from app.members import service as members_service
from app.notifications.models import Notification
from app.pledges import service as pledges_service
from app.pledges.models import PledgeStatus
from tests.factories import World
from tests.pledges.factories import collective_pledge, member_pledge


def _titles(db: Session, pledge_id: int) -> dict[int, tuple[str, str]]:
    rows = db.execute(select(Notification).where(col(Notification.subject_id) == pledge_id)).scalars()
    return {n.account_id: (n.title, n.body) for n in rows}


def test_reminders_name_the_member_and_the_pledge(world: World, db: Session) -> None:
    soon = member_pledge(world, status=PledgeStatus.published, due_date=today_local() + timedelta(days=3))
    group = collective_pledge(world, status=PledgeStatus.published, due_date=today_local() + timedelta(days=1))
    pledges_service.send_reminders(db)
    name = members_service.get_member(db, world.member.member_id or 0).name
    got = _titles(db, pk(soon))
    assert got[world.member.account_id][0] == "您的承诺将在 7 天内到期"
    title, body = got[world.supervisor.account_id]
    assert title == f"{name}的承诺将在 7 天内到期"
    assert f"《{soon.title}》" in body
    assert _titles(db, pk(group))[world.supervisor.account_id][0] == f"{world.group.name}的承诺将在 7 天内到期"
