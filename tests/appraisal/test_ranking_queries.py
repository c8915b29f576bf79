"""Fixed statement counts: the ranking's view and a page of tiers cost the same for a town of three
branches and for one of thirteen (aggregates in SQL, batch reads, no query per branch)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.appraisal import ranking
from app.org.models import UnitKind
from tests.appraisal.tiers_factories import API, YEAR, h, propose, year_levels
from tests.factories import World, create_member, create_unit
from tests.ratings.results_factories import add_result


def _selects(statements: list[str]) -> int:
    return sum(1 for q in statements if q.lstrip().upper().startswith(("SELECT", "WITH")))


def _grow(db: Session, world: World, period: object, n: int) -> None:
    for i in range(n):
        branch = create_unit(db, kind=UnitKind.branch, name=f"新建村党支部{i}", parent=world.town)
        create_member(db, branch=branch, name=f"党员{i}")
        add_result(db, period, branch=branch, score=300.0 - i, stars=3)  # type: ignore[arg-type]


def test_the_ranking_view_costs_the_same_at_any_size(
    client: TestClient, db: Session, world: World, query_counter: list[str]
) -> None:
    period = year_levels(db, world)
    query_counter.clear()
    small = ranking.view(db, world.town, YEAR)
    counted_small = _selects(query_counter)
    _grow(db, world, period, 10)
    query_counter.clear()
    big = ranking.view(db, world.town, YEAR)
    assert len(big.rows) == len(small.rows) + 10
    assert _selects(query_counter) == counted_small <= 8  # 述职: one look for closed reports


def test_a_page_of_tiers_costs_the_same_at_any_size(
    client: TestClient, db: Session, world: World, query_counter: list[str]
) -> None:
    period = year_levels(db, world)
    propose(client, world)
    url = f"{API}/branch-tiers?year={YEAR}&unit_id={world.town.id}"
    query_counter.clear()
    assert client.get(url, headers=h(world.committee_admin)).json()["total"] == 2
    counted_small = _selects(query_counter)
    _grow(db, world, period, 10)
    propose(client, world)
    query_counter.clear()
    assert client.get(url, headers=h(world.committee_admin)).json()["total"] == 12
    assert _selects(query_counter) == counted_small
