"""A member who moves keeps their pledges: they go on reporting and asking to close from their new
branch, the old branch's secretary vets the pledge to the end, and boards of both places learn of it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import pk
from app.org import service as org_service
from app.org.models import UnitKind
from app.pledges.models import PledgeStatus
from tests.factories import World, create_unit
from tests.pledges.api import API, act, create, get, ok, progress
from tests.pledges.test_lifecycle import _kinds


def _move(client: TestClient, world: World, *, branch_id: int | None, group_id: int | None) -> None:
    body = {"branch_id": branch_id, "group_id": group_id}
    r = client.post(f"{API}/members/{world.member.member_id}/move", json=body, headers=world.committee_admin.headers)
    ok(r)


def _versions(db: Session, *units: object) -> list[int]:
    return [org_service.content_version(db, pk(u)) for u in units]


def test_a_member_who_moves_to_another_branch_keeps_acting_on_their_pledge(
    client: TestClient, world: World, db: Session
) -> None:
    member, secretary = world.member, world.secretary
    pid = create(client, member, title="义务清扫组内道路卫生")["id"]
    ok(act(client, member, pid, "submit"))
    ok(act(client, secretary, pid, "approve"))
    ok(act(client, secretary, pid, "publish"))

    _move(client, world, branch_id=world.other_branch.id, group_id=world.other_group.id)

    # the member still sees it and may do the owner's part; the pledge stays where it was vetted
    read = ok(get(client, member, pid))
    assert read["unit_id"] == world.group.id
    assert {"progress", "request_close", "revise"} <= set(read["allowed_actions"])
    before = _versions(db, world.other_group, world.group)
    ok(progress(client, member, pid, "本月清扫村道四次", percent="80"), 201)
    after = _versions(db, world.other_group, world.group)
    # boards show a member's pledges where the member is now, and where the pledge lives
    assert after[0] > before[0]
    assert after[1] > before[1]

    ok(act(client, member, pid, "request_close"))
    assert "close_waiting" in _kinds(db, secretary.account_id)  # the old branch's secretary
    # the new branch's secretary neither sees nor vets it; the old one closes it
    assert get(client, world.outsider, pid).status_code == 404
    before = _versions(db, world.other_group)
    closed = ok(act(client, secretary, pid, "close", outcome="kept", reason="经核实已兑现"))
    assert closed["status"] == PledgeStatus.closed
    assert _versions(db, world.other_group)[0] > before[0]
    assert "pledge_closed" in _kinds(db, member.account_id)


def test_a_move_between_groups_touches_the_new_group(client: TestClient, world: World, db: Session) -> None:
    second = create_unit(db, kind=UnitKind.group, name="汪冲党小组", parent=world.branch)
    pid = create(client, world.member)["id"]
    for who, action in ((world.member, "submit"), (world.secretary, "approve"), (world.secretary, "publish")):
        ok(act(client, who, pid, action))
    _move(client, world, branch_id=world.branch.id, group_id=second.id)
    before = _versions(db, second)
    ok(progress(client, world.member, pid, "又清扫了一次"), 201)
    assert _versions(db, second)[0] > before[0]


def test_a_member_no_longer_active_owns_nothing(client: TestClient, world: World, db: Session) -> None:
    pid = create(client, world.member)["id"]
    ok(act(client, world.member, pid, "submit"))
    r = client.patch(
        f"{API}/members/{world.member.member_id}", json={"status": "moved"}, headers=world.secretary.headers
    )
    ok(r)
    # their draft is not theirs to act on any more (leaving the roll also ends their login: 401, see
    # tests/members/test_status_and_idempotency.py); the secretary can still withdraw it for them
    assert act(client, world.member, pid, "withdraw").status_code in (401, 404)
    assert ok(act(client, world.secretary, pid, "withdraw"))["status"] == "withdrawn"
