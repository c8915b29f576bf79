"""The pledge tables exist (built by migration 0002) and the transition table is consistent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from app.pledges import states
from app.pledges.models import OwnerKind, Pledge, PledgeCategory, PledgeEvent, PledgeStatus
from tests.factories import World


def test_a_pledge_and_its_event_round_trip(db: Session, world: World) -> None:
    pledge = Pledge(
        owner_kind=OwnerKind.member,
        member_id=world.member.member_id,
        unit_id=world.group.id,  # type: ignore[arg-type]
        branch_id=world.branch.id,  # type: ignore[arg-type]
        title="义务维修组内路灯",
        content="每月检查一次组内路灯，坏了当周修好。",
        category=PledgeCategory.public_service,
        year=2026,
        due_date=date(2026, 12, 31),
    )
    db.add(pledge)
    db.flush()
    db.add(PledgeEvent(pledge_id=pledge.id, action="create", to_status=PledgeStatus.draft, data={"a": 1}))  # type: ignore[arg-type]
    db.flush()
    db.expire_all()
    event = db.execute(select(PledgeEvent).where(col(PledgeEvent.pledge_id) == pledge.id)).scalar_one()
    assert event.data == {"a": 1}
    assert db.get(Pledge, pledge.id).status == PledgeStatus.draft  # type: ignore[union-attr]


def test_transition_table_is_consistent() -> None:
    assert set(PledgeStatus) == states.STATUSES
    for t in states.TRANSITIONS:
        assert t.source not in states.FINAL
        assert states.WHO[t.action] == t.who
    assert set(states.STATUS_LABELS) == set(PledgeStatus)
