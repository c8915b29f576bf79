"""A supervisor's own notes (我的监督意见, issue 9): their notes only, newest first, with the pledge."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.core.db import pk
from app.members import service as members_service
from app.pledges.models import PledgeStatus
from tests.factories import World
from tests.matrix import PERSONAS, Case, check, params
from tests.pledges.api import API, ok
from tests.pledges.factories import member_pledge


def test_my_notes_lists_the_callers_own_notes_with_their_pledges(client: TestClient, world: World) -> None:
    assert world.db is not None
    first, second = (
        member_pledge(world, status=PledgeStatus.published),
        member_pledge(world, status=PledgeStatus.published),
    )
    for pledge, text in ((first, "已到现场查看"), (second, "路灯已修好")):
        ok(client.post(f"{API}/pledges/{pk(pledge)}/notes", json={"text": text}, headers=world.supervisor.headers), 201)
    ok(
        client.post(
            f"{API}/pledges/{pk(first)}/notes", json={"text": "上级意见"}, headers=world.committee_admin.headers
        ),
        201,
    )
    mine = ok(client.get(f"{API}/pledge-notes", headers=world.supervisor.headers))
    assert mine["total"] == 2
    assert [n["text"] for n in mine["items"]] == ["路灯已修好", "已到现场查看"]
    name = members_service.get_member(world.db, world.member.member_id or 0).name
    assert mine["items"][0]["pledge_title"] == second.title
    assert mine["items"][0]["member_name"] == name
    assert mine["items"][0]["pledge_status"] == "published"
    assert ok(client.get(f"{API}/pledge-notes", headers=world.member.headers))["total"] == 0


CASES = [Case("GET", lambda w: f"{API}/pledge-notes", name="GET /pledge-notes", allowed=list(PERSONAS), hidden_404=())]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
