"""end_read_phase(): ends a transaction that has only read; refuses one that has written anything."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from app.core import db as core_db
from app.org.models import OrgUnit
from tests.factories import World


def test_after_reads_only_it_commits(db: Session, world: World) -> None:
    session = core_db.new_session()
    session.get(OrgUnit, world.town.id)
    core_db.end_read_phase(session)
    assert not session.in_transaction()
    session.close()


@pytest.mark.parametrize("how", ["pending", "flushed", "executed"])
def test_after_a_write_it_refuses(db: Session, world: World, how: str) -> None:
    session = core_db.new_session()
    unit = session.get(OrgUnit, world.town.id)
    assert unit is not None
    if how == "executed":
        session.execute(update(OrgUnit).where(col(OrgUnit.id) == unit.id).values(sort_order=3))
    else:
        unit.sort_order = 3
        session.add(unit)
        if how == "flushed":
            session.flush()
    with pytest.raises(RuntimeError, match="commit it early"):
        core_db.end_read_phase(session)
    session.rollback()
    # a new transaction starts clean
    session.get(OrgUnit, world.town.id)
    core_db.end_read_phase(session)
    session.close()


def test_a_committed_write_does_not_count_in_the_next_transaction(db: Session, world: World) -> None:
    session = core_db.new_session()
    session.execute(update(OrgUnit).where(col(OrgUnit.id) == world.town.id).values(sort_order=4))
    session.commit()
    session.get(OrgUnit, world.town.id)
    core_db.end_read_phase(session)
    session.close()
