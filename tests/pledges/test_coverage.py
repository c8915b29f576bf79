"""Pledge coverage (承诺覆盖, issue 13): who has not pledged, who has nothing on the boards, the rates per
group and per branch, and the reminder (batched, once a day per member) — on the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.time import today_local
from app.members.models import MemberStatus
from app.notifications.models import Notification
from app.org.models import UnitKind
from app.pledges import coverage
from app.pledges.models import PledgeStatus
from tests.factories import World, create_member, create_unit
from tests.matrix import Case, check, params
from tests.pledges.api import API, ok
from tests.pledges.factories import actor_of, create_pledge


def _url(unit_id: int, **q: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in q.items())
    return f"{API}/units/{unit_id}/pledge-coverage{'?' + query if query else ''}"


def _remind(unit_id: int) -> str:
    return f"{API}/units/{unit_id}/pledge-coverage/remind"


def _plant(world: World, db: Session) -> None:
    """The group (书记, 组长, 党员甲): 组长 has a published pledge, 党员甲 a submitted one, 书记 only a
    draft and last year's closed one. The branch adds 监督员 (no group, nothing) and 无组有诺 (no group,
    published). A member who moved away with a published pledge counts nowhere. The other branch:
    外支书 published."""
    year = today_local().year
    group = world.group
    create_pledge(db, unit=group, member_id=world.group_leader.member_id, status=PledgeStatus.published)
    create_pledge(db, unit=group, member_id=world.member.member_id, status=PledgeStatus.submitted)
    create_pledge(db, unit=group, member_id=world.secretary.member_id, status=PledgeStatus.draft)
    create_pledge(db, unit=group, member_id=world.secretary.member_id, status=PledgeStatus.closed, year=year - 1)
    create_pledge(db, unit=group, status=PledgeStatus.published)  # collective: nobody's
    loose = create_member(db, branch=world.branch, name="无组有诺")
    create_pledge(db, unit=world.branch, member_id=pk(loose), status=PledgeStatus.published)
    moved = create_member(db, branch=world.branch, group=group, name="已转出")
    create_pledge(db, unit=group, member_id=pk(moved), status=PledgeStatus.published)
    moved.status = MemberStatus.moved
    db.add(moved)
    create_pledge(db, unit=world.other_group, member_id=world.outsider.member_id, status=PledgeStatus.published)
    db.flush()


def test_a_branch_sees_rates_per_group(client: TestClient, world: World, db: Session) -> None:
    _plant(world, db)
    body = ok(client.get(_url(pk(world.branch)), headers=world.secretary.headers))
    assert (body["members"], body["pledged"], body["published"]) == (5, 3, 2)
    assert (body["pledged_rate"], body["published_rate"]) == (60.0, 40.0)
    assert body["year"] == today_local().year
    assert body["may_remind"] is True
    rows = {r["unit_name"]: r for r in body["items"]}
    assert set(rows) == {"司山党小组", "未分组"}
    assert (rows["司山党小组"]["members"], rows["司山党小组"]["pledged"], rows["司山党小组"]["published"]) == (3, 2, 1)
    assert rows["司山党小组"]["published_rate"] == 33.3
    assert rows["司山党小组"]["unit_id"] == pk(world.group)
    assert (rows["未分组"]["members"], rows["未分组"]["published"], rows["未分组"]["unit_id"]) == (2, 1, None)
    # the lowest published rate first
    assert [r["unit_name"] for r in body["items"]] == ["司山党小组", "未分组"]
    # last year: only 书记's closed pledge
    last = ok(client.get(_url(pk(world.branch), year=today_local().year - 1), headers=world.secretary.headers))
    assert (last["members"], last["pledged"], last["published"]) == (5, 1, 1)


def test_the_committee_sees_rates_per_branch(client: TestClient, world: World, db: Session) -> None:
    _plant(world, db)
    body = ok(client.get(_url(pk(world.town)), headers=world.committee_admin.headers))
    rows = {r["unit_name"]: r for r in body["items"]}
    assert set(rows) == {"大洼社区党支部", "花车村党支部", "机关党支部"}
    assert rows["花车村党支部"]["published_rate"] == 100.0
    assert rows["机关党支部"]["published_rate"] == 0.0
    assert all(r["unit_kind"] == "branch" for r in body["items"])
    assert (body["members"], body["published"]) == (7, 3)
    assert body["may_remind"] is False
    assert body["items"][0]["unit_name"] == "机关党支部"
    # paged: the figures are the town's, the rows one page
    first = ok(client.get(_url(pk(world.town), size=2), headers=world.committee_admin.headers))
    second = ok(client.get(_url(pk(world.town), size=2, page=2), headers=world.committee_admin.headers))
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (3, 2, 2, 1)
    assert first["members"] == second["members"] == 7
    # a general branch in between counts its branches
    general = create_unit(db, kind=UnitKind.general_branch, name="一总支", parent=world.town)
    below = create_unit(db, kind=UnitKind.branch, name="总支下支部", parent=general)
    create_member(db, branch=below, name="总支党员")
    gb = ok(client.get(_url(pk(general)), headers=world.committee_admin.headers))
    assert [(r["unit_name"], r["members"], r["published"]) for r in gb["items"]] == [("总支下支部", 1, 0)]


def test_a_group_leader_sees_their_group_only(client: TestClient, world: World, db: Session) -> None:
    _plant(world, db)
    body = ok(client.get(_url(pk(world.group)), headers=world.group_leader.headers))
    assert (body["members"], body["pledged"], body["published"], body["items"]) == (3, 2, 1, [])
    assert client.get(_url(pk(world.branch)), headers=world.group_leader.headers).status_code == 403
    # who: the group leader's list with the year and the new filter
    status = f"{API}/units/{pk(world.group)}/pledge-status?missing=published&year={today_local().year}"
    listed = ok(client.get(status, headers=world.group_leader.headers))
    assert {r["name"] for r in listed["items"]} == {"书记", "党员甲"}
    assert (listed["total"], listed["published"]) == (2, 1)
    assert all(r["published"] is False for r in listed["items"])


def test_the_reminder_is_batched_and_once_a_day(client: TestClient, world: World, db: Session) -> None:
    _plant(world, db)
    create_member(db, branch=world.branch, group=world.group, name="无账号")  # counted, not reached
    h = world.group_leader.headers
    first = ok(client.post(_remind(pk(world.group)), json={"missing": "published"}, headers=h))
    assert (first["members"], first["reminded"], first["already_today"], first["without_account"]) == (3, 2, 0, 1)
    sent = db.execute(
        select(col(Notification.account_id), col(Notification.title)).where(col(Notification.kind) == "coverage")
    ).all()
    assert {a for a, _ in sent} == {world.secretary.account_id, world.member.account_id}
    assert all("还没有公示" in t for _, t in sent)
    # again, by the secretary: nobody twice
    again = ok(client.post(_remind(pk(world.group)), json={"missing": "published"}, headers=world.secretary.headers))
    assert (again["reminded"], again["already_today"]) == (0, 2)
    # not pledged at all: only 书记 (a draft); another kind, so a reminder of its own
    pledge = ok(client.post(_remind(pk(world.group)), json={"missing": "pledge"}, headers=h))
    assert (pledge["members"], pledge["reminded"]) == (2, 1)
    count = select(func.count()).select_from(Notification).where(col(Notification.kind) == "coverage")
    assert db.execute(count).scalar_one() == 3
    # tomorrow, again
    actor = actor_of(db, world.group_leader)
    tomorrow = coverage.remind(
        db, actor=actor, unit_id=pk(world.group), year=None, missing="pledge", today=today_local() + timedelta(days=1)
    )
    assert tomorrow.reminded == 1
    # the town is no place to remind from
    town = client.post(_remind(pk(world.town)), json={"missing": "pledge"}, headers=world.committee_admin.headers)
    assert (town.status_code, town.json()["code"]) == (422, "coverage_bad_unit")
    assert client.post(_remind(pk(world.group)), json={"missing": "x"}, headers=h).status_code == 422


def test_the_rates_cost_the_same_statements_at_any_size(
    client: TestClient, world: World, db: Session, query_counter: list[str]
) -> None:
    def grow(n: int) -> None:
        for i in range(n):
            branch = create_unit(db, kind=UnitKind.branch, name=f"支部{i:03d}-{n}", parent=world.town)
            group = create_unit(db, kind=UnitKind.group, name=f"小组{i:03d}-{n}", parent=branch)
            for j in range(3):
                m = create_member(db, branch=branch, group=group if j else None, name=f"党员{i}-{j}")
                if j != 1:
                    create_pledge(db, unit=group, member_id=pk(m), status=PledgeStatus.published)
        db.flush()

    counts = []
    for n in (2, 25):
        grow(n)
        for url in (_url(pk(world.town), size=50), _url(pk(world.branch), size=50)):
            query_counter.clear()
            ok(client.get(url, headers=world.committee_admin.headers))
            counts.append(len(query_counter))
    assert counts[:2] == counts[2:], counts
    assert max(counts) <= 8, counts


CASES = [
    Case(
        "GET",
        lambda w: _url(pk(w.group)),
        name="GET /units/{group}/pledge-coverage",
        allowed=["committee_admin", "secretary", "group_leader"],
        denied_403=["member", "supervisor"],
    ),
    Case(
        "GET",
        lambda w: _url(pk(w.town)),
        name="GET /units/{town}/pledge-coverage",
        allowed=["committee_admin"],
        hidden_404=["secretary", "group_leader", "member", "supervisor", "outsider"],
    ),
    Case(
        "POST",
        lambda w: _remind(pk(w.group)),
        name="POST /units/{group}/pledge-coverage/remind",
        allowed=["committee_admin", "secretary", "group_leader"],
        denied_403=["member", "supervisor"],
        body_factory=lambda w: {"missing": "pledge"},
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
