"""The statistics and export endpoints × every persona (tests/matrix.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import World
from tests.matrix import Case, check, params

API = "/api/v1"
NOT_MANAGERS = ["group_leader", "member", "supervisor"]

CASES = [
    Case(
        "GET",
        lambda w: f"{API}/stats?unit_id={w.branch.id}",
        name="GET /stats?unit_id={branch}",
        allowed=["committee_admin", "secretary"],
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "GET",
        lambda w: f"{API}/stats?unit_id={w.town.id}",
        name="GET /stats?unit_id={town}",
        allowed=["committee_admin"],
        hidden_404=["secretary", "group_leader", "member", "supervisor", "outsider"],
    ),
    Case(
        "GET",
        lambda w: f"{API}/exports/ledger?unit_id={w.branch.id}&format=csv",
        name="GET /exports/ledger",
        allowed=["committee_admin", "secretary"],
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "GET",
        lambda w: f"{API}/exports/roster?unit_id={w.branch.id}&format=csv",
        name="GET /exports/roster",
        allowed=["committee_admin", "secretary", *NOT_MANAGERS],
    ),
    Case(
        "GET",
        lambda w: f"{API}/exports/dossier/members/{w.member.member_id}.pdf",
        name="GET /exports/dossier/members/{id}.pdf",
        allowed=["committee_admin", "secretary"],
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "GET",
        lambda w: f"{API}/exports/dossier/units/{w.branch.id}.pdf",
        name="GET /exports/dossier/units/{branch}.pdf",
        allowed=["committee_admin", "secretary"],
        denied_403=NOT_MANAGERS,
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
