"""The secretary's closing (issue 9): the review queue paged through all items with counts per tab,
batch 销诺 with an outcome, a comment and a version per row (answered per row), the close dialog's
facts, and villagers' satisfaction from evaluations — each with the permission matrix."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.db import pk
from app.evaluations.models import PublicRating, RatingStatus, Satisfaction
from app.pledges.models import Pledge, PledgeEvent, PledgeStatus
from tests.factories import World
from tests.matrix import Case, check, params
from tests.pledges.api import API, ok
from tests.pledges.factories import add_progress, member_pledge

CLOSING_VERSION = 5  # a factory pledge asking to close: draft → … → closing is four steps
REVIEWERS = ["secretary", "committee_admin"]


def _closing(w: World, **kw: Any) -> Pledge:
    return member_pledge(w, status=PledgeStatus.closing, **kw)


def _row(pledge: Pledge, outcome: str = "partly_kept", **kw: Any) -> dict[str, Any]:
    return {"pledge_id": pk(pledge), "version": pledge.version, "outcome": outcome, "comment": "经核实", **kw}


def test_the_review_queue_pages_through_all_and_counts_every_tab(client: TestClient, world: World) -> None:
    closing = [_closing(world, title=f"待销诺 {i}") for i in range(105)]
    for i in range(3):
        member_pledge(world, status=PledgeStatus.submitted, title=f"待定诺 {i}")
    member_pledge(world, status=PledgeStatus.revising)
    counts = ok(client.get(f"{API}/review-queue/counts", headers=world.secretary.headers))
    assert counts == {"review": 3, "close": 105, "revision": 1, "total": 109}
    seen: list[int] = []
    page = 1
    while True:
        r = ok(client.get(f"{API}/review-queue?kind=close&size=100&page={page}", headers=world.secretary.headers))
        assert r["total"] == 105
        seen += [i["id"] for i in r["items"]]
        if page >= r["pages"]:
            break
        page += 1
    assert sorted(seen) == sorted(pk(p) for p in closing)
    assert client.get(f"{API}/review-queue/counts", headers=world.member.headers).status_code == 403


def test_batch_close_sets_each_rows_outcome_and_answers_per_row(client: TestClient, world: World, db: Session) -> None:
    a, b, stale, published = _closing(world), _closing(world), _closing(world), member_pledge(world)
    own = member_pledge(world, persona="secretary", status=PledgeStatus.closing)
    body = {
        "items": [
            _row(a, "kept"),
            _row(b, "not_kept", comment="只完成三成"),
            _row(stale, version=stale.version - 1),
            _row(published),
            _row(own),
            {"pledge_id": 999_999, "version": 1, "outcome": "kept", "comment": "无此承诺"},
        ]
    }
    headers = {**world.secretary.headers, "Idempotency-Key": "close-batch-1"}
    r = ok(client.post(f"{API}/pledges/close-batch", json=body, headers=headers))
    rows = {row["pledge_id"]: row for row in r["items"]}
    assert [row["pledge_id"] for row in r["items"]] == [i["pledge_id"] for i in body["items"]]
    assert (r["closed"], r["refused"]) == (2, 4)
    assert rows[pk(a)]["closed"] is True
    assert rows[pk(a)]["version"] == CLOSING_VERSION + 1
    assert (rows[pk(stale)]["status"], rows[pk(stale)]["current_version"]) == (412, stale.version)
    assert (rows[pk(published)]["status"], rows[pk(published)]["code"]) == (409, "pledge_wrong_state")
    assert (rows[pk(own)]["status"], rows[pk(own)]["code"]) == (403, "forbidden.pledge.own_review")
    assert rows[999_999]["status"] == 404
    db.expire_all()
    assert (db.get(Pledge, pk(a)).outcome, db.get(Pledge, pk(b)).outcome) == ("kept", "not_kept")  # type: ignore[union-attr]
    assert db.get(Pledge, pk(b)).outcome_comment == "只完成三成"  # type: ignore[union-attr]
    assert db.get(Pledge, pk(stale)).status == PledgeStatus.closing  # type: ignore[union-attr]
    events = db.execute(select(col(PledgeEvent.pledge_id)).where(col(PledgeEvent.action) == "close")).scalars().all()
    assert sorted(events) == sorted([pk(a), pk(b)])
    # the same key answers the same again without closing anything twice
    again = client.post(f"{API}/pledges/close-batch", json=body, headers=headers)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == r


def test_batch_close_preselects_nothing(client: TestClient, world: World) -> None:
    pledge = _closing(world)
    row = {"pledge_id": pk(pledge), "version": pledge.version, "comment": "经核实"}
    r = client.post(f"{API}/pledges/close-batch", json={"items": [row]}, headers=world.secretary.headers)
    assert r.status_code == 422, r.text
    twice = {"items": [_row(pledge), _row(pledge)]}
    r = client.post(f"{API}/pledges/close-batch", json=twice, headers=world.secretary.headers)
    assert (r.status_code, r.json()["code"]) == (422, "duplicate_pledge")


def test_the_close_dialog_has_progress_photos_and_satisfaction(client: TestClient, world: World, db: Session) -> None:
    pledge = _closing(world)
    add_progress(db, pledge, text="第一次", photos=2)
    add_progress(db, pledge, text="修好了最后一盏", photos=1)
    brief = ok(client.get(f"{API}/pledges/{pk(pledge)}/close-brief", headers=world.secretary.headers))
    assert brief["last_report"]["text"] == "修好了最后一盏"
    assert len(brief["last_report"]["photos"]) == 1
    assert len(brief["photos"]) == 3
    assert brief["requested_close_at"] is not None
    assert brief["outcome_preselected"] is None
    for i, choice in enumerate([Satisfaction.satisfied, Satisfaction.satisfied, Satisfaction.unsatisfied]):
        db.add(_rating(pledge, choice, f"d{i}"))
    db.add(_rating(pledge, Satisfaction.unsatisfied, "burst", status=RatingStatus.flagged))
    db.flush()
    s = ok(client.get(f"{API}/evaluations/pledges/{pk(pledge)}/satisfaction", headers=world.secretary.headers))
    assert (s["satisfied"], s["basic"], s["unsatisfied"], s["total"], s["flagged"]) == (2, 0, 1, 3, 1)
    assert s["score"] == pytest.approx(66.7)


def _rating(pledge: Pledge, choice: Satisfaction, device: str, status: RatingStatus = RatingStatus.counted) -> Any:
    return PublicRating(
        pledge_id=pk(pledge),
        branch_id=pledge.branch_id,
        unit_id=pledge.unit_id,
        member_id=pledge.member_id,
        period="2026Q4",
        choice=choice,
        status=status,
        device_hash=device,
        ip_hash="ip",
    )


def _batch_body(w: World) -> dict[str, Any]:
    return {"items": [_row(_closing(w))]}


CASES = [
    Case(
        "GET",
        lambda w: f"{API}/review-queue/counts",
        name="GET /review-queue/counts",
        allowed=[*REVIEWERS, "outsider"],  # the outsider is another branch's secretary: their own counts
        denied_403=["member", "group_leader", "supervisor"],
        hidden_404=(),
    ),
    Case(
        "POST",
        lambda w: f"{API}/pledges/close-batch",
        name="POST /pledges/close-batch",
        # the batch answers per row: a persona who may not close gets 200 with the row refused
        allowed=["committee_admin", "secretary", "group_leader", "member", "supervisor", "outsider"],
        hidden_404=(),
        body_factory=_batch_body,
    ),
    Case(
        "GET",
        lambda w: f"{API}/pledges/{pk(_closing(w))}/close-brief",
        name="GET /pledges/{id}/close-brief",
        allowed=REVIEWERS,
        denied_403=["member", "group_leader", "supervisor"],
    ),
    Case(
        "GET",
        lambda w: f"{API}/evaluations/pledges/{pk(_closing(w))}/satisfaction",
        name="GET /evaluations/pledges/{id}/satisfaction",
        allowed=REVIEWERS,
        denied_403=["member", "group_leader", "supervisor"],
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    response = check(client, world, case, persona)
    if case.name == "POST /pledges/close-batch" and response.status_code == 200:
        (row,) = response.json()["items"]
        assert row["closed"] is (persona in REVIEWERS), (persona, row)
        if persona not in REVIEWERS:
            assert row["status"] in (403, 404), row
