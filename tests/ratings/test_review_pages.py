"""A branch larger than one page (100): the member's review sheet pages through every peer, and the
progress (已评 12 / 15) and the list of peers already reviewed count over all pages, whatever page
is read — so the PWA reaches and counts everyone."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.factories import World, create_member
from tests.ratings.core_factories import API, open_period


def test_every_peer_is_reached_page_by_page(
    client: TestClient, world: World, db: Session, query_counter: list[str]
) -> None:
    period = open_period(db, world)
    for i in range(118):
        create_member(db, branch=world.branch, group=world.group, name=f"党员{i:03d}")
    db.flush()
    url = f"{API}/rating-periods/{period.id}/peer-reviews/mine"
    h = world.member.headers
    first = client.get(url, headers=h).json()
    expected = first["expected"]
    assert expected > 100
    assert (first["total"], first["page"], first["pages"], len(first["peers"])) == (expected, 1, 2, 100)
    query_counter.clear()
    second = client.get(url, params={"page": 2}, headers=h).json()
    queries_of_a_page = len(query_counter)
    assert (second["page"], len(second["peers"])) == (2, expected - 100)
    everyone = [p["member_id"] for p in first["peers"]] + [p["member_id"] for p in second["peers"]]
    assert len(set(everyone)) == expected
    assert world.member.member_id not in everyone

    # reviews on both pages: each page answers the same progress over all
    on_first, on_second = everyone[:3], everyone[100:102]
    for whom in on_first + on_second:
        r = client.put(f"{API}/rating-periods/{period.id}/peer-reviews/{whom}", json={"value": 4}, headers=h)
        assert r.status_code == 200, r.text
    for page in (1, 2):
        query_counter.clear()
        sheet = client.get(url, params={"page": page}, headers=h).json()
        assert (sheet["given"], sheet["expected"]) == (5, expected)
        assert sheet["reviewed"] == sorted(on_first + on_second)
        shown = {p["member_id"]: p["value"] for p in sheet["peers"]}
        assert {m: shown[m] for m in (on_first if page == 1 else on_second)} == dict.fromkeys(
            on_first if page == 1 else on_second, 4
        )
        if page == 2:
            assert len(query_counter) == queries_of_a_page  # fixed, however many were reviewed
    # a page past the end is empty, never an error; a smaller page size pages further
    assert client.get(url, params={"page": 3}, headers=h).json()["peers"] == []
    small = client.get(url, params={"size": 50, "page": 3}, headers=h).json()
    assert (small["pages"], len(small["peers"]), small["given"]) == (3, expected - 100, 5)


def test_the_secretarys_progress_counts_over_all_pages(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    for i in range(110):
        create_member(db, branch=world.branch, group=world.group, name=f"党员{i:03d}")
    db.flush()
    h = world.member.headers
    sheet = client.get(f"{API}/rating-periods/{period.id}/peer-reviews/mine", headers=h).json()
    everyone = [p["member_id"] for p in sheet["peers"]]
    for page in range(2, sheet["pages"] + 1):
        more = client.get(f"{API}/rating-periods/{period.id}/peer-reviews/mine", params={"page": page}, headers=h)
        everyone += [p["member_id"] for p in more.json()["peers"]]
    r = client.post(
        f"{API}/rating-periods/{period.id}/peer-reviews",
        json={"reviews": [{"member_id": m, "value": 4} for m in everyone]},
        headers={**h, "Idempotency-Key": "all-of-them"},
    )
    assert r.status_code == 200, r.text
    r = client.put(f"{API}/rating-periods/{period.id}/self-statement", json={"text": "带头清扫"}, headers=h)
    assert r.status_code == 200, r.text
    url = f"{API}/rating-periods/{period.id}/peer-reviews/progress"
    pages = [
        client.get(url, params={"branch_id": world.branch.id, "size": 100, "page": n}, headers=world.secretary.headers)
        for n in (1, 2)
    ]
    first, second = (p.json() for p in pages)
    assert (first["total"], first["pages"], first["finished"], first["statements"]) == (len(everyone) + 1, 2, 1, 1)
    assert (second["finished"], second["statements"]) == (1, 1)
    # those still reviewing first: the one who is done comes last, on the last page
    done = [p["member_id"] for p in first["items"] + second["items"] if p["done"]]
    assert done == [world.member.member_id]
    assert second["items"][-1]["member_id"] == world.member.member_id
