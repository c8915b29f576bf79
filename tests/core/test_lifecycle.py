"""The lifecycle engine on a tiny table of its own (a street lamp's repair, no pledge): the checks in
their order (who 403/404, version 428/412, state 409, reason/outcome 422), the state set and the
version bumped, the event written, the effects called, and a batch in a fixed number of statements.

The lamp and its events are plain mapped tables on their own metadata, created inside the test's
rolled-back transaction, so the app's metadata (and `alembic check`) never sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import pytest
from sqlalchemy import Integer, MetaData, String, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlmodel import Session

from app.core import lifecycle as engine
from app.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable
from app.core.lifecycle import Lifecycle, Move, Row, Step, Table
from app.core.permissions import SYSTEM, Actor, Grant, Permission, Role, require


class Base(DeclarativeBase):
    metadata = MetaData()


class Lamp(Base):
    __tablename__ = "test_lamp"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="broken")
    version: Mapped[int] = mapped_column(Integer, default=1)
    fixed_by: Mapped[str | None] = mapped_column(String(40), nullable=True)


class LampEvent(Base):
    __tablename__ = "test_lamp_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lamp_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(100), nullable=True)


class State(StrEnum):
    broken = "broken"
    reported = "reported"
    fixed = "fixed"


class Act(StrEnum):
    report = "report"
    fix = "fix"
    reopen = "reopen"


class Who(StrEnum):
    villager = "villager"
    electrician = "electrician"


PERMISSION = {Who.villager: Permission.unit_read, Who.electrician: Permission.unit_manage}

TABLE = Table(
    (
        Row(State.broken, Act.report, State.reported, Who.villager),
        Row(State.reported, Act.fix, State.fixed, Who.electrician, outcome_required=True),
        # going back a step needs a reason
        Row(State.fixed, Act.reopen, State.reported, Who.electrician, reason_required=True),
    )
)


class Outcome(StrEnum):
    new_bulb = "new_bulb"


calls: list[str] = []


def _authorize(actor: Actor, lamp: Lamp, who: StrEnum) -> None:
    require(actor, PERMISSION[Who(who)], lamp.path)


def _write(session: Session, steps: Sequence[Step[Lamp, State, Act]]) -> None:
    calls.append(f"events:{len(steps)}")
    rows = [
        {
            "lamp_id": s.subject.id,
            "action": s.row.action.value,
            "from_status": s.row.source.value,
            "to_status": s.row.target.value,
            "reason": s.reason,
        }
        for s in steps
    ]
    session.execute(insert(LampEvent), rows)


def _enter(session: Session, step: Step[Lamp, State, Act]) -> None:
    if step.row.action == Act.fix:
        step.subject.fixed_by = str(step.outcome)


def _follow_up(session: Session, steps: Sequence[Step[Lamp, State, Act]]) -> None:
    calls.append(f"follow_up:{len(steps)}")


LAMPS: Lifecycle[Lamp, State, Act] = Lifecycle(
    name="lamp",
    noun="路灯",
    table=TABLE,
    status_labels={State.broken: "坏了", State.reported: "已报修", State.fixed: "已修好"},
    action_labels={Act.report: "报修", Act.fix: "修好", Act.reopen: "重新报修"},
    record=lambda lamp: lamp,
    authorize=_authorize,
    write_events=_write,
    enter=_enter,
    follow_up=_follow_up,
    outcome_prompt="请选择修理结果",
)

ELECTRICIAN = Actor(account_id=1, grants=(Grant(Role.committee_admin, 1, "/1/"),))
VILLAGER = Actor(account_id=2, grants=(Grant(Role.member, 1, "/1/"),))
STRANGER = Actor(account_id=3, grants=(Grant(Role.committee_admin, 9, "/9/"),))


@pytest.fixture
def lamps(db: Session) -> Session:
    Base.metadata.create_all(db.connection())
    calls.clear()
    return db


def _lamp(db: Session, status: State = State.broken) -> Lamp:
    lamp = Lamp(path="/1/4/", status=status.value, version=1)
    db.add(lamp)
    db.flush()
    return lamp


def _events(db: Session, lamp: Lamp) -> list[tuple[str, str, str, str | None]]:
    rows = db.execute(
        select(LampEvent.action, LampEvent.from_status, LampEvent.to_status, LampEvent.reason)
        .where(LampEvent.lamp_id == lamp.id)
        .order_by(LampEvent.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_apply_sets_the_state_bumps_the_version_writes_the_event_and_calls_the_effects(lamps: Session) -> None:
    lamp = _lamp(lamps)
    step = engine.apply(lamps, LAMPS, actor=VILLAGER, subject=lamp, action=Act.report, expected_version=1)
    assert (lamp.status, lamp.version, step.row.target) == (State.reported, 2, State.reported)
    engine.apply(
        lamps, LAMPS, actor=ELECTRICIAN, subject=lamp, action=Act.fix, expected_version=2, outcome=Outcome.new_bulb
    )
    assert (lamp.status, lamp.version, lamp.fixed_by) == (State.fixed, 3, "new_bulb")
    assert _events(lamps, lamp) == [("report", "broken", "reported", None), ("fix", "reported", "fixed", None)]
    assert calls == ["events:1", "follow_up:1", "events:1", "follow_up:1"]
    lamps.expire_all()
    assert lamps.get(Lamp, lamp.id).version == 3  # type: ignore[union-attr]


def test_who_is_checked_first_through_require(lamps: Session) -> None:
    lamp = _lamp(lamps, State.reported)
    with pytest.raises(Forbidden):  # visible, not allowed; before the stale version is even looked at
        engine.apply(lamps, LAMPS, actor=VILLAGER, subject=lamp, action=Act.fix, expected_version=99)
    with pytest.raises(NotFound):  # outside the actor's scope
        engine.apply(lamps, LAMPS, actor=STRANGER, subject=lamp, action=Act.fix, expected_version=1)
    assert (lamp.status, lamp.version, calls) == (State.reported, 1, [])
    engine.apply(lamps, LAMPS, actor=SYSTEM, subject=lamp, action=Act.fix, expected_version=1, outcome=Outcome.new_bulb)
    assert lamp.status == State.fixed


def test_the_version_is_checked_before_the_state(lamps: Session) -> None:
    lamp = _lamp(lamps, State.fixed)
    with pytest.raises(PreconditionRequired):
        engine.apply(lamps, LAMPS, actor=ELECTRICIAN, subject=lamp, action=Act.fix, expected_version=None)
    with pytest.raises(PreconditionFailed) as stale:
        engine.apply(lamps, LAMPS, actor=ELECTRICIAN, subject=lamp, action=Act.fix, expected_version=7)
    assert stale.value.extra == {"current_version": 1}


def test_a_wrong_state_is_409_with_what_the_actor_may_do_instead(lamps: Session) -> None:
    lamp = _lamp(lamps, State.fixed)
    with pytest.raises(Conflict) as wrong:
        engine.apply(lamps, LAMPS, actor=ELECTRICIAN, subject=lamp, action=Act.fix, expected_version=1)
    assert wrong.value.detail == "该路灯当前为“已修好”，不能修好"
    assert wrong.value.code == "lamp_wrong_state"
    assert wrong.value.extra == {"lamp_status": "fixed", "allowed_actions": ["reopen"]}
    assert LAMPS.allowed_actions(VILLAGER, lamp) == []
    assert LAMPS.allowed_actions(VILLAGER, _lamp(lamps)) == ["report"]


def test_going_back_needs_a_reason_and_an_outcome_is_asked_for(lamps: Session) -> None:
    lamp = _lamp(lamps, State.fixed)
    with pytest.raises(Unprocessable) as missing:
        engine.apply(lamps, LAMPS, actor=ELECTRICIAN, subject=lamp, action=Act.reopen, expected_version=1)
    assert (missing.value.detail, missing.value.code) == ("请填写原因", "reason_required")
    assert missing.value.errors == [{"field": "reason", "message": "必填"}]
    engine.apply(lamps, LAMPS, actor=ELECTRICIAN, subject=lamp, action=Act.reopen, expected_version=1, reason="又坏了")
    assert _events(lamps, lamp) == [("reopen", "fixed", "reported", "又坏了")]
    with pytest.raises(Unprocessable) as no_outcome:
        engine.apply(lamps, LAMPS, actor=ELECTRICIAN, subject=lamp, action=Act.fix, expected_version=2)
    assert (no_outcome.value.detail, no_outcome.value.code) == ("请选择修理结果", "outcome_required")
    assert lamp.version == 2


def test_a_batch_is_the_same_loop_in_a_fixed_number_of_statements(lamps: Session, query_counter: list[str]) -> None:
    def run(n: int) -> int:
        batch = [_lamp(lamps) for _ in range(n)]
        before = len(query_counter)
        moves = [Move(lamp, Act.report, VILLAGER, lamp.version) for lamp in batch]
        # a subject may move more than once in a batch: along its path, each move seeing the last
        moves.append(Move(batch[0], Act.fix, ELECTRICIAN, 2, outcome=Outcome.new_bulb))
        steps = engine.apply_many(lamps, LAMPS, moves)
        assert [s.row.target for s in steps] == [State.reported] * n + [State.fixed]
        return len(query_counter) - before

    assert run(2) == run(12)  # one UPDATE executemany, one INSERT of events
    assert calls == ["events:3", "follow_up:3", "events:13", "follow_up:13"]
    calls.clear()
    engine.apply_many(lamps, LAMPS, [Move(_lamp(lamps), Act.report, VILLAGER, 1)], follow_up=False)
    assert calls == ["events:1"]


def test_a_refused_move_in_a_batch_raises_before_anything_is_written(lamps: Session) -> None:
    good, fixed = _lamp(lamps), _lamp(lamps, State.fixed)
    with pytest.raises(Conflict):
        engine.apply_many(lamps, LAMPS, [Move(good, Act.report, VILLAGER, 1), Move(fixed, Act.report, VILLAGER, 1)])
    assert calls == []


def test_the_table_is_checked_when_built() -> None:
    with pytest.raises(ValueError, match="one row per"):
        Table((Row(State.broken, Act.report, State.reported, Who.villager),) * 2)
    with pytest.raises(ValueError, match="one kind of actor"):
        Table(
            (
                Row(State.broken, Act.report, State.reported, Who.villager),
                Row(State.fixed, Act.report, State.reported, Who.electrician),
            )
        )
    assert TABLE.states == frozenset(State)
    assert TABLE.actions == list(Act)
    assert [r.action for r in TABLE.from_state(State.reported)] == [Act.fix]
    assert [r.action for r in TABLE.path(State.broken, State.fixed)] == [Act.report, Act.fix]
    assert [r.action for r in TABLE.path(State.fixed, State.reported)] == [Act.reopen]
    assert TABLE.path(State.fixed, State.fixed) == []
    with pytest.raises(ValueError, match="no way"):
        Table((Row(State.broken, Act.report, State.reported, Who.villager),)).path(State.reported, State.broken)
