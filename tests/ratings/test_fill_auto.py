"""承诺践诺 filled when the reviews close: one INSERT … SELECT … ON CONFLICT statement whatever the
number of members, which never overwrites what a secretary saved by hand (a value given before
the automatic one existed, or an override with its reason), and refreshes only its own values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.pledges.models import PledgeOutcome
from app.ratings import assessments
from app.ratings.states import Action
from tests.factories import World, create_member
from tests.ratings.core_factories import API, move, open_period
from tests.ratings.test_assessments import _closed_pledge, _sheet

INSIDE = datetime(2026, 8, 1, 2, tzinfo=UTC)  # in 2026 Q3


def _put(client: TestClient, world: World, period_id: int, member_id: int, body: dict[str, Any]) -> dict[str, Any]:
    url = f"{API}/rating-periods/{period_id}/assessments/member/{member_id}"
    r = client.put(url, json=body, headers=world.secretary.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_secretarys_save_before_the_fill_survives_it(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    member, leader = world.member.member_id or 0, world.group_leader.member_id or 0
    _closed_pledge(db, world, world.member, PledgeOutcome.kept, INSIDE)
    _closed_pledge(db, world, world.group_leader, PledgeOutcome.partly_kept, INSIDE)
    # while the reviews run: the member scored item by item, 承诺践诺 too (no automatic value yet)
    _put(client, world, period.id or 0, member, {"items": {"political": 18, "pledges": 20}})
    # the group leader: only another item, their first save makes the row the fill will meet
    _put(client, world, period.id or 0, leader, {"items": {"role": 25}})
    move(db, period, Action.close_reviews)
    sheet = _sheet(client, world.secretary, period.id or 0, world)
    mine = sheet[member]
    assert mine["items"] == {"political": 18, "pledges": 20, "role": None, "reputation": None}
    assert mine["auto_items"] == {"pledges": 30.0}  # shown beside it; the sheet asks why they differ
    assert mine["auto_note"] == "本周期已销诺 1 件：已兑现 1、部分兑现 0、未兑现 0"
    assert mine["points"] == 38.0
    theirs = sheet[leader]
    assert theirs["items"] == {"political": None, "pledges": 15.0, "role": 25, "reputation": None}
    assert theirs["points"] == 40.0
    assert theirs["complete"] is False
    assert theirs["max_points"] == 100.0


def test_a_refill_keeps_overrides_and_refreshes_its_own_values(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    member, leader = world.member.member_id or 0, world.group_leader.member_id or 0
    _closed_pledge(db, world, world.member, PledgeOutcome.kept, INSIDE)
    _closed_pledge(db, world, world.group_leader, PledgeOutcome.kept, INSIDE)
    move(db, period, Action.close_reviews)
    # the secretary changes the member's automatic 30 with a reason, and completes the leader
    _put(client, world, period.id or 0, member, {"items": {"pledges": 22}, "reasons": {"pledges": "材料不全"}})
    full = {"political": 20, "role": 30, "reputation": 20}
    assert _put(client, world, period.id or 0, leader, {"items": full})["complete"] is True
    # back to the reviews, one more pledge of each closes, the reviews close again
    move(db, period, Action.back_to_reviews)
    _closed_pledge(db, world, world.member, PledgeOutcome.not_kept, INSIDE)
    _closed_pledge(db, world, world.group_leader, PledgeOutcome.not_kept, INSIDE)
    move(db, period, Action.close_reviews)
    sheet = _sheet(client, world.secretary, period.id or 0, world)
    assert sheet[member]["items"]["pledges"] == 22
    assert sheet[member]["overrides"] == {"pledges": "材料不全"}
    assert sheet[member]["auto_items"] == {"pledges": 15.0}
    leader_row = sheet[leader]
    assert leader_row["items"] == {**full, "pledges": 15.0}  # its own 30 refreshed
    assert leader_row["points"] == 85.0
    assert leader_row["complete"] is True


def test_one_statement_whatever_the_number_of_members(world: World, db: Session, query_counter: list[str]) -> None:
    period = open_period(db, world)
    move(db, period, Action.close_reviews)

    def fill() -> tuple[int, int]:
        query_counter.clear()
        filled = assessments.fill_auto(db, period=period)
        return filled, len(query_counter)

    few, before = fill()
    for i in range(15):
        m = create_member(db, branch=world.branch, group=world.group, name=f"党员{i:02d}")
        assert m.id
    _closed_pledge(db, world, world.member, PledgeOutcome.kept, INSIDE)
    db.flush()
    many, after = fill()
    assert many == few + 15
    assert after == before
    inserts = [q for q in query_counter if q.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    assert "ON CONFLICT" in inserts[0].upper()
