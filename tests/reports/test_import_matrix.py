"""The import endpoints × every persona (tests/matrix.py): anonymous 401, outsider 404, a role that
may not manage members 403, the secretary and the committee 2xx. Uploads go as multipart files."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.permissions import SYSTEM
from app.members import service as members_service
from tests.factories import World, create_member, password_hash
from tests.matrix import ANONYMOUS, Case, params
from tests.reports.importing import API, member_row, xlsx

MANAGERS = ["committee_admin", "secretary"]
NOT_MANAGERS = ["group_leader", "member", "supervisor"]


def _roster(w: World) -> dict[str, Any]:
    return {"file": ("名册.xlsx", xlsx([member_row("矩阵", "13912348001")]), "application/octet-stream")}


def _slip(w: World) -> dict[str, Any]:
    assert w.db is not None
    member = create_member(w.db, branch=w.branch, group=w.group, name="待领凭条")
    members_service.open_account(w.db, actor=SYSTEM, member=member, password_hash=password_hash())
    return {"slips": [{"member_id": member.id, "initial_password": "abcd-efgh-jkmn"}]}


CASES = [
    Case(
        "GET",
        lambda w: f"{API}/imports/templates/members.xlsx?unit_id={w.branch.id}",
        name="GET template members",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "GET",
        lambda w: f"{API}/imports/templates/units.xlsx?unit_id={w.branch.id}",
        name="GET template units",
        allowed=["committee_admin"],
        denied_403=["secretary", *NOT_MANAGERS],
    ),
    Case(
        "POST",
        lambda w: f"{API}/imports/members/check?unit_id={w.branch.id}",
        name="POST check",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=_roster,
        form=True,
    ),
    Case(
        "POST",
        lambda w: f"{API}/imports/members/confirm?unit_id={w.branch.id}",
        name="POST confirm",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=_roster,
        form=True,
    ),
    Case(
        "POST",
        lambda w: f"{API}/imports/slips/reissue",
        name="POST slips/reissue",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=lambda w: {"member_ids": [_slip(w)["slips"][0]["member_id"]]},
    ),
    Case(
        "POST",
        lambda w: f"{API}/imports/slips.pdf",
        name="POST slips.pdf",
        allowed=MANAGERS,
        denied_403=NOT_MANAGERS,
        body_factory=_slip,
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_import_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    expected = dict(case.expectations())[persona]
    headers = dict(getattr(world, persona).headers) if persona != ANONYMOUS else {}
    body = case.body_factory(world) if case.body_factory else None
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["files" if case.form else "json"] = body
    response = client.request(case.method, case.path_factory(world), **kwargs)
    where = f"{case.label} as {persona}: {response.status_code} {response.text[:300]}"
    if expected is None:
        assert 200 <= response.status_code < 300, where
        return
    assert response.status_code == expected, where
    assert response.headers["content-type"].startswith("application/problem+json"), where
    assert response.json()["detail"], where
