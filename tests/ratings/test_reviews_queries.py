"""The hot paths of the review period run a fixed number of queries however big the branch is:
a member's review sheet, the secretary's progress, the branches' progress and the assessment sheet."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.ratings.models import PeerReview, SelfStatement
from tests.factories import World, create_member
from tests.ratings.core_factories import API, open_period


def _count(client: TestClient, query_counter: list[str], url: str, headers: dict[str, str]) -> int:
    query_counter.clear()
    r = client.get(url, headers=headers)
    assert r.status_code == 200, r.text
    return len(query_counter)


def _grow(db: Session, world: World, period_id: int, n: int) -> None:
    for i in range(n):
        m = create_member(db, branch=world.branch, group=world.group, name=f"党员{i:02d}")
        db.add(SelfStatement(period_id=period_id, member_id=m.id or 0, branch_id=world.branch.id or 0, text="自评"))
        db.add(
            PeerReview(
                period_id=period_id,
                branch_id=world.branch.id or 0,
                reviewer_member_id=m.id or 0,
                reviewee_member_id=world.member.member_id or 0,
                score=75,
            )
        )
    db.flush()


def test_fixed_queries(client: TestClient, world: World, db: Session, query_counter: list[str]) -> None:
    period = open_period(db, world)
    b = world.branch.id
    urls = [
        (f"{API}/rating-periods/{period.id}/peer-reviews/mine", world.member.headers),
        (f"{API}/rating-periods/{period.id}/peer-reviews/progress?branch_id={b}", world.secretary.headers),
        (f"{API}/rating-periods/{period.id}/branches", world.committee_admin.headers),
        (f"{API}/rating-periods/{period.id}/assessments?branch_id={b}", world.secretary.headers),
    ]
    before = [_count(client, query_counter, url, h) for url, h in urls]
    _grow(db, world, period.id or 0, 12)
    after = [_count(client, query_counter, url, h) for url, h in urls]
    assert after == before
