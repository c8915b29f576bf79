"""Term pledges (任期承诺) and their review (回头看), issue 13 (002 "任期承诺回头看，我给书记提个醒"): cadres
pledge for their term across years, the branch's mid-term note goes through the lifecycle engine as an
event the board shows, villagers comment through the pledge's suggestion form, and the pledge stays on
the boards through every year of the term."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.db import pk
from app.core.errors import Conflict
from app.core.time import today_local
from app.notifications.models import Notification
from app.pledges import terms
from app.pledges.models import Pledge, PledgeEvent, PledgeKind, PledgeStatus
from app.pledges.rules import IN_YEAR
from app.pledges.states import TABLE, Action
from tests.boards.conftest import Maker, _fresh_process_state, board_path, make  # noqa: F401  (fixtures)
from tests.factories import World
from tests.matrix import Case, check, params
from tests.pledges.api import API, act, ok
from tests.pledges.factories import create_pledge


def _term_body(**extra: object) -> dict[str, object]:
    year = today_local().year
    return {
        "title": "任期内修通村组公路",
        "content": "三年内把三个村民小组的断头路全部修通。",
        "category": "post_duty",
        "kind": "term",
        "due_date": date(year + 2, 12, 31).isoformat(),
        **extra,
    }


def _published_term(client: TestClient, world: World, **extra: object) -> int:
    """The group leader's term pledge, vetted and published by the secretary through the API; by
    default begun 400 days ago (past a third of its term: 回头看 is open)."""
    extra.setdefault("term_start", (today_local() - timedelta(days=400)).isoformat())
    body = _term_body(**extra)
    created = ok(client.post(f"{API}/pledges", json=body, headers=world.group_leader.headers), 201)
    pid = int(created["id"])
    ok(act(client, world.group_leader, pid, "submit"))
    ok(act(client, world.secretary, pid, "approve"))
    ok(act(client, world.secretary, pid, "publish"))
    return pid


def test_a_cadre_pledges_for_the_term_and_others_may_not(client: TestClient, world: World) -> None:
    year = today_local().year
    body = ok(client.post(f"{API}/pledges", json=_term_body(), headers=world.secretary.headers), 201)
    assert (body["kind"], body["year"], body["term_start"]) == ("term", year, today_local().isoformat())
    assert body["due_date"] == f"{year + 2}-12-31"
    # a member without a branch role
    refused = client.post(f"{API}/pledges", json=_term_body(), headers=world.member.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "term_not_cadre")
    assert "任期承诺" in refused.json()["detail"]
    # within one year it is a year's pledge; past five years too long; a collective one is not a term's
    same_year = client.post(
        f"{API}/pledges", json=_term_body(due_date=f"{year}-12-31"), headers=world.secretary.headers
    )
    assert (same_year.status_code, same_year.json()["code"]) == (422, "invalid_term")
    assert same_year.json()["errors"][0]["field"] == "due_date"
    too_long = client.post(
        f"{API}/pledges", json=_term_body(due_date=f"{year + 6}-06-30"), headers=world.secretary.headers
    )
    assert too_long.status_code == 422
    # a year pledge still may not run past its year
    year_pledge = client.post(
        f"{API}/pledges",
        json={**_term_body(), "kind": "year"},
        headers=world.secretary.headers,
    )
    assert (year_pledge.status_code, year_pledge.json()["code"]) == (422, "invalid_due_date")


def test_the_branch_reviews_a_term_pledge_through_the_lifecycle(client: TestClient, world: World, db: Session) -> None:
    pid = _published_term(client, world)
    read = ok(client.get(f"{API}/pledges/{pid}", headers=world.secretary.headers))
    assert "review" in read["allowed_actions"]
    assert "review" not in ok(client.get(f"{API}/pledges/{pid}", headers=world.group_leader.headers))["allowed_actions"]
    # a reason is required
    missing = act(client, world.secretary, pid, "review")
    assert missing.status_code == 422
    assert "回头看意见" in missing.json()["detail"]
    note = "路基已完成两段，第三段要赶在雨季前开工。"
    done = ok(act(client, world.secretary, pid, "review", reason=note))
    assert done["status"] == "published"
    events = db.execute(
        select(col(PledgeEvent.action), col(PledgeEvent.reason)).where(col(PledgeEvent.pledge_id) == pid)
    ).all()
    assert ("review", note) in [(a, r) for a, r in events]
    # the owner is told
    told = db.execute(
        select(col(Notification.title)).where(
            col(Notification.account_id) == world.group_leader.account_id, col(Notification.kind) == "term_reviewed"
        )
    ).all()
    assert len(told) == 1
    # the owner may not review their own; the vocabulary names the action
    assert act(client, world.group_leader, pid, "review", reason="自己看").status_code == 403
    vocab = ok(client.get(f"{API}/pledges/vocabulary", headers=world.member.headers))
    assert vocab["actions"]["review"]["label"] == "回头看"


def test_a_year_pledge_has_no_review(client: TestClient, world: World, db: Session) -> None:
    pledge = create_pledge(db, unit=world.group, member_id=world.member.member_id, status=PledgeStatus.published)
    pid = pk(pledge)
    read = ok(client.get(f"{API}/pledges/{pid}", headers=world.secretary.headers))
    assert "review" not in read["allowed_actions"]
    refused = act(client, world.secretary, pid, "review", reason="看看")
    assert (refused.status_code, refused.json()["code"]) == (409, "review_not_term")
    assert TABLE.find(PledgeStatus.published, Action.review) is not None


def test_review_opens_after_a_third_of_the_term(client: TestClient, world: World) -> None:
    """回头看 is a mid-term review: not at the start of the term (409 with the day it opens), and the read
    says when it opens and closes, so the PWA shows what the server allows."""
    start, end = today_local(), date(today_local().year + 3, 6, 30)
    pid = _published_term(client, world, term_start=start.isoformat(), due_date=end.isoformat())
    read = ok(client.get(f"{API}/pledges/{pid}", headers=world.secretary.headers))
    opens = start + timedelta(days=-(-(end - start).days // 3))
    assert (read["review_opens_on"], read["review_closes_on"]) == (opens.isoformat(), end.isoformat())
    assert read["reviewed_at"] is None
    assert "review" not in read["allowed_actions"]
    early = act(client, world.secretary, pid, "review", reason="太早了")
    assert (early.status_code, early.json()["code"]) == (409, "review_too_early")
    assert opens.isoformat() in early.json()["detail"]
    assert "三分之一" in early.json()["detail"]


def test_one_review_a_term_unless_a_year_has_passed(client: TestClient, world: World) -> None:
    pid = _published_term(client, world)
    before = ok(client.get(f"{API}/pledges/{pid}", headers=world.secretary.headers))
    assert before["review_opens_on"] <= today_local().isoformat() <= before["review_closes_on"]
    done = ok(act(client, world.secretary, pid, "review", reason="过半：两段路基完成。"))
    assert done["reviewed_at"] is not None
    again_on = (today_local() + timedelta(days=365)).isoformat()
    after = ok(client.get(f"{API}/pledges/{pid}", headers=world.secretary.headers))
    assert after["review_opens_on"] == again_on
    assert "review" not in after["allowed_actions"]
    again = act(client, world.secretary, pid, "review", reason="再看一次")
    assert (again.status_code, again.json()["code"]) == (409, "review_done")
    assert again_on in again.json()["detail"]


def test_review_window_at_its_edges() -> None:
    """The rule on its own: a third of the term in, to the term's last day; a year after the last review;
    none for a year pledge or once no review fits."""
    pledge = Pledge(
        owner_kind="member",
        unit_id=1,
        branch_id=1,
        title="t",
        content="c",
        category="post_duty",
        year=2026,
        kind=PledgeKind.term,
        term_start=date(2026, 1, 1),
        due_date=date(2028, 12, 31),
    )
    window = terms.review_window(pledge)
    assert window == terms.ReviewWindow(date(2027, 1, 1), date(2028, 12, 31))
    with pytest.raises(Conflict) as early:
        terms.check_review(pledge, date(2026, 12, 31))
    assert early.value.code == "review_too_early"
    terms.check_review(pledge, date(2027, 1, 1))  # the first day it opens
    terms.check_review(pledge, date(2028, 12, 31))  # the term's last day
    with pytest.raises(Conflict) as over:
        terms.check_review(pledge, date(2029, 1, 1))
    assert over.value.code == "review_term_over"
    pledge.reviewed_at = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in China, 1 March
    assert terms.review_window(pledge) == terms.ReviewWindow(date(2028, 2, 29), date(2028, 12, 31))
    pledge.reviewed_at = datetime(2028, 6, 1, 2, 0, tzinfo=UTC)  # a year on is past the term
    assert terms.review_window(pledge) is None
    with pytest.raises(Conflict) as done:
        terms.check_review(pledge, date(2028, 7, 1))
    assert done.value.code == "review_done"
    assert not terms.offers_review(pledge, date(2028, 7, 1))
    pledge.kind = PledgeKind.year
    assert terms.review_window(pledge) is None


def test_a_term_pledge_stays_on_the_board_through_the_term(
    client: TestClient,
    world: World,
    db: Session,
    make: Maker,  # noqa: F811
) -> None:
    year = today_local().year
    term = create_pledge(
        db,
        unit=world.group,
        member_id=world.group_leader.member_id,
        status=PledgeStatus.published,
        title="任期内建成村级养老服务站",
        year=year - 1,
        due_date=date(year + 1, 6, 30),
        kind=PledgeKind.term,
        term_start=date(year - 1, 3, 1),
    )
    create_pledge(
        db,
        unit=world.group,
        member_id=world.member.member_id,
        status=PledgeStatus.published,
        title="去年的年度承诺",
        year=year - 1,
    )
    assert IN_YEAR(term, year)
    assert IN_YEAR(term, year - 1)
    assert IN_YEAR(term, year + 1)
    assert not IN_YEAR(term, year + 2)
    assert not IN_YEAR(term, year - 2)
    note = "过半：选址已定，资金到位一半。"
    ok(act(client, world.secretary, pk(term), "review", reason=note))
    board = make.board(unit=world.group)
    html = client.get(board_path(board)).text
    assert "任期内建成村级养老服务站" in html
    assert f"任期承诺：{year - 1}年3月至{year + 1}年6月" in html
    assert "去年的年度承诺" not in html  # a year's pledge of last year is on last year's board only
    page = client.get(f"{board_path(board)}/p/{pk(term)}").text
    assert "任期承诺回头看" in page
    assert note in page
    assert "给他提个醒" in page
    assert 'name="suggestion"' in page  # villagers comment through the pledge's own form
    # last year's board shows it too
    assert "任期内建成村级养老服务站" in client.get(f"{board_path(board)}?year={year - 1}").text
    # and the group leader counts as having pledged this year (coverage)
    status = ok(
        client.get(f"{API}/units/{pk(world.group)}/pledge-status?missing=pledge", headers=world.secretary.headers)
    )
    assert "组长" not in {r["name"] for r in status["items"]}


def _term_path(w: World) -> str:
    assert w.db is not None
    pledge = create_pledge(
        w.db,
        unit=w.group,
        member_id=w.group_leader.member_id,
        status=PledgeStatus.published,
        kind=PledgeKind.term,
        due_date=date(today_local().year + 2, 12, 31),
        term_start=date(today_local().year - 2, 1, 1),  # past a third of the term: 回头看 is open
    )
    return f"{API}/pledges/{pk(pledge)}/review"


CASES = [
    Case(
        "POST",
        _term_path,
        name="POST /pledges/{term}/review",
        allowed=["committee_admin", "secretary"],
        denied_403=["group_leader", "member", "supervisor"],
        body_factory=lambda w: {"reason": "回头看：进展正常"},
        headers_factory=lambda w: {"If-Match": '"4"'},
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
