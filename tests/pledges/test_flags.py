"""Supervisors' flags (提请书记关注, issue 9): raised with a reason, notified to the secretary, answered,
closed with the answer; on the timeline of the branch and the supervision, never public."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.core.db import pk
from app.core.permissions import SYSTEM
from app.pledges import flags
from app.pledges.access import visible_pledge
from app.pledges.models import Pledge, PledgeStatus
from tests.factories import World
from tests.matrix import Case, check, params
from tests.pledges.api import API, ok
from tests.pledges.factories import member_pledge


def _flag(
    client: TestClient,
    world: World,
    pledge: Pledge,
    reason: str = "已逾期两周，群众有意见",
    persona: str = "supervisor",
):  # type: ignore[no-untyped-def]
    return client.post(
        f"{API}/pledges/{pk(pledge)}/flags", json={"reason": reason}, headers=getattr(world, persona).headers
    )


def _notifications(client: TestClient, headers: dict[str, str]) -> list[dict]:  # type: ignore[type-arg]
    return ok(client.get(f"{API}/notifications", headers=headers))["items"]


def test_a_flag_reaches_the_secretary_and_is_closed_by_the_answer(client: TestClient, world: World) -> None:
    pledge = member_pledge(world, status=PledgeStatus.published)
    flag = ok(_flag(client, world, pledge), 201)
    assert flag["status"] == "open"
    assert flag["status_label"] == "待答复"
    assert flag["reason"] == "已逾期两周，群众有意见"
    assert flag["pledge_title"] == pledge.title
    assert flag["raised_by_name"] == "监督员"

    # the secretary is told, and the badge counts it
    news = _notifications(client, world.secretary.headers)
    assert news[0]["kind"] == "pledge_flagged"
    assert "已逾期两周" in news[0]["body"]
    assert news[0]["link"] == f"/pledges/{pk(pledge)}"
    waiting = ok(client.get(f"{API}/pledge-flags?size=1", headers=world.secretary.headers))
    assert waiting["total"] == 1
    # the supervisor cannot flag the same pledge twice while the first is open
    again = _flag(client, world, pledge, "再提一次")
    assert again.status_code == 409
    assert again.json()["code"] == "flag_already_open"

    answered = ok(
        client.post(
            f"{API}/pledge-flags/{flag['id']}/answer",
            json={"answer": "已找本人谈话，本月底前完成"},
            headers=world.secretary.headers,
        )
    )
    assert answered["status"] == "answered"
    assert answered["answer"] == "已找本人谈话，本月底前完成"
    assert answered["answered_by_name"] == "书记"
    assert ok(client.get(f"{API}/pledge-flags?size=1", headers=world.secretary.headers))["total"] == 0
    done = ok(client.get(f"{API}/pledge-flags?status=answered", headers=world.secretary.headers))
    assert [f["id"] for f in done["items"]] == [flag["id"]]
    # the supervisor hears back and sees it among their own
    assert _notifications(client, world.supervisor.headers)[0]["kind"] == "flag_answered"
    mine = ok(client.get(f"{API}/pledge-flags?mine=true&status=all", headers=world.supervisor.headers))
    assert mine["items"][0]["answer"] == "已找本人谈话，本月底前完成"
    # answered once
    twice = client.post(
        f"{API}/pledge-flags/{flag['id']}/answer", json={"answer": "再答"}, headers=world.secretary.headers
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "flag_answered"
    # a new flag may follow
    ok(_flag(client, world, pledge, "月底到了，还没完成"), 201)


def test_flags_are_on_the_timeline_of_the_branch_only(client: TestClient, world: World) -> None:
    pledge = member_pledge(world, status=PledgeStatus.published)
    flag = ok(_flag(client, world, pledge), 201)
    ok(
        client.post(
            f"{API}/pledge-flags/{flag['id']}/answer", json={"answer": "已督促"}, headers=world.secretary.headers
        )
    )
    for persona in ("secretary", "supervisor", "committee_admin"):
        entries = ok(client.get(f"{API}/pledges/{pk(pledge)}/timeline", headers=getattr(world, persona).headers))
        kinds = [e["kind"] for e in entries["items"]]
        assert kinds[:2] == ["flag_answer", "flag"], (persona, kinds)
        assert entries["items"][0]["text"] == "已督促"
    # the member whose pledge it is, and a group leader, do not see them; nor does any board
    for persona in ("member", "group_leader"):
        entries = ok(client.get(f"{API}/pledges/{pk(pledge)}/timeline", headers=getattr(world, persona).headers))
        assert not {e["kind"] for e in entries["items"]} & {"flag", "flag_answer"}, persona


def test_refusals(client: TestClient, world: World) -> None:
    draft = member_pledge(world, status=PledgeStatus.submitted)
    wrong = _flag(client, world, draft, persona="committee_admin")
    assert wrong.status_code == 409
    assert wrong.headers["content-type"].startswith("application/problem+json")
    assert wrong.json()["detail"]
    published = member_pledge(world, status=PledgeStatus.published)
    blank = _flag(client, world, published, "   ")
    assert blank.status_code == 422
    assert blank.json()["code"] == "reason_required"
    assert _flag(client, world, published, persona="member").status_code == 403
    assert _flag(client, world, published, persona="outsider").status_code == 404
    flag = ok(_flag(client, world, published), 201)
    # the supervisor may not answer; another branch's secretary does not see it
    for persona, status in (("supervisor", 403), ("outsider", 404)):
        r = client.post(
            f"{API}/pledge-flags/{flag['id']}/answer", json={"answer": "好"}, headers=getattr(world, persona).headers
        )
        assert r.status_code == status, persona
    assert client.get(f"{API}/pledge-flags", headers=world.supervisor.headers).status_code == 403
    assert (
        client.post(
            f"{API}/pledge-flags/999999/answer", json={"answer": "好"}, headers=world.secretary.headers
        ).status_code
        == 404
    )


def test_a_retried_flag_is_replayed_not_doubled(client: TestClient, world: World) -> None:
    pledge = member_pledge(world, status=PledgeStatus.published)
    headers = {**world.supervisor.headers, "Idempotency-Key": "flag-1"}
    body = {"reason": "请关注"}
    first = client.post(f"{API}/pledges/{pk(pledge)}/flags", json=body, headers=headers)
    again = client.post(f"{API}/pledges/{pk(pledge)}/flags", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert ok(client.get(f"{API}/pledge-flags", headers=world.secretary.headers))["total"] == 1


def _open_flag_id(w: World) -> int:
    assert w.db is not None
    pledge = member_pledge(w, status=PledgeStatus.published)
    return flags.raise_flag(w.db, actor=SYSTEM, located=visible_pledge(w.db, SYSTEM, pk(pledge)), reason="请关注").id


_NOTE = ["committee_admin", "supervisor"]
_REVIEW = ["committee_admin", "secretary"]
CASES = [
    Case("POST", lambda w: f"{API}/pledges/{pk(member_pledge(w, status=PledgeStatus.published))}/flags",
         name="POST /pledges/{id}/flags", allowed=_NOTE, denied_403=["secretary", "group_leader", "member"],
         body_factory=lambda w: {"reason": "请关注"}, expect=201),
    Case("GET", lambda w: f"{API}/pledge-flags?unit_id={w.branch.id}", name="GET /pledge-flags?unit_id",
         allowed=_REVIEW, denied_403=["supervisor", "group_leader", "member"]),
    Case("GET", lambda w: f"{API}/pledge-flags?mine=true", name="GET /pledge-flags?mine",
         allowed=[*_REVIEW, "supervisor", "group_leader", "member", "outsider"], hidden_404=()),
    Case("POST", lambda w: f"{API}/pledge-flags/{_open_flag_id(w)}/answer", name="POST /pledge-flags/{id}/answer",
         allowed=_REVIEW, denied_403=["supervisor", "group_leader", "member"],
         body_factory=lambda w: {"answer": "已督促"}),
]  # fmt: skip


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
