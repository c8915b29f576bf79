"""自评 and 党员互评: who may review whom and when, replacing a score, secrecy (the reviewed member,
the secretary and the public never read a score), the secretary's counts, and 人情分 flags."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.members.models import Member, MemberStatus
from app.ratings import reviews
from app.ratings.models import PeerFlag, PeerReview, RatingPeriod
from app.ratings.rules import PolicyRules
from app.ratings.states import Action
from tests.factories import Persona, World
from tests.ratings.core_factories import API, headers, move, open_period


def _put(client: TestClient, who: Persona, period: RatingPeriod, whom: int | None, value: int) -> Any:
    return client.put(
        f"{API}/rating-periods/{period.id}/peer-reviews/{whom}", json={"value": value}, headers=who.headers
    )


def _reviews(db: Session, period: RatingPeriod) -> list[tuple[int, int, int]]:
    db.expire_all()
    rows = db.execute(
        select(col(PeerReview.reviewer_member_id), col(PeerReview.reviewee_member_id), col(PeerReview.score))
        .where(col(PeerReview.period_id) == period.id)
        .order_by(col(PeerReview.id))
    ).all()
    return [(int(a), int(b), int(c)) for a, b, c in rows]


def test_a_member_reviews_every_peer_once_and_may_change_it(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    sheet = client.get(f"{API}/rating-periods/{period.id}/peer-reviews/mine", headers=world.member.headers)
    assert sheet.status_code == 200, sheet.text
    body = sheet.json()
    assert body["scale"] == "stars"
    assert body["open"] is True
    assert {p["name"] for p in body["peers"]} == {"书记", "组长", "监督员"}  # not themself, not other branches
    assert (body["given"], body["expected"]) == (0, 3)
    r = _put(client, world.member, period, world.secretary.member_id, 4)
    assert r.status_code == 200
    assert r.json() == {"period_id": period.id, "given": 1, "expected": 3}
    r = _put(client, world.member, period, world.secretary.member_id, 5)  # a second submit replaces
    assert r.json()["given"] == 1
    assert _reviews(db, period) == [(world.member.member_id, world.secretary.member_id, 100)]
    batch = client.post(
        f"{API}/rating-periods/{period.id}/peer-reviews",
        json={
            "reviews": [
                {"member_id": world.group_leader.member_id, "value": 3},
                {"member_id": world.supervisor.member_id, "value": 1},
            ]
        },
        headers=headers(world.member, **{"Idempotency-Key": "rv-1"}),
    )
    assert batch.status_code == 200
    assert batch.json()["given"] == 3
    scores = {b: s for _a, b, s in _reviews(db, period)}
    assert scores == {world.secretary.member_id: 100, world.group_leader.member_id: 50, world.supervisor.member_id: 0}
    mine = client.get(f"{API}/rating-periods/{period.id}/peer-reviews/mine", headers=world.member.headers).json()
    assert {p["name"]: p["value"] for p in mine["peers"]} == {"书记": 5, "组长": 3, "监督员": 1}  # what I tapped


def test_nobody_reviews_themself(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    r = _put(client, world.member, period, world.member.member_id, 5)
    assert r.status_code == 403
    assert r.json()["code"] == "review_self"
    assert _reviews(db, period) == []


def test_nobody_reviews_outside_their_branch(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    r = _put(client, world.member, period, world.outsider.member_id, 5)
    assert r.status_code == 404
    assert r.json()["code"] == "review_not_peer"
    r = _put(client, world.outsider, period, world.member.member_id, 5)
    assert r.status_code == 404
    # a batch with one stranger saves nothing
    r = client.post(
        f"{API}/rating-periods/{period.id}/peer-reviews",
        json={
            "reviews": [
                {"member_id": world.secretary.member_id, "value": 4},
                {"member_id": world.outsider.member_id, "value": 4},
            ]
        },
        headers=world.member.headers,
    )
    assert r.status_code == 404
    assert _reviews(db, period) == []


def test_an_inactive_member_neither_reviews_nor_is_reviewed(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    gone = db.get(Member, world.supervisor.member_id)
    assert gone is not None
    gone.status = MemberStatus.moved
    db.add(gone)
    db.flush()
    assert _put(client, world.member, period, world.supervisor.member_id, 4).status_code == 404
    sheet = client.get(f"{API}/rating-periods/{period.id}/peer-reviews/mine", headers=world.member.headers).json()
    assert sheet["expected"] == 2


def test_no_review_before_or_after_the_open_step(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    assert _put(client, world.member, period, world.secretary.member_id, 4).status_code == 200
    move(db, period, Action.close_reviews)
    r = _put(client, world.member, period, world.secretary.member_id, 2)
    assert r.status_code == 409
    assert r.json()["code"] == "rating_period_wrong_state"
    r = client.put(
        f"{API}/rating-periods/{period.id}/self-statement", json={"text": "晚了"}, headers=world.member.headers
    )
    assert r.status_code == 409
    assert _reviews(db, period) == [(world.member.member_id, world.secretary.member_id, 75)]
    sheet = client.get(f"{API}/rating-periods/{period.id}/peer-reviews/mine", headers=world.member.headers).json()
    assert sheet["open"] is False


def test_stars_and_points_scales(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    assert _put(client, world.member, period, world.secretary.member_id, 0).status_code == 422
    assert _put(client, world.member, period, world.secretary.member_id, 6).status_code == 422
    points = open_period(db, world, quarter=4)
    points.policy_snapshot = PolicyRules(peer_scale="points").model_dump(mode="json")
    db.add(points)
    db.flush()
    assert _put(client, world.member, points, world.secretary.member_id, 87).status_code == 200
    assert _reviews(db, points) == [(world.member.member_id, world.secretary.member_id, 87)]


def test_self_statement(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    url = f"{API}/rating-periods/{period.id}/self-statement"
    assert client.get(url, headers=world.member.headers).status_code == 404
    assert client.put(url, json={"text": "字" * 301}, headers=world.member.headers).status_code == 422
    r = client.put(url, json={"text": "本季度带头清扫道路，帮扶两户困难群众。"}, headers=world.member.headers)
    assert r.status_code == 200
    r = client.put(url, json={"text": "改过的自评"}, headers=world.member.headers)
    assert client.get(url, headers=world.member.headers).json()["text"] == "改过的自评"
    # peers see it while reviewing
    sheet = client.get(f"{API}/rating-periods/{period.id}/peer-reviews/mine", headers=world.secretary.headers).json()
    assert {p["name"]: p["statement"] for p in sheet["peers"]}["党员甲"] == "改过的自评"
    assert (
        client.put(url, json={"text": "外支部"}, headers=world.committee_admin.headers).status_code == 200
    )  # 机关党支部


def test_reviews_are_never_read_back_by_the_reviewed_or_the_secretary(
    client: TestClient, world: World, db: Session
) -> None:
    period = open_period(db, world)
    _put(client, world.secretary, period, world.member.member_id, 1)
    _put(client, world.group_leader, period, world.member.member_id, 2)
    # the reviewed member's own sheet shows only what they gave
    sheet = client.get(f"{API}/rating-periods/{period.id}/peer-reviews/mine", headers=world.member.headers).json()
    assert all(p["value"] is None for p in sheet["peers"])
    # the secretary sees counts, never a score
    prog = client.get(
        f"{API}/rating-periods/{period.id}/peer-reviews/progress?branch_id={world.branch.id}",
        headers=world.secretary.headers,
    )
    assert prog.status_code == 200
    rows = {m["name"]: m for m in prog.json()["items"]}
    assert rows["书记"] == {
        "member_id": world.secretary.member_id,
        "name": "书记",
        "given": 1,
        "expected": 3,
        "done": False,
        "statement_written": False,
    }
    text = prog.text
    assert "score" not in text
    assert "value" not in text
    # nobody else reads the progress; every response about reviews is free of scores
    assert (
        client.get(
            f"{API}/rating-periods/{period.id}/peer-reviews/progress?branch_id={world.branch.id}",
            headers=world.member.headers,
        ).status_code
        == 403
    )
    assert (
        client.get(
            f"{API}/rating-periods/{period.id}/peer-reviews/progress?branch_id={world.branch.id}",
            headers=world.outsider.headers,
        ).status_code
        == 404
    )
    # and the public has no way in
    assert client.get(f"{API}/rating-periods/{period.id}/peer-reviews/mine").status_code == 401


def _score_all(db: Session, period: RatingPeriod, reviewer: int, scores: dict[int, int]) -> None:
    for reviewee, score in scores.items():
        db.add(
            PeerReview(
                period_id=period.id or 0,
                branch_id=0,
                reviewer_member_id=reviewer,
                reviewee_member_id=reviewee,
                score=score,
            )
        )


def test_flags_uniform_and_mutual_top(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    sec, lead, mem, sup = (
        p.member_id or 0 for p in (world.secretary, world.group_leader, world.member, world.supervisor)
    )
    values = {
        mem: {sec: 75, lead: 75, sup: 75},  # uniform
        sec: {lead: 100, mem: 50, sup: 75},  # sec and lead: mutual top, others less
        lead: {sec: 100, mem: 25, sup: 50},
        sup: {sec: 100, lead: 100, mem: 100},  # uniform as well (and tops, but to everyone)
    }
    for reviewer, scores in values.items():
        reviews.save_reviews(
            db,
            actor=_as(db, reviewer),
            period=period,
            period_unit=world.town,
            values={k: _stars(v) for k, v in scores.items()},
        )
    move(db, period, Action.close_reviews)
    flags = db.execute(select(PeerFlag).where(col(PeerFlag.period_id) == period.id)).scalars().all()
    found = {(f.kind, f.reviewer_member_id, f.partner_member_id) for f in flags}
    assert found == {
        ("uniform", mem, None),
        ("uniform", sup, None),
        ("mutual_top", sec, lead),
        ("mutual_top", lead, sec),
    }
    listed = client.get(
        f"{API}/rating-periods/{period.id}/peer-flags?branch_id={world.branch.id}", headers=world.secretary.headers
    ).json()
    assert listed["total"] == 4
    assert all("75" not in f["detail"] for f in listed["items"])  # a flag says who, never the scores
    # the secretary may not decide about a flag on themself; the committee may
    mutual = next(f for f in listed["items"] if f["reviewer_member_id"] == sec)
    own = client.post(
        f"{API}/rating-periods/{period.id}/peer-flags/{mutual['id']}/discard",
        json={"reason": "x"},
        headers=world.secretary.headers,
    )
    assert own.status_code == 403
    uniform = next(f for f in listed["items"] if f["reviewer_member_id"] == mem)
    r = client.post(
        f"{API}/rating-periods/{period.id}/peer-flags/{uniform['id']}/discard",
        json={"reason": "全部打同样的分，不计入"},
        headers=world.secretary.headers,
    )
    assert r.status_code == 200
    assert r.json()["discard_reason"] == "全部打同样的分，不计入"
    counted = db.execute(
        select(func.count()).where(col(PeerReview.period_id) == period.id, col(PeerReview.discarded_at).is_(None))
    ).scalar_one()
    assert counted == 9  # the uniform reviewer's three reviews are not counted
    again = client.post(
        f"{API}/rating-periods/{period.id}/peer-flags/{uniform['id']}/discard",
        json={"reason": "再次"},
        headers=world.secretary.headers,
    )
    assert again.status_code == 409
    r = client.post(
        f"{API}/rating-periods/{period.id}/peer-flags/{mutual['id']}/discard",
        json={"reason": "互打满分"},
        headers=world.committee_admin.headers,
    )
    assert r.status_code == 200
    counted = db.execute(
        select(func.count()).where(col(PeerReview.period_id) == period.id, col(PeerReview.discarded_at).is_(None))
    ).scalar_one()
    assert counted == 8
    # back to open and closed again: decisions on flags still found are kept
    move(db, period, Action.back_to_reviews, Action.close_reviews)
    kept = db.execute(
        select(func.count()).where(col(PeerFlag.period_id) == period.id, col(PeerFlag.discarded_at).is_not(None))
    ).scalar_one()
    assert kept == 2


def _stars(score: int) -> int:
    return {0: 1, 25: 2, 50: 3, 75: 4, 100: 5}[score]


def _as(db: Session, member_id: int) -> Any:
    from app.org import service as org_service

    member = db.get(Member, member_id)
    assert member is not None
    assert member.account_id is not None
    return org_service.actor_for(db, member.account_id)
