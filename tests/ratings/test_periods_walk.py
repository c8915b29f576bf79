"""A quarter from open to published through the API, as the town would run it: statements and
peer reviews, closing the reviews, the secretary's assessments, compute, approval, publication of
one branch — and the levels then on the public side (boards read app/ratings/public.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.ratings import public
from tests.factories import World
from tests.ratings.core_factories import API, act, headers, new_period


def test_a_quarter_from_open_to_published(client: TestClient, world: World, db: Session) -> None:
    admin, sec = world.committee_admin, world.secretary
    period = new_period(db, world)
    pid = period.id or 0
    assert act(client, admin, pid, "open", 1).status_code == 200
    branch_people = [world.secretary, world.group_leader, world.member, world.supervisor]
    stars = {world.secretary.label: 5, world.group_leader.label: 4, world.member.label: 4, world.supervisor.label: 3}
    for reviewer in branch_people:
        r = client.put(
            f"{API}/rating-periods/{pid}/self-statement", json={"text": "按时践诺"}, headers=reviewer.headers
        )
        assert r.status_code == 200
        reviews = [
            {"member_id": p.member_id, "value": stars[p.label]}
            for p in branch_people
            if p.member_id != reviewer.member_id
        ]
        r = client.post(f"{API}/rating-periods/{pid}/peer-reviews", json={"reviews": reviews}, headers=reviewer.headers)
        assert r.status_code == 200
        assert r.json()["given"] == 3
    progress = client.get(f"{API}/rating-periods/{pid}/branches", headers=admin.headers).json()
    row = next(b for b in progress["items"] if b["branch_id"] == world.branch.id)
    assert (row["reviewers_done"], row["statements"], row["reviews_given"]) == (4, 4, 12)
    version = client.get(f"{API}/rating-periods/{pid}", headers=admin.headers).json()["version"]
    assert act(client, admin, pid, "close_reviews", version).status_code == 200
    points = {
        world.secretary.label: 20,
        world.group_leader.label: 18,
        world.member.label: 16,
        world.supervisor.label: 12,
    }
    for person in branch_people:
        assessor = admin if person is world.secretary else sec  # nobody assesses themself
        items = {"political": points[person.label], "pledges": 25, "role": 25, "reputation": 18}
        r = client.put(
            f"{API}/rating-periods/{pid}/assessments/member/{person.member_id}",
            json={"items": items, "reasons": {"pledges": "无已销诺承诺，按践诺情况评分"}},
            headers=assessor.headers,
        )
        assert r.status_code == 200, r.text
        assert r.json()["complete"] is True
    r = client.put(
        f"{API}/rating-periods/{pid}/assessments/branch/{world.branch.id}",
        json={"items": {"team": 24, "pledges": 22, "work": 23, "reputation": 24}},
        headers=admin.headers,
    )
    assert r.status_code == 200
    version = client.get(f"{API}/rating-periods/{pid}", headers=admin.headers).json()["version"]
    r = client.post(f"{API}/rating-periods/{pid}/compute", json={}, headers=headers(admin, version))
    assert r.status_code == 200, r.text
    listed = client.get(f"{API}/rating-periods/{pid}/results?unit_id={world.branch.id}", headers=sec.headers)
    assert listed.status_code == 200, listed.text
    r = client.post(
        f"{API}/rating-periods/{pid}/branches/{world.branch.id}/approve",
        json={},
        headers={**sec.headers, "If-Match": listed.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    branch_result = next(x for x in listed.json()["items"] if x["subject_kind"] == "branch")
    current = client.get(f"{API}/rating-results/{branch_result['id']}", headers=admin.headers)
    r = client.post(
        f"{API}/rating-periods/{pid}/branches/{world.branch.id}/approve-branch",
        json={},
        headers={**admin.headers, "If-Match": current.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    version = client.get(f"{API}/rating-periods/{pid}", headers=admin.headers).json()["version"]
    r = client.post(
        f"{API}/rating-periods/{pid}/publish", json={"branch_ids": [world.branch.id]}, headers=headers(admin, version)
    )
    assert r.status_code == 200, r.text
    levels = public.member_levels(db, [p.member_id or 0 for p in branch_people])
    assert set(levels) == {p.member_id for p in branch_people}
    assert all(level.period_title == "2026年第三季度" for level in levels.values())
    assert levels[world.secretary.member_id or 0].stars >= levels[world.supervisor.member_id or 0].stars
    assert world.branch.id in public.unit_levels(db, [world.branch.id or 0])
    board = public.star_board(db, world.town)
    assert board.period_title == "2026年第三季度"
    assert sum(c.count for c in board.counts if c.subject == "member") == 4
    # the other branches are not published yet: nothing of theirs is public
    assert public.unit_levels(db, [world.other_branch.id or 0]) == {}
