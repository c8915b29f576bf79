"""GET /stats against hand-counted fixtures: the town, a branch, a group (members), a quarter; who may
ask; and a fixed number of statements whatever the size."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from app.core.time import today_local
from app.evaluations.models import RatingStatus, Satisfaction
from app.evaluations.summaries import SCORES as POINTS
from app.members import service as members_service
from app.pledges.models import Pledge, PledgeCategory, PledgeOutcome, PledgeStatus
from app.ratings.models import PeriodStatus
from tests.factories import World, create_member, create_unit
from tests.pledges.factories import collective_pledge, create_pledge, member_pledge
from tests.ratings.results_factories import add_result, at_day, make_period, rate

SAT, BASIC, UNSAT = Satisfaction.satisfied, Satisfaction.basic, Satisfaction.unsatisfied

S = PledgeStatus
YEAR = 2026


def _dated(
    db: Session, pledge: Pledge, submitted: date, published: date | None = None, closed: date | None = None
) -> Pledge:
    pledge.submitted_at = at_day(submitted)
    pledge.published_at = at_day(published) if published else None
    pledge.closed_at = at_day(closed) if closed else None
    db.add(pledge)
    db.flush()
    return pledge


@pytest.fixture
def town(world: World, db: Session) -> dict[str, Any]:
    """Hand-counted: 6 active members (office 1, branch 4 of which 3 in its group, other branch 1)."""
    p1 = member_pledge(world, status=S.published, year=YEAR, due_date=date(YEAR, 1, 31))  # overdue
    _dated(db, p1, date(YEAR, 3, 1), date(YEAR, 3, 5))  # 4 days to publish
    p2 = member_pledge(world, status=S.closed, year=YEAR, outcome=PledgeOutcome.kept)
    _dated(db, p2, date(YEAR, 3, 1), date(YEAR, 3, 3), date(YEAR, 4, 2))  # 2, 30
    member_pledge(world, status=S.draft, year=YEAR)  # not made
    member_pledge(world, status=S.published, year=YEAR - 1, due_date=date(YEAR - 1, 6, 1))  # another year
    p4 = member_pledge(world, "group_leader", status=S.closed, year=YEAR, outcome=PledgeOutcome.partly_kept)
    _dated(db, p4, date(YEAR, 3, 1), date(YEAR, 3, 7), date(YEAR, 3, 17))  # 6, 10
    p5 = collective_pledge(world, status=S.published, year=YEAR, due_date=date(2099, 12, 31))
    _dated(db, p5, date(YEAR, 3, 1), date(YEAR, 3, 2))  # 1
    member_pledge(world, "supervisor", status=S.withdrawn, year=YEAR)  # never made
    p7 = member_pledge(world, "outsider", status=S.closed, year=YEAR, outcome=PledgeOutcome.not_kept)
    _dated(db, p7, date(YEAR, 4, 10), date(YEAR, 4, 20), date(YEAR, 4, 30))  # 10, 10
    # villagers: p1 satisfied ×2 + basic, p7 unsatisfied; a flagged one and last year's are not counted
    rate(db, p1, [Satisfaction.satisfied, Satisfaction.satisfied, Satisfaction.basic], day=date(YEAR, 5, 1))
    rate(db, p7, [Satisfaction.unsatisfied], day=date(YEAR, 5, 1))
    rate(db, p1, [Satisfaction.unsatisfied], day=date(YEAR, 5, 1), status=RatingStatus.flagged)
    rate(db, p1, [Satisfaction.unsatisfied], day=date(YEAR - 1, 11, 1))
    # published levels of the year's third quarter (one decided but unpublished is left out)
    period = make_period(db, world.town, year=YEAR, quarter=3, status=PeriodStatus.published)
    who = {
        name: members_service.get_member(db, getattr(world, name).member_id)
        for name in ("member", "group_leader", "outsider", "secretary")
    }
    add_result(db, period, member=who["member"], score=95, stars=5)
    add_result(db, period, member=who["group_leader"], score=85, stars=4)
    add_result(db, period, member=who["outsider"], score=70, stars=3)
    add_result(db, period, member=who["secretary"], score=99, stars=5, published=False)
    add_result(db, period, branch=world.branch, score=96, stars=5)
    add_result(db, period, branch=world.other_branch, score=60, stars=2)
    return {"p1": p1}


def _get(client: Any, persona: Any, **params: Any) -> Any:
    return client.get("/api/v1/stats", params={"year": YEAR, **params}, headers=persona.headers)


def test_town_figures_as_hand_counted(client: Any, world: World, town: dict[str, Any]) -> None:
    r = _get(client, world.committee_admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["unit"]["id"] == world.town.id
    assert body["rows_kind"] == "units"
    assert (body["members"], body["members_pledged"], body["participation_rate"]) == (6, 3, 0.5)
    assert body["pledges"] == 5
    assert body["by_status"] == {"published": 2, "closed": 3, "draft": 1, "withdrawn": 1}
    assert body["by_category"] == {"public_service": 4, "collective": 1}
    assert body["overdue"] == 1
    assert (body["closed"], body["kept"], body["partly_kept"], body["not_kept"]) == (3, 1, 1, 1)
    assert body["kept_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert body["fulfilment_rate"] == 0.6
    assert body["median_days_to_publish"] == 4.0  # 1, 2, 4, 6, 10
    assert body["median_days_to_close"] == 10.0  # 10, 10, 30
    sat = body["satisfaction"]
    assert (sat["satisfied"], sat["basic"], sat["unsatisfied"], sat["total"]) == (2, 1, 1, 4)
    # the evaluations domain's formula (its points per choice), not one of ours
    assert sat["score"] == round((2 * POINTS[SAT] + POINTS[BASIC] + POINTS[UNSAT]) / 4, 1)
    assert body["stars"] == {"5": 1, "4": 1, "3": 1}
    assert body["star_period_title"] == "2026年第三季度"
    assert body["labels"]["status"]["published"] == "践诺中"

    rows = {row["id"]: row for row in body["rows"]}
    assert set(rows) == {world.branch.id, world.other_branch.id, world.office.id}  # type: ignore[union-attr]
    branch, other, office = rows[world.branch.id], rows[world.other_branch.id], rows[world.office.id]  # type: ignore[union-attr]
    assert (branch["members"], branch["members_pledged"], branch["pledges"], branch["overdue"]) == (4, 2, 4, 1)
    assert branch["median_days_to_publish"] == 3.0  # 1, 2, 4, 6
    assert branch["median_days_to_close"] == 20.0  # 10, 30
    assert branch["satisfaction"]["score"] == round((2 * POINTS[SAT] + POINTS[BASIC]) / 3, 1)
    assert branch["level"] == 5
    assert branch["stars"] == {"5": 1, "4": 1}
    assert (other["members"], other["pledges"], other["not_kept"], other["level"]) == (1, 1, 1, 2)
    assert other["satisfaction"]["score"] == 0.0
    assert (office["members"], office["members_pledged"], office["pledges"]) == (1, 0, 0)
    assert office["participation_rate"] == 0.0
    assert office["median_days_to_publish"] is None


def test_drill_down_branch_then_group(client: Any, world: World, town: dict[str, Any]) -> None:
    body = _get(client, world.secretary).json()  # the secretary's own branch by default
    assert body["unit"]["id"] == world.branch.id
    assert body["level"] == 5
    assert [u["id"] for u in body["path"]] == [world.branch.id]
    rows = {(row["kind"], row["id"]): row for row in body["rows"]}
    group = rows[("unit", world.group.id)]
    own = rows[("self", world.branch.id)]  # the supervisor is in the branch, in no group
    assert (group["members"], group["members_pledged"], group["pledges"]) == (3, 2, 4)
    assert (own["members"], own["pledges"], own["by_status"]) == (1, 0, {"withdrawn": 1})

    body = _get(client, world.secretary, unit_id=world.group.id).json()
    assert body["rows_kind"] == "members"
    assert [u["id"] for u in body["path"]] == [world.branch.id, world.group.id]
    by_name = {row["name"]: row for row in body["rows"]}
    assert set(by_name) == {"书记", "组长", "党员甲", "本级"}
    me = by_name["党员甲"]
    assert (me["pledges"], me["overdue"], me["kept"], me["level"], me["members_pledged"]) == (2, 1, 1, 5, 1)
    assert me["satisfaction"]["total"] == 3
    assert by_name["本级"]["by_category"] == {"collective": 1}
    assert by_name["书记"]["level"] is None  # decided, not published


def test_quarter_narrows_to_pledges_reported_in_it(client: Any, world: World, town: dict[str, Any]) -> None:
    body = _get(client, world.committee_admin, period="2026Q1").json()
    assert (body["year"], body["period"], body["pledges"], body["members_pledged"]) == (YEAR, "2026Q1", 4, 2)
    assert body["satisfaction"]["total"] == 0  # the ratings were given in Q2
    assert body["stars"] == {}
    assert body["star_period_title"] is None
    q3 = _get(client, world.committee_admin, period="2026Q3").json()
    assert q3["stars"] == {"5": 1, "4": 1, "3": 1}
    assert _get(client, world.committee_admin, period="2026Q5").status_code == 422


def test_who_may_ask(client: Any, world: World, anonymous: dict[str, str]) -> None:
    assert client.get("/api/v1/stats", headers=anonymous).status_code == 401
    assert _get(client, world.secretary, unit_id=world.town.id).status_code == 404  # above the branch
    assert _get(client, world.outsider, unit_id=world.branch.id).status_code == 404
    assert _get(client, world.member, unit_id=world.branch.id).status_code == 403
    assert _get(client, world.group_leader).status_code == 403
    assert _get(client, world.supervisor, unit_id=world.branch.id).status_code == 403
    assert _get(client, world.committee_admin, unit_id=world.other_group.id).status_code == 200
    assert _get(client, world.outsider).json()["unit"]["id"] == world.other_branch.id


def _grow(db: Session, world: World, n: int) -> None:
    """n more branches, each with a group, members and pledges in every status, rated and levelled."""
    period = make_period(db, world.town, year=YEAR, quarter=4, status=PeriodStatus.published)
    for i in range(n):
        branch = create_unit(db, kind=world.branch.kind, name=f"新增支部{i}", parent=world.town)  # type: ignore[arg-type]
        group = create_unit(db, kind=world.group.kind, name=f"新增小组{i}", parent=branch)  # type: ignore[arg-type]
        for j, status in enumerate((S.published, S.closed, S.draft)):
            m = create_member(db, branch=branch, group=group, name=f"党员{i}-{j}")
            p = create_pledge(db, unit=group, member_id=m.id, status=status, year=YEAR, category=PledgeCategory.other)
            if status != S.draft:
                _dated(db, p, date(YEAR, 3, 1), date(YEAR, 3, 2 + j), date(YEAR, 4, 1) if status == S.closed else None)
                rate(db, p, [Satisfaction.satisfied], day=date(YEAR, 5, 1))
            add_result(db, period, member=m, score=80, stars=4)
        add_result(db, period, branch=branch, score=80, stars=4)


@pytest.mark.parametrize("unit", ["town", "group"])
def test_statement_count_is_fixed(
    client: Any, world: World, town: dict[str, Any], db: Session, query_counter: list[str], unit: str
) -> None:
    unit_id = getattr(world, unit).id

    def count() -> int:
        query_counter.clear()
        assert _get(client, world.committee_admin, unit_id=unit_id).status_code == 200
        return len(query_counter)

    small = count()
    _grow(db, world, 6)
    large = count()
    assert small == large, (small, large)
    assert small <= 15, "\n".join(s[:90] for s in query_counter)


def test_today_year_by_default(client: Any, world: World) -> None:
    body = client.get("/api/v1/stats", headers=world.committee_admin.headers).json()
    assert body["year"] == today_local().year
    assert body["pledges"] == 0
    assert body["participation_rate"] == 0.0
