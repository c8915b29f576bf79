"""十佳: secretaries nominate closed, kept pledges of their branch; the committee selects at most ten
of each kind with a reason; 评先选优 candidates are members with ≥ 3 stars or who moved up."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core import db as core_db
from app.core.db import pk
from app.core.errors import Conflict
from app.core.permissions import SYSTEM
from app.members.models import Member
from app.pledges.models import PledgeOutcome, PledgeStatus
from app.ratings import honours
from app.ratings.models import Honour, PeriodStatus
from tests.boards.conftest import Committed
from tests.boards.conftest import committed as committed
from tests.factories import World, create_member
from tests.pledges.factories import create_pledge
from tests.ratings.results_factories import add_result, make_period

API = "/api/v1/rating-honours"


def test_nominate_and_select(client: TestClient, db: Session, world: World) -> None:
    kept = create_pledge(db, unit=world.group, member_id=world.member.member_id, status=PledgeStatus.closed)
    partly = create_pledge(
        db,
        unit=world.group,
        member_id=world.member.member_id,
        status=PledgeStatus.closed,
        outcome=PledgeOutcome.partly_kept,
    )
    open_one = create_pledge(db, unit=world.group, member_id=world.member.member_id, status=PledgeStatus.published)
    collective = create_pledge(db, unit=world.group, status=PledgeStatus.closed)
    elsewhere = create_pledge(
        db, unit=world.other_group, member_id=world.outsider.member_id, status=PledgeStatus.closed
    )
    h = world.secretary.headers

    r = client.post(API, json={"pledge_id": pk(kept), "reason": "群众满意度高"}, headers={**h, "Idempotency-Key": "n1"})
    assert r.status_code == 201, r.text
    honour = r.json()
    assert (honour["kind"], honour["kind_label"], honour["owner_name"], honour["selected"]) == (
        "member_pledge",
        "十佳党员承诺",
        "党员甲",
        False,
    )
    assert client.post(API, json={"pledge_id": pk(kept)}, headers=h).status_code == 409  # once
    for pledge in (partly, open_one):
        r = client.post(API, json={"pledge_id": pk(pledge)}, headers=h)
        assert r.status_code == 409
        assert r.json()["code"] == "honour_pledge_not_kept"
    assert client.post(API, json={"pledge_id": pk(elsewhere)}, headers=h).status_code == 404
    assert client.post(API, json={"pledge_id": pk(kept)}, headers=world.member.headers).status_code == 403
    r = client.post(API, json={"pledge_id": pk(collective)}, headers=h)
    assert r.json()["kind"] == "org_pledge"

    # the committee selects with a reason, on the version it saw; a secretary may not
    url = f"{API}/{honour['id']}/select"
    seen = _if_match(honour["version"])
    assert client.post(url, json={"reason": "好"}, headers={**h, **seen}).status_code == 403
    assert client.post(url, json={"reason": ""}, headers={**world.committee_admin.headers, **seen}).status_code == 422
    r = client.post(url, json={"reason": "带动全组换路灯"}, headers={**world.committee_admin.headers, **seen})
    assert r.status_code == 200, r.text
    assert (r.json()["selected"], r.json()["reason"]) == (True, "带动全组换路灯")
    assert r.headers["ETag"] == f'"{r.json()["version"]}"' != seen["If-Match"]
    listed = client.get(API, params={"selected": True}, headers=h).json()
    assert [i["id"] for i in listed["items"]] == [honour["id"]]
    assert client.get(API, headers=world.outsider.headers).json()["total"] == 0  # not their branch's


def test_at_most_ten_of_a_kind(client: TestClient, db: Session, world: World) -> None:
    ids = []
    for i in range(11):
        m = create_member(db, branch=world.branch, name=f"党员{i}")
        pledge = create_pledge(db, unit=world.branch, member_id=pk(m), status=PledgeStatus.closed)
        ids.append(pk(honours.nominate(db, actor=SYSTEM, pledge_id=pk(pledge))))
    for honour_id in ids[:10]:
        honour = honours.get_honour(db, actor=SYSTEM, honour_id=honour_id)
        honours.select_honour(
            db, actor=SYSTEM, honour_id=honour_id, reason="优秀", expected_version=honours.honour_version(honour)
        )
    last = _version(client, world, ids[10])
    r = client.post(f"{API}/{ids[10]}/select", json={"reason": "也很好"}, headers=last)
    assert r.status_code == 409
    assert r.json()["code"] == "honour_full"
    # taking one back makes room
    first = _version(client, world, ids[0])
    r = client.post(f"{API}/{ids[0]}/unselect", json={"reason": "重复"}, headers=first)
    assert r.json()["selected"] is False
    r = client.post(f"{API}/{ids[10]}/select", json={"reason": "也很好"}, headers=last)
    assert r.status_code == 200


def _if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def _version(client: TestClient, world: World, honour_id: int) -> dict[str, str]:
    """The committee's headers with the honour's version as the list shows it."""
    listed = client.get(API, params={"size": 100}, headers=world.committee_admin.headers).json()["items"]
    (version,) = [h["version"] for h in listed if h["id"] == honour_id]
    return {**world.committee_admin.headers, **_if_match(version)}


def test_selecting_needs_the_version_seen(client: TestClient, db: Session, world: World) -> None:
    """Like every state change of ratings: 428 without If-Match, 412 when another committee member
    decided since (the answer names the current version), the decision on the current one goes."""
    pledge = create_pledge(db, unit=world.group, member_id=world.member.member_id, status=PledgeStatus.closed)
    honour_id = pk(honours.nominate(db, actor=SYSTEM, pledge_id=pk(pledge), reason="好"))
    url = f"{API}/{honour_id}/select"
    admin = world.committee_admin.headers
    r = client.post(url, json={"reason": "优秀"}, headers=admin)
    assert r.status_code == 428
    assert r.headers["content-type"].startswith("application/problem+json")
    seen = _version(client, world, honour_id)
    # another committee member selects and takes it back in the meantime
    r = client.post(url, json={"reason": "优秀"}, headers=seen)
    assert r.status_code == 200
    again = {**admin, "If-Match": r.headers["ETag"]}
    r = client.post(f"{API}/{honour_id}/unselect", json={"reason": "再议"}, headers=again)
    assert r.status_code == 200
    assert r.json()["selected"] is False
    now = r.headers["ETag"]
    r = client.post(url, json={"reason": "优秀"}, headers=seen)  # decided on what is no longer there
    assert r.status_code == 412
    assert f'"{r.json()["current_version"]}"' == now
    r = client.post(f"{API}/{honour_id}/unselect", json={"reason": "再议"}, headers=again)
    assert r.status_code == 412
    assert client.post(url, json={"reason": "优秀"}, headers={**admin, "If-Match": '"x1"'}).status_code == 412
    r = client.post(url, json={"reason": "优秀"}, headers=_version(client, world, honour_id))
    assert r.status_code == 200
    assert r.json()["selected"] is True


def test_candidates(client: TestClient, db: Session, world: World) -> None:
    period = make_period(db, world.town, quarter=3, status=PeriodStatus.published)
    a = db.get(Member, world.member.member_id)
    b = db.get(Member, world.group_leader.member_id)
    c = db.get(Member, world.secretary.member_id)
    add_result(db, period, member=a, score=85, stars=4)  # four stars
    r = add_result(db, period, member=b, score=65, stars=2)  # up from one star: 晋星
    r.previous_stars = 1
    add_result(db, period, member=c, score=62, stars=2)  # two stars, not up
    db.flush()
    got = client.get(
        f"{API}/candidates", params={"unit_id": pk(world.town), "year": 2026}, headers=world.secretary.headers
    )
    assert got.status_code == 200, got.text
    items = got.json()["items"]
    assert [(i["name"], i["stars"], i["promoted"]) for i in items] == [("党员甲", 4, False), ("组长", 2, True)]
    assert items[0]["period_title"] == "2026年第三季度"


def test_two_committee_members_selecting_the_tenth_at_once_keep_ten(committed: Committed) -> None:
    """Nine chosen; two different nominations selected at the same moment, each in its own committed
    transaction (two threads): one is chosen, the other answered 已选满, never eleven. Counting without
    a lock let both through on PostgreSQL."""
    world = committed.world
    with committed.session() as session:
        ids = []
        for i in range(11):
            m = create_member(session, branch=world.branch, name=f"并发党员{i}")
            pledge = create_pledge(session, unit=world.branch, member_id=pk(m), status=PledgeStatus.closed)
            ids.append(pk(honours.nominate(session, actor=SYSTEM, pledge_id=pk(pledge))))
        for honour_id in ids[:9]:
            honour = honours.get_honour(session, actor=SYSTEM, honour_id=honour_id)
            version = honours.honour_version(honour)
            honours.select_honour(session, actor=SYSTEM, honour_id=honour_id, reason="优秀", expected_version=version)
        versions = {i: honours.honour_version(honours.get_honour(session, actor=SYSTEM, honour_id=i)) for i in ids[9:]}
        session.commit()
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def choose(honour_id: int) -> None:
        try:
            with core_db.new_session() as session:
                start.wait(10)
                honours.select_honour(
                    session, actor=SYSTEM, honour_id=honour_id, reason="同时选定", expected_version=versions[honour_id]
                )
                session.commit()
            outcomes.append("chosen")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=choose, args=(i,)) for i in ids[9:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["chosen", "honour_full"]
    with committed.session() as session:
        chosen = session.execute(select(func.count()).where(col(Honour.selected_at).is_not(None))).scalar_one()
    assert chosen == 10
