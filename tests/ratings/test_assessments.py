"""组织考评: the secretary scores their branch's members item by item, the 承诺践诺 item filled from
the pledges closed in the period (and overridden only with a reason), nobody scores themself, the
committee scores branches, and only while the period is open or assessing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.time import utcnow
from app.pledges.models import OwnerKind, Pledge, PledgeCategory, PledgeOutcome, PledgeStatus
from app.ratings.models import RatingBranchStatus
from app.ratings.states import Action
from tests.factories import Persona, World
from tests.ratings.core_factories import API, move, open_period


def _closed_pledge(db: Session, world: World, persona: Persona, outcome: PledgeOutcome, closed: datetime) -> None:
    db.add(
        Pledge(
            owner_kind=OwnerKind.member,
            member_id=persona.member_id,
            unit_id=world.group.id or 0,
            branch_id=world.branch.id or 0,
            title="清扫道路",
            content="每周清扫组内道路",
            category=PledgeCategory.public_service,
            year=2026,
            due_date=date(2026, 9, 30),
            status=PledgeStatus.closed,
            outcome=outcome,
            closed_at=closed,
        )
    )
    db.flush()


def _sheet(client: TestClient, persona: Persona, period_id: int, world: World) -> dict[int, dict[str, Any]]:
    r = client.get(f"{API}/rating-periods/{period_id}/assessments?branch_id={world.branch.id}", headers=persona.headers)
    assert r.status_code == 200, r.text
    return {row["subject_id"]: row for row in r.json()["items"]}


def test_the_pledges_item_is_filled_from_outcomes(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)  # 2026 Q3
    inside = datetime(2026, 8, 1, 2, tzinfo=UTC)
    _closed_pledge(db, world, world.member, PledgeOutcome.kept, inside)
    _closed_pledge(db, world, world.member, PledgeOutcome.partly_kept, inside)
    _closed_pledge(
        db, world, world.member, PledgeOutcome.not_kept, datetime(2026, 6, 30, 16, tzinfo=UTC)
    )  # 7月1日 in China
    _closed_pledge(
        db, world, world.member, PledgeOutcome.not_kept, datetime(2026, 9, 30, 16, tzinfo=UTC)
    )  # 10月1日: after
    _closed_pledge(db, world, world.group_leader, PledgeOutcome.kept, inside)
    move(db, period, Action.close_reviews)
    sheet = _sheet(client, world.secretary, period.id or 0, world)
    mine = sheet[world.member.member_id or 0]
    # kept 30 + partly 15 + not kept 0, over three pledges: 15 of 30
    assert mine["items"]["pledges"] == 15.0
    assert mine["auto_items"] == {"pledges": 15.0}
    assert mine["auto_note"] == "本周期已销诺 3 件：已兑现 1、部分兑现 1、未兑现 1"
    assert mine["points"] == 15.0
    assert mine["max_points"] == 100.0
    assert mine["complete"] is False
    assert sheet[world.group_leader.member_id or 0]["items"]["pledges"] == 30.0
    nobody = sheet[world.supervisor.member_id or 0]
    assert nobody["items"]["pledges"] is None
    assert nobody["auto_note"] == "本周期没有已销诺的承诺，请书记评分"


def test_the_secretary_scores_item_by_item(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    _closed_pledge(db, world, world.member, PledgeOutcome.kept, datetime(2026, 8, 1, tzinfo=UTC))
    move(db, period, Action.close_reviews)
    url = f"{API}/rating-periods/{period.id}/assessments/member/{world.member.member_id}"
    r = client.put(url, json={"items": {"political": 18}}, headers=world.secretary.headers)
    assert r.status_code == 200, r.text
    assert r.json()["points"] == 48.0  # 18 + the automatic 30
    r = client.put(url, json={"items": {"role": 25, "reputation": 19.5}}, headers=world.secretary.headers)
    assert r.json()["items"] == {"political": 18, "pledges": 30.0, "role": 25, "reputation": 19.5}
    assert r.json()["complete"] is True
    assert r.json()["points"] == 92.5
    # out of range, unknown item: 422 in Chinese
    r = client.put(url, json={"items": {"political": 21}}, headers=world.secretary.headers)
    assert r.status_code == 422
    assert "“政治素质”须在 0 到 20 分之间" in r.json()["detail"]
    r = client.put(url, json={"items": {"nope": 1}}, headers=world.secretary.headers)
    assert "没有该考评项目" in r.json()["detail"]
    # overriding the automatic item needs a reason, which is kept
    r = client.put(url, json={"items": {"pledges": 20}}, headers=world.secretary.headers)
    assert r.status_code == 422
    assert "修改自动计分的“承诺践诺”须填写原因" in r.json()["detail"]
    r = client.put(
        url, json={"items": {"pledges": 20}, "reasons": {"pledges": "销诺材料不全"}}, headers=world.secretary.headers
    )
    assert r.status_code == 200
    assert r.json()["overrides"] == {"pledges": "销诺材料不全"}
    assert r.json()["auto_items"] == {"pledges": 30.0}
    assert r.json()["points"] == 82.5
    # back to the automatic value: the override goes
    r = client.put(url, json={"items": {"pledges": 30}}, headers=world.secretary.headers)
    assert r.json()["overrides"] == {}


def test_nobody_assesses_themself_or_outside_their_branch(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    own = f"{API}/rating-periods/{period.id}/assessments/member/{world.secretary.member_id}"
    r = client.put(own, json={"items": {"political": 20}}, headers=world.secretary.headers)
    assert r.status_code == 403
    assert r.json()["code"] == "assessment_self"
    assert client.put(own, json={"items": {"political": 20}}, headers=world.committee_admin.headers).status_code == 200
    other = f"{API}/rating-periods/{period.id}/assessments/member/{world.outsider.member_id}"
    assert client.put(other, json={"items": {"political": 20}}, headers=world.secretary.headers).status_code == 404
    member = f"{API}/rating-periods/{period.id}/assessments/member/{world.group_leader.member_id}"
    assert client.put(member, json={"items": {"political": 20}}, headers=world.member.headers).status_code == 403
    sheet = f"{API}/rating-periods/{period.id}/assessments?branch_id={world.branch.id}"
    assert client.get(sheet, headers=world.member.headers).status_code == 403
    assert client.get(sheet, headers=world.outsider.headers).status_code == 404


def test_computed_until_the_branch_is_approved(client: TestClient, world: World, db: Session) -> None:
    period = move(db, open_period(db, world), Action.close_reviews, Action.compute)
    url = f"{API}/rating-periods/{period.id}/assessments/member/{world.member.member_id}"
    assert client.put(url, json={"items": {"political": 10}}, headers=world.secretary.headers).status_code == 200
    branch_url = f"{API}/rating-periods/{period.id}/assessments/branch/{world.branch.id}"
    assert (
        client.put(branch_url, json={"items": {"team": 20}}, headers=world.committee_admin.headers).status_code == 200
    )
    row = db.execute(
        select(RatingBranchStatus).where(
            col(RatingBranchStatus.period_id) == period.id, col(RatingBranchStatus.branch_id) == world.branch.id
        )
    ).scalar_one()
    row.members_approved_at = utcnow()
    db.add(row)
    db.flush()
    r = client.put(url, json={"items": {"political": 12}}, headers=world.secretary.headers)
    assert r.status_code == 409
    assert r.json()["code"] == "assessment_approved"
    # the branch's own level is not approved yet: the committee may still change its assessment
    assert (
        client.put(branch_url, json={"items": {"team": 21}}, headers=world.committee_admin.headers).status_code == 200
    )


def test_only_while_open_or_assessing(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    url = f"{API}/rating-periods/{period.id}/assessments/member/{world.member.member_id}"
    assert client.put(url, json={"items": {"political": 10}}, headers=world.secretary.headers).status_code == 200
    move(db, period, Action.reopen)
    r = client.put(url, json={"items": {"political": 12}}, headers=world.secretary.headers)
    assert r.status_code == 409
    assert r.json()["code"] == "rating_period_wrong_state"


def test_the_committee_scores_branches(client: TestClient, world: World, db: Session) -> None:
    period = open_period(db, world)
    url = f"{API}/rating-periods/{period.id}/assessments/branch/{world.branch.id}"
    items = {"team": 25, "pledges": 20, "work": 22, "reputation": 24}
    assert client.put(url, json={"items": items}, headers=world.secretary.headers).status_code == 403
    r = client.put(url, json={"items": items}, headers=world.committee_admin.headers)
    assert r.status_code == 200
    assert r.json()["points"] == 91.0
    assert r.json()["complete"] is True
    listed = client.get(
        f"{API}/rating-periods/{period.id}/assessments?subject_kind=branch", headers=world.committee_admin.headers
    ).json()
    assert [row["name"] for row in listed["items"]] == ["大洼社区党支部", "花车村党支部", "机关党支部"]
    assert listed["items"][0]["points"] == 91.0
    branches = client.get(f"{API}/rating-periods/{period.id}/branches", headers=world.committee_admin.headers).json()
    assert {b["branch_name"]: b["branch_assessed"] for b in branches["items"]}["大洼社区党支部"] is True
