"""Secretaries' side: the moderation queue, masking, public aggregates from 5 ratings, flagged ratings,
summaries, and the permission matrix of every endpoint."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.evaluations import service as evaluations_service
from app.evaluations.models import PublicRating, RatingStatus, Satisfaction, Suggestion
from tests.boards.conftest import Maker, board_path, member_of
from tests.factories import World
from tests.matrix import Case, check, params


def _ref(make: Maker, pledge_id: int) -> evaluations_service.PledgeRef:
    member = member_of(make.db, make.world.member)
    return evaluations_service.PledgeRef(
        id=pledge_id, branch_id=make.world.branch.id or 0, unit_id=make.world.group.id or 0, member_id=member.id
    )


def _rate_many(make: Maker, pledge_id: int, choices: list[Satisfaction]) -> None:
    for i, choice in enumerate(choices):
        evaluations_service.rate(
            make.db, pledge=_ref(make, pledge_id), choice=choice, device_hash=f"d{i}", ip_hash="ip"
        )


def _suggestion(make: Maker, text: str, pledge_id: int | None = None) -> Suggestion:
    return evaluations_service.suggest(
        make.db,
        unit_id=make.world.group.id or 0,
        branch_id=make.world.branch.id or 0,
        pledge_id=pledge_id,
        text=text,
        device_hash="d",
        ip_hash="ip",
    )


def test_mask_personal_numbers() -> None:
    mask = evaluations_service.mask_personal
    assert mask("电话13812345678") == "电话138****5678"
    assert mask("电话 138-1234-5678 找我") == "电话 138****5678 找我"
    assert mask("身份证340822198001011234") == "身份证340*************34"
    assert mask("身份证34082219800101123X") == "身份证340*************3X"
    assert mask("手机１３９８８８８９９９９") == "手机139****9999"
    assert mask("座机 05561234567") == "座机 05*******67"
    assert mask("修3盏路灯，花了200元") == "修3盏路灯，花了200元"


def test_approve_publishes_masked_suggestion(client: TestClient, db: Session, world: World, make: Maker) -> None:
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    board = make.board()
    to_unit = _suggestion(make, "路灯坏了好几天，请联系13812345678")
    to_pledge = _suggestion(make, "老人们很感谢", pledge_id=pid)
    rejected = _suggestion(make, "广告内容")
    before = client.get(board_path(board)).headers["etag"]

    queue = client.get("/api/v1/evaluations/suggestions", headers=world.secretary.headers)
    assert queue.status_code == 200
    assert queue.json()["total"] == 3
    assert queue.json()["items"][0]["text"] == "路灯坏了好几天，请联系13812345678"  # the raw text, oldest first

    for s, approve in ((to_unit, True), (to_pledge, True), (rejected, False)):
        r = client.post(
            f"/api/v1/evaluations/suggestions/{s.id}/moderate",
            json={"approve": approve},
            headers=world.secretary.headers,
        )
        assert r.status_code == 200, r.text
    assert client.get("/api/v1/evaluations/suggestions", headers=world.secretary.headers).json()["total"] == 0

    page = client.get(board_path(board))
    assert page.headers["etag"] != before  # moderation bumps the content version
    assert "路灯坏了好几天，请联系138****5678" in page.text
    assert "13812345678" not in page.text
    assert "广告内容" not in page.text
    pledge_page = client.get(f"{board_path(board)}/p/{pid}")
    assert "老人们很感谢" in pledge_page.text


def test_aggregates_public_only_from_five_ratings(client: TestClient, db: Session, world: World, make: Maker) -> None:
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    board = make.board()
    _rate_many(make, pid, [Satisfaction.satisfied] * 3 + [Satisfaction.basic])
    assert "群众满意度" not in client.get(board_path(board)).text
    assert "评价满 5 人后公布满意度" in client.get(f"{board_path(board)}/p/{pid}").text
    evaluations_service.rate(
        db, pledge=_ref(make, pid), choice=Satisfaction.unsatisfied, device_hash="d-last", ip_hash="ip"
    )
    html = client.get(board_path(board)).text
    assert "群众满意度 80%（5 人评价）" in html
    assert "群众满意度 80%（满意 3 · 基本满意 1 · 不满意 1）" in client.get(f"{board_path(board)}/p/{pid}").text


def test_flagged_ratings_reviewed_and_summaries(client: TestClient, db: Session, world: World, make: Maker) -> None:
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    _rate_many(make, pid, [Satisfaction.satisfied, Satisfaction.basic, Satisfaction.unsatisfied])
    flagged = PublicRating(
        pledge_id=pid,
        branch_id=world.branch.id,
        unit_id=world.group.id,
        member_id=world.member.member_id,
        period=evaluations_service.period_of(),
        choice=Satisfaction.satisfied,
        status=RatingStatus.flagged,
        device_hash="burst",
        ip_hash="ip",
    )
    db.add(flagged)
    db.flush()
    listed = client.get("/api/v1/evaluations/ratings", headers=world.secretary.headers).json()
    assert [r["id"] for r in listed["items"]] == [flagged.id]

    summary = client.get("/api/v1/evaluations/summary/pledges", headers=world.secretary.headers).json()
    (row,) = summary["items"]
    assert (row["pledge_id"], row["total"], row["flagged"]) == (pid, 3, 1)

    r = client.post(
        f"/api/v1/evaluations/ratings/{flagged.id}/review", json={"accept": True}, headers=world.secretary.headers
    )
    assert r.status_code == 200
    assert r.json()["status"] == "counted"
    again = client.post(
        f"/api/v1/evaluations/ratings/{flagged.id}/review", json={"accept": True}, headers=world.secretary.headers
    )
    assert again.status_code == 409
    members = client.get(
        "/api/v1/evaluations/summary/members",
        params={"period": evaluations_service.period_of()},
        headers=world.secretary.headers,
    ).json()
    (m,) = members["items"]
    assert m["member_id"] == world.member.member_id
    assert (m["satisfied"], m["basic"], m["unsatisfied"], m["total"]) == (2, 1, 1, 4)
    assert m["satisfaction_score"] == pytest.approx((200 + 60) / 4, abs=0.1)


def _suggestion_id(w: World) -> int:
    assert w.db is not None
    maker = Maker(db=w.db, world=w)
    return _suggestion(maker, "请修路").id or 0


def _flagged_id(w: World) -> int:
    assert w.db is not None
    maker = Maker(db=w.db, world=w)
    pid = maker.pledge(member=member_of(w.db, w.member))
    rating, _ = evaluations_service.rate(
        w.db, pledge=_ref(maker, pid), choice=Satisfaction.basic, device_hash="x", ip_hash="y"
    )
    rating.status = RatingStatus.flagged
    w.db.flush()
    return rating.id or 0


_MODERATORS = ["secretary", "committee_admin"]
_READERS = ["group_leader", "member", "supervisor"]
CASES = [
    Case("GET", lambda w: "/api/v1/evaluations/suggestions", name="GET /evaluations/suggestions",
         allowed=[*_MODERATORS, "outsider"], denied_403=_READERS, hidden_404=()),
    Case("GET", lambda w: f"/api/v1/evaluations/suggestions?unit_id={w.branch.id}",
         name="GET /evaluations/suggestions?unit_id", allowed=_MODERATORS, denied_403=_READERS),
    Case("POST", lambda w: f"/api/v1/evaluations/suggestions/{_suggestion_id(w)}/moderate",
         name="POST /evaluations/suggestions/{id}/moderate", allowed=_MODERATORS, denied_403=_READERS,
         body_factory=lambda w: {"approve": True}),
    Case("GET", lambda w: f"/api/v1/evaluations/ratings?unit_id={w.branch.id}", name="GET /evaluations/ratings",
         allowed=_MODERATORS, denied_403=_READERS),
    Case("POST", lambda w: f"/api/v1/evaluations/ratings/{_flagged_id(w)}/review",
         name="POST /evaluations/ratings/{id}/review", allowed=_MODERATORS, denied_403=_READERS,
         body_factory=lambda w: {"accept": False}),
    Case("GET", lambda w: f"/api/v1/evaluations/summary/pledges?unit_id={w.group.id}",
         name="GET /evaluations/summary/pledges", allowed=_MODERATORS, denied_403=_READERS),
    Case("GET", lambda w: f"/api/v1/evaluations/summary/members?unit_id={w.branch.id}",
         name="GET /evaluations/summary/members", allowed=_MODERATORS, denied_403=_READERS),
]  # fmt: skip


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
