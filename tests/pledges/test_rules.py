"""The rules defined once (rules.py) at their boundaries, through every place that asks them:

- overdue: a pledge due TODAY is not overdue — not in its read, not in the list filter, not in the
  counts, not in the reminders, not on a board; one due yesterday is, everywhere;
- Python and SQL agree on OVERDUE and PUBLIC for every status;
- a member who left the roll (不在册, 转出) drafts nothing, neither themself nor through their secretary;
- a pledge never switches between personal and collective (PATCH category refused both ways).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.permissions import SYSTEM
from app.core.time import today_local, utcnow
from app.members import service as members_service
from app.members.models import MemberStatus
from app.pledges import service
from app.pledges.models import Pledge, PledgeEvent, PledgeStatus
from app.pledges.rules import OVERDUE, PUBLIC
from tests.factories import World
from tests.pledges.api import API, create, etag_of, ok
from tests.pledges.factories import board_pledge, collective_pledge, member_pledge


def _ids(page: dict) -> set[int]:  # type: ignore[type-arg]
    return {i["id"] for i in page["items"]}


def test_a_pledge_due_today_is_not_overdue_anywhere(client: TestClient, world: World, db: Session) -> None:
    today = today_local()
    due_today = member_pledge(world, status=PledgeStatus.published, due_date=today, title="今天到期")
    late = member_pledge(world, status=PledgeStatus.published, due_date=today - timedelta(days=1), title="昨天到期")
    h = world.secretary.headers

    reads = {i["id"]: i for i in ok(client.get(f"{API}/pledges?size=100", headers=h))["items"]}
    assert (reads[due_today.id]["overdue"], reads[late.id]["overdue"]) == (False, True)
    assert _ids(ok(client.get(f"{API}/pledges?overdue=true", headers=h))) == {late.id}
    assert due_today.id in _ids(ok(client.get(f"{API}/pledges?overdue=false", headers=h)))
    assert ok(client.get(f"{API}/pledges/counts", headers=h))["overdue"] == 1
    assert (board_pledge(db, due_today.id or 0).overdue, board_pledge(db, late.id or 0).overdue) == (False, True)

    result = service.send_reminders(db, actor=SYSTEM, today=today)
    assert (result.due_soon, result.overdue) == (1, 1)
    # tomorrow, the one due today is overdue in every place too
    assert OVERDUE(due_today, today + timedelta(days=1))
    assert service.send_reminders(db, actor=SYSTEM, today=today + timedelta(days=1)).overdue == 2


def test_the_supervisors_list_puts_the_overdue_first(client: TestClient, world: World) -> None:
    """?order=overdue: the overdue pledges on top, the longest overdue first, then the rest newest
    change first; the due-today boundary as everywhere."""
    today = today_local()
    recent = member_pledge(world, status=PledgeStatus.published, title="刚公示")
    due_today = member_pledge(world, status=PledgeStatus.published, due_date=today, title="今天到期")
    week = member_pledge(world, status=PledgeStatus.published, due_date=today - timedelta(days=7), title="逾期一周")
    day = member_pledge(world, status=PledgeStatus.published, due_date=today - timedelta(days=1), title="逾期一天")
    mine = {p.id for p in (recent, due_today, week, day)}
    for persona in (world.supervisor, world.secretary):
        page = ok(client.get(f"{API}/pledges?order=overdue&size=100", headers=persona.headers))
        ids = [i["id"] for i in page["items"] if i["id"] in mine]
        assert ids[:2] == [week.id, day.id], page
        assert [i["overdue"] for i in page["items"]] == sorted((i["overdue"] for i in page["items"]), reverse=True)
    plain = ok(client.get(f"{API}/pledges?size=100", headers=world.supervisor.headers))
    assert next(i["id"] for i in plain["items"] if i["id"] in mine) == day.id  # newest change first
    r = client.get(f"{API}/pledges?order=due", headers=world.supervisor.headers)
    assert r.status_code == 422


@pytest.mark.parametrize("status", list(PledgeStatus))
def test_python_and_sql_agree_on_overdue_and_public(world: World, db: Session, status: PledgeStatus) -> None:
    today = today_local()
    pledges = [
        member_pledge(world, status=status, due_date=today + timedelta(days=d), title=f"边界 {d}") for d in (-1, 0, 1)
    ]
    if status == PledgeStatus.withdrawn:  # and a pledge withdrawn never counts, published or not
        pledges[0].published_at = utcnow()
    db.flush()
    ids = [p.id for p in pledges]
    for rule, args in ((OVERDUE, (today,)), (PUBLIC, ())):
        in_sql = set(db.execute(select(col(Pledge.id)).where(col(Pledge.id).in_(ids), rule.sql(*args))).scalars())
        assert {p.id for p in pledges if rule(p, *args)} == in_sql, rule


def test_a_member_who_left_the_roll_cannot_draft(client: TestClient, world: World, db: Session) -> None:
    member = members_service.get_member(db, world.member.member_id or 0)
    ok(client.post(f"{API}/pledges", json={"title": "在册时", "content": "可以起草。", "category": "other"},
                   headers=world.member.headers), 201)  # fmt: skip
    member.status = MemberStatus.inactive  # 不在册 (the login kept here, to see the rule itself refuse)
    db.flush()
    body = {"title": "不在册后", "content": "不能起草。", "category": "other"}

    r = client.post(f"{API}/pledges", json=body, headers=world.member.headers)
    assert (r.status_code, r.json()["code"]) == (422, "pledge_member_required"), r.text
    r = client.post(f"{API}/pledges", json={**body, "member_id": member.id}, headers=world.member.headers)
    assert r.status_code == 403, r.text
    # nor through the secretary, who may draft for members of the branch
    r = client.post(f"{API}/pledges", json={**body, "member_id": member.id}, headers=world.secretary.headers)
    assert (r.status_code, r.json()["code"]) == (409, "member_inactive"), r.text
    member.status = MemberStatus.moved  # 转出
    db.flush()
    r = client.post(f"{API}/pledges", json={**body, "member_id": member.id}, headers=world.secretary.headers)
    assert (r.status_code, r.json()["code"]) == (409, "member_inactive"), r.text
    assert db.execute(select(Pledge).where(col(Pledge.title) == "不在册后")).first() is None


def test_a_pledge_never_switches_between_personal_and_collective(client: TestClient, world: World) -> None:
    personal = create(client, world.member, category="public_service")
    r = client.patch(
        f"{API}/pledges/{personal['id']}",
        json={"category": "collective"},
        headers={**world.member.headers, "If-Match": etag_of(client, world.member, personal["id"])},
    )
    assert (r.status_code, r.json()["code"]) == (422, "pledge_bad_category"), r.text

    ours = collective_pledge(world)
    for category in ("public_service", "post_duty", "pairing", "other"):
        r = client.patch(
            f"{API}/pledges/{ours.id}",
            json={"category": category},
            headers={**world.group_leader.headers, "If-Match": etag_of(client, world.group_leader, ours.id or 0)},
        )
        assert (r.status_code, r.json()["code"]) == (422, "pledge_bad_category"), r.text
    # within its kind, the category may change
    r = client.patch(
        f"{API}/pledges/{personal['id']}",
        json={"category": "other"},
        headers={**world.member.headers, "If-Match": etag_of(client, world.member, personal["id"])},
    )
    assert ok(r)["category"] == "other"
    # and a new pledge's kind follows its category (PledgeCreate)
    r = client.post(
        f"{API}/pledges",
        json={"title": "集体", "content": "集体承诺须指明组织。", "category": "collective"},
        headers=world.group_leader.headers,
    )
    assert r.status_code == 422, r.text
    r = client.post(
        f"{API}/pledges",
        json={"title": "个人", "content": "组织的承诺须是集体承诺。", "category": "other", "unit_id": world.group.id},
        headers=world.group_leader.headers,
    )
    assert r.status_code == 422, r.text


def test_system_drafts_and_acts_recorded_as_the_system(db: Session, world: World) -> None:
    """The CLI, jobs and the demo act as SYSTEM: no account is recorded, the name is 系统."""
    from app.pledges.schemas import PledgeCreate
    from app.pledges.states import Action

    located = service.create_pledge(
        db,
        actor=SYSTEM,
        data=PledgeCreate(
            title="系统登记", content="代为登记的承诺。", category="other", member_id=world.member.member_id
        ),  # type: ignore[arg-type]
    )
    service.act(db, actor=SYSTEM, located=located, action=Action.submit, expected_version=1)
    assert located.pledge.created_by_account_id is None
    events = (
        db.execute(
            select(PledgeEvent).where(col(PledgeEvent.pledge_id) == located.pledge.id).order_by(col(PledgeEvent.id))
        )
        .scalars()
        .all()
    )
    assert [(e.action, e.actor_account_id, e.actor_name) for e in events] == [
        ("create", None, "系统"),
        ("submit", None, "系统"),
    ]


def test_a_rules_compiled_predicate_is_kept_per_day_and_answers_for_that_day(world: World) -> None:
    """Rule keeps its compiled Python predicate by its arguments: asking again for another day must
    answer for that day, and a day asked before answers as it did, whatever was asked in between."""
    today = today_local()
    pledge = member_pledge(world, status=PledgeStatus.published, due_date=today, title="按日缓存")
    days = [today, today + timedelta(days=1), today - timedelta(days=3), today, today + timedelta(days=1)]
    assert [OVERDUE(pledge, day) for day in days] == [False, True, False, False, True]
    for offset in range(80):  # more days than are kept: the oldest are dropped, never answered wrongly
        assert OVERDUE(pledge, today + timedelta(days=offset)) == (offset > 0)
    assert OVERDUE(pledge, today) is False
