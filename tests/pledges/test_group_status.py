"""The group leader's view (党小组情况, issue 9): the group's members, who has pledged this year and who has
reported this month, paged with the whole group's counts, in a fixed number of statements."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import pk
from app.core.time import today_local, utcnow
from app.members.models import Member, MemberStatus
from app.pledges.group_status import month_start
from app.pledges.models import PledgeStatus
from tests.factories import World, create_member
from tests.matrix import Case, check, params
from tests.pledges.api import API, ok
from tests.pledges.factories import add_progress, create_pledge


def _url(unit_id: int, **q: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in q.items())
    return f"{API}/units/{unit_id}/pledge-status{'?' + query if query else ''}"


def _group_with_members(world: World, db: Session) -> dict[str, int]:
    """In the world's group (besides 书记, 组长 and 党员甲): one who pledged and reported this month,
    one who pledged and reported last month only, one with a draft only, one who moved away."""
    year = today_local().year
    ids: dict[str, int] = {}
    for name in ("甲有报告", "乙上月报告", "丙只有草稿", "丁已转出"):
        ids[name] = pk(create_member(db, branch=world.branch, group=world.group, name=name))
    moved = db.get(Member, ids["丁已转出"])
    assert moved is not None
    moved.status = MemberStatus.moved
    db.add(moved)
    group = world.group
    reported = create_pledge(db, unit=group, member_id=ids["甲有报告"], status=PledgeStatus.published)
    add_progress(db, reported)
    last_month = create_pledge(db, unit=group, member_id=ids["乙上月报告"], status=PledgeStatus.published)
    add_progress(db, last_month)
    last_month.last_progress_at = month_start() - timedelta(hours=1)
    db.add(last_month)
    create_pledge(db, unit=group, member_id=ids["丙只有草稿"], status=PledgeStatus.draft)
    # last year's pledge does not count for this year
    create_pledge(db, unit=group, member_id=ids["丙只有草稿"], status=PledgeStatus.closed, year=year - 1)
    # a collective pledge of the group is nobody's personal pledge
    create_pledge(db, unit=group, status=PledgeStatus.published)
    db.flush()
    return ids


def test_the_group_leader_sees_who_has_pledged_and_reported(client: TestClient, world: World, db: Session) -> None:
    ids = _group_with_members(world, db)
    body = ok(client.get(_url(pk(world.group)), headers=world.group_leader.headers))
    assert body["unit_name"] == "司山党小组"
    assert body["year"] == today_local().year
    # 书记, 组长, 党员甲 and the three active newcomers; the one who moved away is not listed
    assert body["members"] == 6
    assert body["total"] == 6
    assert body["pledged"] == 2
    assert body["reported"] == 1
    rows = {r["name"]: r for r in body["items"]}
    assert "丁已转出" not in rows
    assert rows["甲有报告"]["pledged"] is True
    assert rows["甲有报告"]["pledges"] == 1
    assert rows["甲有报告"]["reported_this_month"] is True
    assert rows["乙上月报告"]["pledged"] is True
    assert rows["乙上月报告"]["reported_this_month"] is False
    assert rows["乙上月报告"]["last_report_at"] is not None
    assert rows["丙只有草稿"]["pledged"] is False
    assert rows["丙只有草稿"]["pledges"] == 0
    assert rows["丙只有草稿"]["member_id"] == ids["丙只有草稿"]
    # those who have not pledged come first, then those who have not reported, then the rest
    order = [r["name"] for r in body["items"]]
    assert order.index("丙只有草稿") < order.index("乙上月报告") < order.index("甲有报告")
    assert order[-1] == "甲有报告"
    # nothing private
    assert all("phone" not in r for r in body["items"])


def test_filters_and_pages_count_the_whole_group(client: TestClient, world: World, db: Session) -> None:
    _group_with_members(world, db)
    h = world.group_leader.headers
    not_pledged = ok(client.get(_url(pk(world.group), missing="pledge"), headers=h))
    assert not_pledged["total"] == 4
    assert all(not r["pledged"] for r in not_pledged["items"])
    not_reported = ok(client.get(_url(pk(world.group), missing="report"), headers=h))
    assert not_reported["total"] == 5
    assert "甲有报告" not in {r["name"] for r in not_reported["items"]}
    first = ok(client.get(_url(pk(world.group), size=4), headers=h))
    second = ok(client.get(_url(pk(world.group), size=4, page=2), headers=h))
    assert (first["pages"], len(first["items"]), len(second["items"])) == (2, 4, 2)
    assert first["pledged"] == second["pledged"] == 2  # the counts are the group's, not the page's
    assert {r["member_id"] for r in first["items"]}.isdisjoint({r["member_id"] for r in second["items"]})
    bad = client.get(_url(pk(world.group), missing="nobody"), headers=h)
    assert bad.status_code == 422


def test_a_branch_lists_all_its_members_and_the_town_is_refused(client: TestClient, world: World, db: Session) -> None:
    _group_with_members(world, db)
    branch = ok(client.get(_url(pk(world.branch)), headers=world.secretary.headers))
    assert branch["members"] == 7  # the supervisor has no group but is in the branch
    town = client.get(_url(pk(world.town)), headers=world.committee_admin.headers)
    assert town.status_code == 422
    assert town.json()["code"] == "group_status_bad_unit"
    assert "党小组" in town.json()["detail"]


def test_a_page_costs_the_same_statements_whatever_its_size(
    client: TestClient, world: World, db: Session, query_counter: list[str]
) -> None:
    for i in range(30):
        member = create_member(db, branch=world.branch, group=world.group, name=f"党员{i:02d}")
        if i % 2:
            pledge = create_pledge(db, unit=world.group, member_id=pk(member), status=PledgeStatus.published)
            if i % 3:
                add_progress(db, pledge)
    db.flush()
    counts = []
    for size in (2, 50):
        query_counter.clear()
        ok(client.get(_url(pk(world.group), size=size), headers=world.group_leader.headers))
        counts.append(len(query_counter))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts


def test_month_start_is_china_time() -> None:
    start = month_start(today_local())
    assert start.tzinfo is not None
    assert start <= utcnow()
    assert (start + timedelta(hours=8)).day == 1


CASES = [
    Case(
        "GET",
        lambda w: _url(pk(w.group)),
        name="GET /units/{group}/pledge-status",
        allowed=["committee_admin", "secretary", "group_leader"],
        denied_403=["member", "supervisor"],
    ),
    Case(
        "GET",
        lambda w: _url(pk(w.branch)),
        name="GET /units/{branch}/pledge-status",
        allowed=["committee_admin", "secretary"],
        denied_403=["group_leader", "member", "supervisor"],
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
