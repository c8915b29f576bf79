"""Approval through the API: compute, the secretary's change with a reason and approval of the
branch, the committee's approval of branches, publication (never before approval), corrections
(a published level never changes without a new decision), and who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import pk
from app.members.models import Member
from app.org import service as org_service
from app.ratings.models import PeriodStatus, RatingPeriod
from tests.factories import World
from tests.ratings.results_factories import assess, make_period, review

API = "/api/v1"


@pytest.fixture
def period(db: Session, world: World) -> RatingPeriod:
    a = db.get(Member, world.member.member_id)
    b = db.get(Member, world.group_leader.member_id)
    c = db.get(Member, world.secretary.member_id)
    d = db.get(Member, world.supervisor.member_id)
    p = make_period(db, world.town)
    review(db, p, a, [(b, 100), (c, 75), (d, 75)])
    review(db, p, b, [(a, 75), (c, 75), (d, 100)])
    assess(db, p, member=a, items={"political": 18, "pledges": 30, "role": 24, "reputation": 16})
    assess(db, p, member=b, items={"political": 16, "pledges": 20, "role": 20, "reputation": 16})
    return p


def etag(response: Any) -> str:
    return response.headers["ETag"]


def compute(client: TestClient, world: World, period: RatingPeriod) -> Any:
    r = client.post(
        f"{API}/rating-periods/{period.id}/compute", headers={**world.committee_admin.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    return r


def branch_results(client: TestClient, persona: Any, period: RatingPeriod, branch_id: int) -> Any:
    r = client.get(f"{API}/rating-periods/{period.id}/results", params={"unit_id": branch_id}, headers=persona.headers)
    assert r.status_code == 200, r.text
    return r


def result_of(page: Any, member_id: int | None) -> dict[str, Any]:
    return next(i for i in page.json()["items"] if i["subject_kind"] == "member" and i["subject_id"] == member_id)


def approve_branch_members(client: TestClient, persona: Any, period: RatingPeriod, branch_id: int) -> Any:
    listed = branch_results(client, persona, period, branch_id)
    return client.post(
        f"{API}/rating-periods/{period.id}/branches/{branch_id}/approve",
        headers={**persona.headers, "If-Match": etag(listed)},
    )


def approve_all(client: TestClient, world: World, period: RatingPeriod) -> None:
    """Every branch's members by someone who manages them, then every branch by the committee."""
    for persona, branch in (
        (world.secretary, world.branch),
        (world.outsider, world.other_branch),
        (world.committee_admin, world.office),
    ):
        assert branch is not None
        r = approve_branch_members(client, persona, period, pk(branch))
        assert r.status_code == 200, r.text
    for branch in (world.branch, world.other_branch, world.office):
        assert branch is not None
        listed = client.get(
            f"{API}/rating-periods/{period.id}/results",
            params={"unit_id": pk(branch), "kind": "branch"},
            headers=world.committee_admin.headers,
        ).json()["items"][0]
        r = client.post(
            f"{API}/rating-periods/{period.id}/branches/{pk(branch)}/approve-branch",
            headers={**world.committee_admin.headers, "If-Match": f'"{listed["version"]}"'},
        )
        assert r.status_code == 200, r.text


def publish(client: TestClient, world: World, period: RatingPeriod, db: Session, **body: Any) -> Any:
    db.refresh(period)
    return client.post(
        f"{API}/rating-periods/{period.id}/publish",
        json=body or None,
        headers={**world.committee_admin.headers, "If-Match": f'"{period.version}"'},
    )


def test_change_with_reason_approve_publish(
    client: TestClient, db: Session, world: World, period: RatingPeriod
) -> None:
    r = compute(client, world, period)
    assert r.json()["period_status"] == "computed"
    listed = branch_results(client, world.secretary, period, pk(world.branch))
    b = result_of(listed, world.group_leader.member_id)
    assert b["stars"] is None
    proposed = b["proposed_stars"]

    # a change needs a reason (422), the result's version (428 without, 412 stale)
    url = f"{API}/rating-results/{b['id']}/change"
    new = 5 if proposed != 5 else 4
    h = world.secretary.headers
    assert (
        client.post(
            url, json={"stars": new, "reason": "  "}, headers={**h, "If-Match": f'"{b["version"]}"'}
        ).status_code
        == 422
    )
    assert client.post(url, json={"stars": new, "reason": "带头抗洪"}, headers=h).status_code == 428
    assert (
        client.post(url, json={"stars": new, "reason": "带头抗洪"}, headers={**h, "If-Match": '"99"'}).status_code
        == 412
    )
    r = client.post(
        url, json={"stars": new, "reason": "带头抗洪，群众公认"}, headers={**h, "If-Match": f'"{b["version"]}"'}
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["proposed_stars"], changed["stars"], changed["changed"]) == (proposed, new, True)
    last = changed["last_decision"]
    assert (last["kind"], last["reason"], last["by_name"], last["from_stars"]) == (
        "change",
        "带头抗洪，群众公认",
        "书记",
        proposed,
    )

    # publishing before every branch is approved is refused
    r = publish(client, world, period, db)
    assert r.status_code == 409
    assert r.json()["code"] == "rating_not_approved"

    # bulk approval with a stale branch version is refused; the fresh one approves the rest
    r = client.post(
        f"{API}/rating-periods/{period.id}/branches/{pk(world.branch)}/approve", headers={**h, "If-Match": '"1"'}
    )
    assert r.status_code == 412
    before = org_service.content_version(db, pk(world.group))
    approve_all(client, world, period)
    db.refresh(period)
    assert period.status == PeriodStatus.approved
    listed = branch_results(client, world.secretary, period, pk(world.branch))
    a = result_of(listed, world.member.member_id)
    assert a["stars"] == a["proposed_stars"]
    assert a["last_decision"]["kind"] == "approve"
    assert result_of(listed, world.group_leader.member_id)["stars"] == new  # the change stands

    r = publish(client, world, period, db)
    assert r.status_code == 200, r.text
    assert r.json()["period_status"] == "published"
    assert sorted(r.json()["published_branch_ids"]) == sorted(
        pk(u) for u in (world.branch, world.other_branch, world.office) if u
    )
    assert org_service.content_version(db, pk(world.group)) > before  # the group's board goes stale


def test_published_level_changes_only_by_a_correction(
    client: TestClient, db: Session, world: World, period: RatingPeriod
) -> None:
    compute(client, world, period)
    approve_all(client, world, period)
    assert publish(client, world, period, db).status_code == 200
    a = result_of(branch_results(client, world.secretary, period, pk(world.branch)), world.member.member_id)
    h = {**world.secretary.headers, "If-Match": f'"{a["version"]}"'}
    # no silent change: not by change, not by recomputing, not by approving again
    r = client.post(f"{API}/rating-results/{a['id']}/change", json={"stars": 1, "reason": "x"}, headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "rating_result_published"
    db.refresh(period)
    r = client.post(
        f"{API}/rating-periods/{period.id}/compute",
        headers={**world.committee_admin.headers, "If-Match": f'"{period.version}"'},
    )
    assert r.status_code == 409
    # a correction: a reason, a new decision, the level marked corrected
    url = f"{API}/rating-results/{a['id']}/corrections"
    new = 2 if a["stars"] != 2 else 3
    assert client.post(url, json={"stars": new, "reason": ""}, headers=h).status_code == 422
    assert client.post(url, json={"stars": a["stars"], "reason": "同级"}, headers=h).status_code == 409
    before = org_service.content_version(db, pk(world.group))
    r = client.post(url, json={"stars": new, "reason": "核实群众反映后更正"}, headers={**h, "Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["stars"], body["corrected"]) == (new, True)
    assert [d["kind"] for d in body["decisions"]] == ["approve", "correct"]
    assert body["decisions"][-1]["reason"] == "核实群众反映后更正"
    assert org_service.content_version(db, pk(world.group)) > before
    # the same request again is replayed, not a second correction
    again = client.post(
        url, json={"stars": new, "reason": "核实群众反映后更正"}, headers={**h, "Idempotency-Key": "k1"}
    )
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (
        client.get(f"{API}/rating-results/{a['id']}", headers=world.secretary.headers).json()["decisions"][-1]["kind"]
        == "correct"
    )


def test_no_approval_outside_the_secretary_branch(
    client: TestClient, db: Session, world: World, period: RatingPeriod
) -> None:
    compute(client, world, period)
    listed = branch_results(client, world.secretary, period, pk(world.branch))
    url = f"{API}/rating-periods/{period.id}/branches/{pk(world.branch)}/approve"
    # another branch's secretary: the branch is not theirs to see (404); a plain member: 403
    assert client.post(url, headers={**world.outsider.headers, "If-Match": etag(listed)}).status_code == 404
    assert client.post(url, headers={**world.member.headers, "If-Match": etag(listed)}).status_code == 403
    a = result_of(listed, world.member.member_id)
    one = f"{API}/rating-results/{a['id']}/approve"
    assert client.post(one, headers={**world.outsider.headers, "If-Match": f'"{a["version"]}"'}).status_code == 404
    assert client.post(one, headers={**world.member.headers, "If-Match": f'"{a["version"]}"'}).status_code == 404
    # the secretary cannot approve a branch's own level (the committee does)
    r = client.post(
        f"{API}/rating-periods/{period.id}/branches/{pk(world.branch)}/approve-branch",
        headers={**world.secretary.headers, "If-Match": '"1"'},
    )
    assert r.status_code == 403
    # one by one: the secretary approves A alone; the branch is not approved until all are
    r = client.post(one, headers={**world.secretary.headers, "If-Match": f'"{a["version"]}"'})
    assert r.status_code == 200, r.text
    assert r.json()["stars"] == a["proposed_stars"]
    assert client.get(f"{API}/rating-periods/{period.id}/results", headers=world.outsider.headers).json()["total"] == 2


def test_branch_by_branch_publication(client: TestClient, db: Session, world: World, period: RatingPeriod) -> None:
    compute(client, world, period)
    r = approve_branch_members(client, world.secretary, period, pk(world.branch))
    assert r.json()["members_approved"] is True
    # the branch's own level not approved yet: not publishable
    r = publish(client, world, period, db, branch_ids=[pk(world.branch)])
    assert r.status_code == 409
    branch_row = client.get(
        f"{API}/rating-periods/{period.id}/results",
        params={"unit_id": pk(world.branch), "kind": "branch"},
        headers=world.committee_admin.headers,
    ).json()["items"][0]
    r = client.post(
        f"{API}/rating-periods/{period.id}/branches/{pk(world.branch)}/approve-branch",
        headers={**world.committee_admin.headers, "If-Match": f'"{branch_row["version"]}"'},
    )
    assert r.status_code == 200, r.text
    r = publish(client, world, period, db, branch_ids=[pk(world.branch)])
    assert r.status_code == 200, r.text
    assert r.json() == {
        "published_branch_ids": [pk(world.branch)],
        "period_status": "computed",
        "period_version": period.version,
    }
    # the member sees their own breakdown once published; another member does not; the secretary does
    url = f"{API}/rating-periods/{period.id}/results/{world.member.member_id}/breakdown"
    mine = client.get(url, headers=world.member.headers)
    assert mine.status_code == 200
    assert {p["key"] for p in mine.json()["parts"]} == {"peer", "villager", "assessment"}
    assert client.get(url, headers=world.group_leader.headers).status_code == 404
    assert client.get(url, headers=world.outsider.headers).status_code == 404
    # the other branch is not published: its member's own breakdown stays hidden from them
    other = f"{API}/rating-periods/{period.id}/results/{world.outsider.member_id}/breakdown"
    assert client.get(other, headers=world.outsider.headers).status_code == 200  # their secretary role
    assert client.get(other, headers=world.committee_admin.headers).status_code == 200


def test_member_sees_nothing_before_publication(
    client: TestClient, db: Session, world: World, period: RatingPeriod
) -> None:
    compute(client, world, period)
    url = f"{API}/rating-periods/{period.id}/results/{world.member.member_id}/breakdown"
    assert client.get(url, headers=world.member.headers).status_code == 404
    assert client.get(f"{API}/rating-periods/{period.id}/results", headers=world.member.headers).status_code == 403
    assert client.get(url, headers=world.secretary.headers).status_code == 200
    assert client.get(url).status_code == 401


def test_period_approval_waits_for_every_branch(
    client: TestClient, db: Session, world: World, period: RatingPeriod
) -> None:
    compute(client, world, period)
    db.refresh(period)
    url = f"{API}/rating-periods/{period.id}/approve"
    h = {**world.committee_admin.headers, "If-Match": f'"{period.version}"'}
    r = client.post(url, headers=h)
    assert r.status_code == 409
    assert r.json()["code"] == "rating_not_approved"
    assert client.post(url, headers={**world.secretary.headers, "If-Match": f'"{period.version}"'}).status_code == 403
    approve_all(client, world, period)  # the last branch's approval approves the period
    db.refresh(period)
    assert period.status == PeriodStatus.approved
    r = client.post(url, headers={**world.committee_admin.headers, "If-Match": f'"{period.version}"'})
    assert r.status_code == 409  # already approved
