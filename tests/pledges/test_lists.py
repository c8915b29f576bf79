"""Lists and their filters, counts, the review queue, and query counts that do not grow with the page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core import pagination
from app.core.permissions import SYSTEM
from app.core.time import today_local
from app.members import service as members_service
from app.pledges import service
from app.pledges.models import PledgeCategory, PledgeStatus
from tests.factories import World, create_member
from tests.pledges.api import API, ok
from tests.pledges.factories import add_progress, collective_pledge, create_pledge, member_pledge, overdue_date


def _ids(page: dict) -> list[int]:  # type: ignore[type-arg]
    return [i["id"] for i in page["items"]]


def test_filters(client: TestClient, world: World, db: Session) -> None:
    year = today_local().year
    lamp = member_pledge(world, status=PledgeStatus.published, title="义务维修组内路灯")
    late = member_pledge(world, status=PledgeStatus.published, title="义务清扫道路", due_date=overdue_date())
    old = member_pledge(world, status=PledgeStatus.closed, year=year - 1, title="去年的承诺")
    draft = member_pledge(world, title="草稿承诺")
    road = collective_pledge(world, status=PledgeStatus.published, title="修路")
    leaders = member_pledge(world, "group_leader", status=PledgeStatus.published, category=PledgeCategory.pairing)
    other = create_pledge(db, unit=world.other_group, member_id=world.outsider.member_id, status=PledgeStatus.published)
    h = world.secretary.headers

    everything = ok(client.get(f"{API}/pledges?size=100", headers=h))
    assert set(_ids(everything)) == {lamp.id, late.id, old.id, draft.id, road.id, leaders.id}
    assert other.id not in _ids(everything)
    assert set(_ids(ok(client.get(f"{API}/pledges?mine=true", headers=world.member.headers)))) == {
        lamp.id,
        late.id,
        old.id,
        draft.id,
    }
    assert set(_ids(ok(client.get(f"{API}/pledges?mine=true", headers=world.group_leader.headers)))) == {
        road.id,
        leaders.id,
    }
    assert _ids(ok(client.get(f"{API}/pledges?overdue=true", headers=h))) == [late.id]
    assert late.id not in _ids(ok(client.get(f"{API}/pledges?overdue=false&size=100", headers=h)))
    assert _ids(ok(client.get(f"{API}/pledges?year={year - 1}", headers=h))) == [old.id]
    assert _ids(ok(client.get(f"{API}/pledges?category=collective", headers=h))) == [road.id]
    assert _ids(ok(client.get(f"{API}/pledges?category=pairing", headers=h))) == [leaders.id]
    assert set(_ids(ok(client.get(f"{API}/pledges?status=draft&status=closed", headers=h)))) == {draft.id, old.id}
    assert _ids(ok(client.get(f"{API}/pledges?q=路灯", headers=h))) == [lamp.id]
    assert _ids(ok(client.get(f"{API}/pledges?q=100%25", headers=h))) == []
    assert set(_ids(ok(client.get(f"{API}/pledges?unit_id={world.group.id}&size=100", headers=h)))) >= {road.id}
    assert _ids(ok(client.get(f"{API}/pledges?member_id={world.group_leader.member_id}", headers=h))) == [leaders.id]
    # the overdue flag is on each item too
    by_id = {i["id"]: i for i in everything["items"]}
    assert by_id[late.id]["overdue"] is True
    assert by_id[lamp.id]["overdue"] is False
    assert by_id[old.id]["overdue"] is False  # closed: never overdue
    # a committee admin sees every branch; the supervisor only what has been published
    admin = set(_ids(ok(client.get(f"{API}/pledges?size=100", headers=world.committee_admin.headers))))
    assert {other.id, draft.id} <= admin
    supervisor = set(_ids(ok(client.get(f"{API}/pledges?size=100", headers=world.supervisor.headers))))
    assert draft.id not in supervisor
    assert lamp.id in supervisor
    # paging
    page = ok(client.get(f"{API}/pledges?size=2&page=2", headers=h))
    assert page["total"] == 6
    assert page["pages"] == 3
    assert len(page["items"]) == 2


def test_counts(client: TestClient, world: World) -> None:
    member_pledge(world, status=PledgeStatus.published, due_date=overdue_date())
    member_pledge(world, status=PledgeStatus.published, due_date=today_local() + timedelta(days=30))
    member_pledge(world, status=PledgeStatus.closed, due_date=overdue_date())
    member_pledge(world)
    counts = ok(client.get(f"{API}/pledges/counts", headers=world.secretary.headers))
    assert counts == {"total": 4, "overdue": 1, "by_status": {"published": 2, "closed": 1, "draft": 1}}
    mine = ok(client.get(f"{API}/pledges/counts?mine=true", headers=world.group_leader.headers))
    assert mine["total"] == 0


def test_review_queue_is_oldest_first_and_scoped(client: TestClient, world: World, db: Session) -> None:
    first = member_pledge(world, status=PledgeStatus.submitted)
    closing = member_pledge(world, status=PledgeStatus.closing)
    revising = collective_pledge(world, status=PledgeStatus.revising)
    member_pledge(world, status=PledgeStatus.published)
    create_pledge(db, unit=world.other_group, member_id=world.outsider.member_id, status=PledgeStatus.submitted)
    first.status_changed_at -= timedelta(days=3)
    closing.status_changed_at -= timedelta(days=2)
    revising.status_changed_at -= timedelta(days=1)
    db.flush()
    queue = ok(client.get(f"{API}/review-queue", headers=world.secretary.headers))
    assert _ids(queue) == [first.id, closing.id, revising.id]
    assert _ids(ok(client.get(f"{API}/review-queue?kind=close", headers=world.secretary.headers))) == [closing.id]
    assert _ids(ok(client.get(f"{API}/review-queue?kind=review", headers=world.secretary.headers))) == [first.id]
    assert len(ok(client.get(f"{API}/review-queue", headers=world.committee_admin.headers))["items"]) == 4


def _many_members_with_pledges(world: World, db: Session, n: int) -> None:
    for i in range(n):
        m = create_member(db, branch=world.branch, group=world.group, name=f"党员{i}")
        members_service.open_account(db, actor=SYSTEM, member=m, password_hash="x", must_change_password=False)
        create_pledge(db, unit=world.group, member_id=m.id, status=PledgeStatus.submitted)
        p = create_pledge(db, unit=world.group, member_id=m.id, status=PledgeStatus.published)
        add_progress(db, p, photos=1)
    collective_pledge(world, status=PledgeStatus.closing)


def _queries(client: TestClient, query_counter: list[str], url: str, headers: dict[str, str]) -> int:
    query_counter.clear()
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return len(query_counter)


def test_query_counts_do_not_grow_with_the_page(
    client: TestClient, world: World, db: Session, query_counter: list[str]
) -> None:
    _many_members_with_pledges(world, db, 25)
    h = world.secretary.headers
    for url in (f"{API}/pledges", f"{API}/review-queue", f"{API}/pledges?unit_id={world.group.id}&overdue=false"):
        small = _queries(client, query_counter, f"{url}{'&' if '?' in url else '?'}size=2", h)
        large = _queries(client, query_counter, f"{url}{'&' if '?' in url else '?'}size=50", h)
        assert small == large, (url, small, large)
        assert large <= 12, (url, large)


def test_public_reads_do_a_fixed_number_of_queries(world: World, db: Session, query_counter: list[str]) -> None:
    _many_members_with_pledges(world, db, 10)
    from sqlalchemy import select
    from sqlmodel import col

    from app.members.models import Member

    member_ids = list(db.execute(select(col(Member.id)).where(col(Member.branch_id) == world.branch.id)).scalars())
    query_counter.clear()
    result = service.public_pledges_for_units(db, member_ids=member_ids, unit_ids=[world.group.id or 0])
    assert len(query_counter) <= 3
    assert sum(len(v) for v in result.by_member.values()) == 10  # only the published ones
    assert all(p.latest_progress and p.latest_progress.photos for v in result.by_member.values() for p in v)
    assert len(result.by_unit[world.group.id or 0]) == 1  # the closing collective pledge
    some = next(iter(result.by_member.values()))[0]
    query_counter.clear()
    service.public_timeline(db, some.id)
    assert len(query_counter) <= 4


def test_public_pledges_filter_by_year_and_status(world: World, db: Session) -> None:
    year = today_local().year
    shown = member_pledge(world, status=PledgeStatus.published)
    member_pledge(world, status=PledgeStatus.submitted)
    member_pledge(world, status=PledgeStatus.cancelled)
    last_year = member_pledge(world, status=PledgeStatus.closed, year=year - 1, due_date=date(year - 1, 6, 1))
    this_year = service.public_pledges_for_units(db, member_ids=[world.member.member_id or 0], year=year)
    assert [p.id for p in this_year.by_member[world.member.member_id or 0]] == [shown.id]
    every = service.public_pledges_for_units(db, member_ids=[world.member.member_id or 0], with_progress=False)
    assert [p.id for p in every.by_member[world.member.member_id or 0]] == [last_year.id, shown.id]
    assert service.public_pledges_for_units(db).by_member == {}


def test_a_list_counts_up_to_the_cap_and_says_when_there_are_more(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """paginate counts at most COUNT_CAP rows (a county-wide list would count 200 k on every page):
    past it the total is the cap and `total_capped` says so; below it, the exact count; the pages
    themselves are the same either way."""
    made = [member_pledge(world, status=PledgeStatus.published, title=f"路灯{i}") for i in range(5)]
    h = world.secretary.headers
    exact = ok(client.get(f"{API}/pledges?size=2", headers=h))
    assert (exact["total"], exact["pages"], exact["total_capped"]) == (5, 3, False)
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    capped = ok(client.get(f"{API}/pledges?size=2", headers=h))
    assert (capped["total"], capped["pages"], capped["total_capped"]) == (3, 2, True)
    assert _ids(capped) == _ids(exact)
    beyond = ok(client.get(f"{API}/pledges?size=2&page=3", headers=h))  # past the counted pages: still served
    assert len(beyond["items"]) == 1
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)  # exactly the cap: exact
    assert ok(client.get(f"{API}/pledges?size=2", headers=h))["total_capped"] is False
    assert {p.id for p in made} == set(_ids(ok(client.get(f"{API}/pledges?size=100", headers=h))))
