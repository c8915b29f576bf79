"""Secretaries' side: the moderation queue, masking, public aggregates from 5 ratings, flagged ratings,
summaries, and the permission matrix of every endpoint."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.core import db as core_db
from app.core.time import utcnow
from app.evaluations import service as evaluations_service
from app.evaluations.models import PublicRating, RatingStatus, Satisfaction, Suggestion, SuggestionStatus
from app.org import service as org_service
from tests.boards.conftest import Committed, Maker, board_path, member_of
from tests.factories import World, create_member
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


REVIEWER_NUMBERS = [
    "138.1234.5678",
    "138_1234_5678",
    "138/1234/5678",
    "138—1234—5678",
    "138－1234－5678",
    "1 3 8 1 2 3 4 5 6 7 8",
    "110101 19900307 123X",
]


def _approve(client: TestClient, world: World, suggestion: Suggestion) -> None:
    r = client.post(
        f"/api/v1/evaluations/suggestions/{suggestion.id}/moderate",
        json={"approve": True},
        headers=world.secretary.headers,
    )
    assert r.status_code == 200, r.text


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text)


def test_numbers_in_any_shape_never_reach_a_public_page(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    """The reviewer's shapes of phone and ID numbers, in approved suggestions to a pledge (its page) and
    to the unit (the board): no digit sequence of them can be read back from the public HTML."""
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    board = make.board()
    for shape in REVIEWER_NUMBERS:
        _approve(client, world, _suggestion(make, f"有事请联系{shape}，谢谢", pledge_id=pid))
    _approve(client, world, _suggestion(make, "电话 " + "；".join(REVIEWER_NUMBERS)))

    pledge_html = client.get(f"{board_path(board)}/p/{pid}").text
    board_html = client.get(board_path(board)).text
    shown = re.findall(r'<p class="sg">(.*?) <span', pledge_html) + re.findall(r'<p class="sg">(.*?) <span', board_html)
    assert len(shown) == len(REVIEWER_NUMBERS) + 1
    for html in (pledge_html, board_html):
        for shape in REVIEWER_NUMBERS:
            assert shape not in html, shape
            assert _digits(shape) not in _digits(html), shape
    for text in shown:  # the hidden middles are gone, whatever separators were around them
        assert "1234" not in _digits(text), text
        assert "19900307" not in _digits(text), text
    assert pledge_html.count("138****5678") == 6
    assert "1****************X" in pledge_html


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


def test_pledge_pages_show_their_twenty_newest_suggestions_from_one_board_query(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    first = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    second = make.pledge(member=member_of(db, world.member), title="修路灯")
    board = make.board()
    now = utcnow()
    for i in range(22):
        s = _suggestion(make, f"第{i:02d}条建议", pledge_id=first)
        s.status, s.public_text, s.created_at = SuggestionStatus.approved, s.text, now - timedelta(minutes=60 - i)
    other = _suggestion(make, "给修路灯的建议", pledge_id=second)
    other.status, other.public_text = SuggestionStatus.approved, other.text
    db.flush()
    org_service.touch(db, [world.group.id])
    html = client.get(f"{board_path(board)}/p/{first}").text
    shown = re.findall(r"第(\d\d)条建议", html)
    assert shown == [f"{i:02d}" for i in range(21, 1, -1)]  # newest first, twenty of them
    assert "给修路灯的建议" not in html
    assert "给修路灯的建议" in client.get(f"{board_path(board)}/p/{second}").text


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
    page = client.get(f"{board_path(board)}/p/{pid}").text
    assert "群众满意度 80%（" in page
    assert "5 人评价：满意 3 · 基本满意 1 · 不满意 1）" in page


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
    assert m["satisfaction_score"] == pytest.approx(100 * (2 + 1) / 4, abs=0.1)  # (满意 + 基本满意) ÷ 人数


def test_summaries_count_in_sql_and_list_pledges_with_suggestions_only(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    """`suggestions` counts approved suggestions, `suggestions_pending` the queue; rejected ones count
    nowhere; a pledge with suggestions and no rating is listed with its member."""
    rated = make.pledge(member=member_of(db, world.member), title="承诺甲")
    suggested = make.pledge(member=member_of(db, world.group_leader), title="承诺乙")
    rejected_only = make.pledge(unit=world.group, title="集体承诺")
    _rate_many(make, rated, [Satisfaction.satisfied, Satisfaction.satisfied, Satisfaction.unsatisfied])
    _approve(client, world, _suggestion(make, "很好", pledge_id=suggested))
    _suggestion(make, "还在排队", pledge_id=suggested)
    rejected = _suggestion(make, "广告", pledge_id=rejected_only)
    client.post(
        f"/api/v1/evaluations/suggestions/{rejected.id}/moderate",
        json={"approve": False},
        headers=world.secretary.headers,
    )
    _suggestion(make, "给组里的建议")  # to the unit, not to a pledge

    url = "/api/v1/evaluations/summary/pledges"
    body = client.get(url, params={"unit_id": world.group.id}, headers=world.secretary.headers).json()
    assert body["total"] == 2
    first, second = body["items"]
    assert first["pledge_id"] == rated
    assert first["member_id"] == world.member.member_id
    assert (first["satisfied"], first["basic"], first["unsatisfied"], first["total"]) == (2, 0, 1, 3)
    assert (first["suggestions"], first["suggestions_pending"]) == (0, 0)
    assert second["pledge_id"] == suggested
    assert second["member_id"] == world.group_leader.member_id
    assert (second["total"], second["flagged"], second["suggestions"], second["suggestions_pending"]) == (0, 0, 1, 1)

    page2 = client.get(url, params={"size": 1, "page": 2}, headers=world.secretary.headers).json()
    assert (page2["total"], page2["pages"], [i["pledge_id"] for i in page2["items"]]) == (2, 2, [suggested])
    last_year = f"{int(evaluations_service.period_of()[:4]) - 1}Q4"
    quiet = client.get(url, params={"period": last_year}, headers=world.secretary.headers).json()
    assert quiet["total"] == 0  # nothing rated or suggested in that quarter
    now = client.get(url, params={"period": evaluations_service.period_of()}, headers=world.secretary.headers)
    assert now.json()["total"] == 2


def test_summary_statements_do_not_grow_with_page_size(
    client: TestClient, db: Session, world: World, make: Maker, query_counter: list[str]
) -> None:
    for i in range(6):
        member = create_member(db, branch=world.branch, group=world.group, name=f"党员{i}")
        pid = make.pledge(member=member, title=f"承诺{i}")
        for d in range(2):
            evaluations_service.rate(
                db,
                pledge=evaluations_service.pledge_ref(db, pid),
                choice=Satisfaction.basic,
                device_hash=f"dev{d}",
                ip_hash="ip",
            )
    for path in ("/api/v1/evaluations/summary/pledges", "/api/v1/evaluations/summary/members"):
        counts = []
        for size in (1, 6):
            query_counter.clear()
            r = client.get(path, params={"size": size}, headers=world.secretary.headers)
            assert r.status_code == 200, r.text
            assert len(r.json()["items"]) == size
            assert r.json()["total"] == 6
            counts.append(len(query_counter))
        assert counts[0] == counts[1], (path, counts)
    members = client.get(path, headers=world.secretary.headers).json()["items"]
    # the one formula (evaluations.formula): 基本满意 counts as satisfied
    assert {(m["pledges"], m["basic"], m["total"], m["satisfaction_score"]) for m in members} == {(1, 2, 2, 100.0)}


def test_rating_again_replaces_and_a_discarded_one_goes_back_to_review(db: Session, world: World, make: Maker) -> None:
    pid = make.pledge(member=member_of(db, world.member))
    ref = evaluations_service.pledge_ref(db, pid)
    first, replaced = evaluations_service.rate(
        db, pledge=ref, choice=Satisfaction.satisfied, device_hash="x", ip_hash="a"
    )
    assert not replaced
    assert first.status == RatingStatus.counted
    first.status = RatingStatus.discarded
    db.flush()
    again, replaced = evaluations_service.rate(
        db, pledge=ref, choice=Satisfaction.unsatisfied, device_hash="x", ip_hash="b"
    )
    assert replaced
    assert again.id == first.id
    assert (again.choice, again.status, again.ip_hash) == (Satisfaction.unsatisfied, RatingStatus.flagged, "b")


def test_a_double_tap_from_one_device_stores_one_rating(committed: Committed) -> None:
    """Two submits from one device at the same moment, each in its own committed transaction (two
    threads): both succeed and one rating is kept. Check-then-insert made the second one a 500 on
    PostgreSQL (the unique key on pledge, device and period)."""
    with committed.session() as session:
        ref = evaluations_service.pledge_ref(session, committed.pledge_id)
    errors: list[BaseException] = []
    rounds = 8
    for n in range(rounds):
        start = threading.Barrier(2)

        def tap(choice: Satisfaction, n: int = n, start: threading.Barrier = start) -> None:
            try:
                with core_db.new_session() as session:
                    start.wait(10)
                    evaluations_service.rate(session, pledge=ref, choice=choice, device_hash=f"tap-{n}", ip_hash="ip")
                    session.commit()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=tap, args=(c,)) for c in (Satisfaction.satisfied, Satisfaction.basic)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert errors == []
    with committed.session() as session:
        rows = session.execute(select(PublicRating)).scalars().all()
    assert len(rows) == rounds
    assert {r.device_hash for r in rows} == {f"tap-{n}" for n in range(rounds)}


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
