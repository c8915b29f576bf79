"""The permission matrix of the representatives' panels and slips and of the quarterly self-evaluation:
every endpoint × every persona (tests/matrix.py). Everything stands on the secretary's branch; the
outsider is the secretary of another branch; the public slip form has its own tests (test_slips)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.appraisal.models import Representative, RepresentativeKind, SelfEvaluation, SelfEvaluationStatus
from app.core.time import today_local
from tests.factories import World
from tests.matrix import Case, check, params

API = "/api/v1/appraisal"
MANAGERS = ["secretary", "committee_admin"]
BRANCH_ONLY = ["group_leader", "member", "supervisor"]
NOT_ADMIN = ["secretary", "group_leader", "member", "supervisor"]


def _rep(w: World) -> int:
    assert w.db is not None
    row = Representative(branch_id=w.branch.id or 0, name="代表", kind=RepresentativeKind.party)
    w.db.add(row)
    w.db.flush()
    return int(row.id or 0)


def _quarter() -> str:
    today = today_local()
    return f"{today.year}/{(today.month - 1) // 3 + 1}"


def _self(w: World, status: SelfEvaluationStatus) -> str:
    assert w.db is not None
    today = today_local()
    full = {"team": 20, "cadres": 20, "mechanism": 20, "economy": 20, "masses": 20}
    w.db.add(
        SelfEvaluation(
            branch_id=w.branch.id or 0, year=today.year, quarter=(today.month - 1) // 3 + 1, items=full, status=status
        )
    )
    w.db.flush()
    return f"{API}/branches/{w.branch.id}/self-evaluations/{_quarter()}"


def _month(w: World) -> dict[str, int]:
    _rep(w)
    today = today_local()
    return {"year": today.year, "month": today.month}


CASES = [
    # the outsider is a secretary elsewhere: the list of the branches it manages is its own (2xx)
    Case(
        "GET",
        lambda w: f"{API}/branches",
        name="GET /appraisal/branches",
        allowed=[*MANAGERS, "outsider"],
        denied_403=BRANCH_ONLY,
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}/branches/{w.branch.id}/representatives",
        name="GET /appraisal/branches/{id}/representatives",
        allowed=MANAGERS,
        denied_403=BRANCH_ONLY,
    ),
    Case(
        "POST",
        lambda w: f"{API}/branches/{w.branch.id}/representatives",
        name="POST /appraisal/branches/{id}/representatives",
        body_factory=lambda w: {"name": "新代表", "kind": "masses"},
        allowed=MANAGERS,
        denied_403=BRANCH_ONLY,
        expect=201,
    ),
    Case(
        "PATCH",
        lambda w: f"{API}/representatives/{_rep(w)}",
        name="PATCH /appraisal/representatives/{id}",
        body_factory=lambda w: {"active": False},
        allowed=MANAGERS,
        denied_403=BRANCH_ONLY,
    ),
    Case(
        "POST",
        lambda w: f"{API}/branches/{w.branch.id}/slips",
        name="POST /appraisal/branches/{id}/slips",
        body_factory=_month,
        allowed=MANAGERS,
        denied_403=BRANCH_ONLY,
    ),
    Case(
        "GET",
        lambda w: f"{API}/branches/{w.branch.id}/slip-counts",
        name="GET /appraisal/branches/{id}/slip-counts",
        allowed=MANAGERS,
        denied_403=BRANCH_ONLY,
    ),
    Case(
        "GET",
        lambda w: f"{API}/branches/{w.branch.id}/self-evaluations/{_quarter()}",
        name="GET /appraisal/branches/{id}/self-evaluations/{y}/{q}",
        allowed=MANAGERS,
        denied_403=BRANCH_ONLY,
    ),
    Case(
        "PUT",
        lambda w: f"{API}/branches/{w.branch.id}/self-evaluations/{_quarter()}",
        name="PUT /appraisal/branches/{id}/self-evaluations/{y}/{q}",
        body_factory=lambda w: {"items": {"team": 18}},
        headers_factory=lambda w: {"If-Match": '"0"'},
        allowed=MANAGERS,
        denied_403=BRANCH_ONLY,
    ),
    Case(
        "POST",
        lambda w: _self(w, SelfEvaluationStatus.draft) + "/submit",
        name="POST …/self-evaluations/{y}/{q}/submit",
        headers_factory=lambda w: {"If-Match": '"1"'},
        allowed=MANAGERS,
        denied_403=BRANCH_ONLY,
    ),
    Case(
        "POST",
        lambda w: _self(w, SelfEvaluationStatus.submitted) + "/return",
        name="POST …/self-evaluations/{y}/{q}/return",
        body_factory=lambda w: {"reason": "请补充"},
        headers_factory=lambda w: {"If-Match": '"1"'},
        allowed=["committee_admin"],
        denied_403=NOT_ADMIN,
    ),
    Case(
        "GET",
        lambda w: f"{API}/self-evaluations?year={_quarter().replace('/', '&quarter=')}",
        name="GET /appraisal/self-evaluations",
        allowed=["committee_admin"],
        denied_403=[*NOT_ADMIN, "outsider"],  # the committee's quarter view only
        hidden_404=(),
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
