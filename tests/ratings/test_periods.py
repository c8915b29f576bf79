"""Rating periods through the API: creating, editing, the lifecycle's own actions (one event each,
going back needs a reason), the frozen policy, the history and the branches' progress."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core.permissions import SYSTEM
from app.ratings import policy
from app.ratings.models import PeriodStatus, RatingBranchStatus, RatingPeriodEvent
from app.ratings.rules import PolicyRules, Weights
from app.ratings.states import Action
from tests.factories import World
from tests.ratings.core_factories import API, act, headers, move, new_period, open_period


def _events(db: Session, period_id: int) -> int:
    return int(db.execute(select(func.count()).where(col(RatingPeriodEvent.period_id) == period_id)).scalar_one())


def test_create_a_quarter_with_default_dates_and_title(client: TestClient, world: World) -> None:
    r = client.post(
        f"{API}/rating-periods",
        json={"unit_id": world.town.id, "kind": "quarter", "year": 2026, "quarter": 3},
        headers=headers(world.committee_admin, **{"Idempotency-Key": "p-1"}),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["title"] == "2026年第三季度"
    assert (body["starts_on"], body["ends_on"]) == ("2026-07-01", "2026-09-30")
    assert body["status"] == "draft"
    assert body["status_label"] == "草稿"
    assert r.headers["ETag"] == '"1"'
    assert "open" in body["allowed_actions"]
    again = client.post(
        f"{API}/rating-periods",
        json={"unit_id": world.town.id, "kind": "quarter", "year": 2026, "quarter": 3},
        headers=headers(world.committee_admin, **{"Idempotency-Key": "p-1"}),
    )
    assert again.status_code == 201
    assert again.json()["id"] == body["id"]
    dup = client.post(
        f"{API}/rating-periods",
        json={"unit_id": world.town.id, "kind": "quarter", "year": 2026, "quarter": 3},
        headers=headers(world.committee_admin),
    )
    assert dup.status_code == 409
    assert dup.json()["code"] == "rating_period_exists"
    year = client.post(
        f"{API}/rating-periods",
        json={"unit_id": world.town.id, "kind": "year", "year": 2026},
        headers=headers(world.committee_admin),
    )
    assert year.status_code == 201
    assert year.json()["title"] == "2026年度"
    assert year.json()["ends_on"] == "2026-12-31"


def test_quarter_and_dates_are_checked_in_chinese(client: TestClient, world: World) -> None:
    base = {"unit_id": world.town.id, "kind": "quarter", "year": 2026}
    r = client.post(f"{API}/rating-periods", json=base, headers=headers(world.committee_admin))
    assert r.status_code == 422
    assert "季度" in r.json()["detail"]
    r = client.post(
        f"{API}/rating-periods",
        json={**base, "quarter": 1, "review_due": "2026-03-20", "assessment_due": "2026-03-10"},
        headers=headers(world.committee_admin),
    )
    assert r.status_code == 422
    assert "组织考评截止日不能早于自评互评截止日" in r.json()["detail"]
    r = client.post(
        f"{API}/rating-periods", json={**base, "kind": "year", "quarter": 2}, headers=headers(world.committee_admin)
    )
    assert r.status_code == 422


def test_only_the_committee_creates_periods(client: TestClient, world: World) -> None:
    body = {"unit_id": world.town.id, "kind": "quarter", "year": 2026, "quarter": 2}
    assert client.post(f"{API}/rating-periods", json=body, headers=headers(world.secretary)).status_code == 404
    branch = {**body, "unit_id": world.branch.id}
    assert client.post(f"{API}/rating-periods", json=branch, headers=headers(world.secretary)).status_code == 403
    assert client.post(f"{API}/rating-periods", json=branch, headers=headers(world.outsider)).status_code == 404


def test_lifecycle_events_versions_and_reasons(client: TestClient, world: World, db: Session) -> None:
    period = new_period(db, world)
    pid = period.id or 0
    assert _events(db, pid) == 1  # create
    admin = world.committee_admin
    r = act(client, admin, pid, "open", 1)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "open"
    assert r.headers["ETag"] == '"2"'
    assert _events(db, pid) == 2
    # stale If-Match, missing If-Match
    assert act(client, admin, pid, "close_reviews", 1).status_code == 412
    no_match = client.post(f"{API}/rating-periods/{pid}/close_reviews", headers=admin.headers)
    assert no_match.status_code == 428
    # going back needs a reason
    r = act(client, admin, pid, "reopen", 2)
    assert r.status_code == 422
    assert r.json()["code"] == "reason_required"
    assert _events(db, pid) == 2
    assert act(client, admin, pid, "reopen", 2, reason="日期定错了").status_code == 200
    assert act(client, admin, pid, "open", 3).status_code == 200
    assert act(client, admin, pid, "close_reviews", 4).status_code == 200
    # not from this state
    r = act(client, admin, pid, "close_reviews", 5)
    assert r.status_code == 409
    assert r.json()["code"] == "rating_period_wrong_state"
    assert act(client, admin, pid, "back_to_reviews", 5, reason="还有人没评").status_code == 200
    events = client.get(f"{API}/rating-periods/{pid}/events", headers=admin.headers).json()
    assert [e["action"] for e in events["items"]] == [
        "create",
        "open",
        "reopen",
        "open",
        "close_reviews",
        "back_to_reviews",
    ]
    assert events["items"][2]["reason"] == "日期定错了"
    assert events["items"][1]["actor_name"] == "管委员"
    # a secretary may not move the period
    assert act(client, world.secretary, pid, "close_reviews", 6).status_code == 403


def test_opening_freezes_the_policy_and_makes_branch_rows(client: TestClient, world: World, db: Session) -> None:
    rules = PolicyRules(weights=Weights(peer=30, villager=30, assessment=40))
    policy.set_policy(db, actor=SYSTEM, unit=world.town, rules=rules, expected_version=None)
    period = open_period(db, world)
    assert period.policy_snapshot is not None
    assert period.policy_snapshot["weights"]["peer"] == 30
    assert period.policy_unit_id == world.town.id
    # a later change of the policy does not touch the open period
    changed = PolicyRules(weights=Weights(peer=50, villager=10, assessment=40))
    policy.set_policy(db, actor=SYSTEM, unit=world.town, rules=changed, expected_version=1)
    r = client.get(f"{API}/rating-periods/{period.id}", headers=world.committee_admin.headers)
    assert r.json()["policy"]["weights"]["peer"] == 30
    rows = db.execute(select(func.count()).where(col(RatingBranchStatus.period_id) == period.id)).scalar_one()
    assert rows == 3  # 大洼社区, 花车村, 机关


def test_editing_a_period(client: TestClient, world: World, db: Session) -> None:
    period = new_period(db, world)
    pid = period.id
    admin = world.committee_admin
    r = client.patch(
        f"{API}/rating-periods/{pid}",
        json={"title": "三季度测评", "review_due": "2026-09-20"},
        headers=headers(admin, 1),
    )
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "三季度测评"
    assert r.json()["version"] == 2
    move(db, period, Action.open)
    r = client.patch(f"{API}/rating-periods/{pid}", json={"title": "改名"}, headers=headers(admin, period.version))
    assert r.status_code == 409
    r = client.patch(
        f"{API}/rating-periods/{pid}", json={"review_due": "2026-09-25"}, headers=headers(admin, period.version)
    )
    assert r.status_code == 200
    assert r.json()["review_due"] == "2026-09-25"


def test_members_see_the_period_they_take_part_in(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    for persona in (world.member, world.secretary, world.outsider, world.committee_admin):
        r = client.get(f"{API}/rating-periods/{period.id}", headers=persona.headers)
        assert r.status_code == 200, persona.label
        assert r.json()["allowed_actions"] == (
            [] if persona is not world.committee_admin else r.json()["allowed_actions"]
        )
    listed = client.get(f"{API}/rating-periods", headers=world.member.headers).json()
    assert [p["id"] for p in listed["items"]] == [period.id]


def test_progress_counts_and_late_branches(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world, review_due=date(2026, 7, 10))
    r = client.get(f"{API}/rating-periods/{period.id}/branches", headers=world.committee_admin.headers)
    assert r.status_code == 200
    rows = {row["branch_name"]: row for row in r.json()["items"]}
    assert rows["大洼社区党支部"]["members"] == 4
    assert rows["大洼社区党支部"]["reviews_expected"] == 12
    assert rows["大洼社区党支部"]["late"] == ["自评互评"]  # the deadline has passed, nobody reviewed
    mine = client.get(f"{API}/rating-periods/{period.id}/branches", headers=world.secretary.headers).json()
    assert [row["branch_name"] for row in mine["items"]] == ["大洼社区党支部"]
    late = client.get(f"{API}/rating-periods/{period.id}/branches?late=true", headers=world.committee_admin.headers)
    assert [row["branch_name"] for row in late.json()["items"]] == [
        "大洼社区党支部"
    ]  # one-member branches: nothing to review
    assert client.get(f"{API}/rating-periods/{period.id}/branches", headers=world.member.headers).status_code == 403


def test_period_status_never_leaves_the_table(db: Session, world: World) -> None:
    period = open_period(db, world)
    assert period.status == PeriodStatus.open


def test_unapprove_reopens_changes_until_a_branch_is_published(client: TestClient, world: World, db: Session) -> None:
    period = move(db, new_period(db, world), Action.open, Action.close_reviews, Action.compute, Action.approve)
    admin = world.committee_admin
    r = client.get(f"{API}/rating-periods/{period.id}", headers=admin.headers)
    assert "publish" in r.json()["allowed_actions"]
    assert act(client, admin, period.id or 0, "unapprove", period.version).status_code == 422
    r = act(client, admin, period.id or 0, "unapprove", period.version, reason="星级需要调整")
    assert r.status_code == 200
    assert r.json()["status"] == "computed"
    assert "compute" in r.json()["allowed_actions"]  # recompute goes through the one compute route
    assert "recompute" not in r.json()["allowed_actions"]
    db.refresh(period)
    move(db, period, Action.approve)
    row = db.execute(select(RatingBranchStatus).where(col(RatingBranchStatus.period_id) == period.id)).scalars().first()
    assert row is not None
    row.published_at = row.updated_at
    db.add(row)
    db.flush()
    r = act(client, admin, period.id or 0, "unapprove", period.version, reason="再调整")
    assert r.status_code == 409
    assert r.json()["code"] == "rating_period_partly_published"
