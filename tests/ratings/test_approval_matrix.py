"""The permission matrix of ratings-results: compute, results, breakdown, approval, change,
corrections, publication, honours, candidates and export × every persona (tests/matrix.py).

The periods belong to the world's branch (大洼社区党支部): the outsider (another branch's secretary)
cannot see them (404). Members who see the period but manage nothing get 403 where the period is
theirs to see and 404 for a result that is not theirs.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from app.core.db import pk
from app.core.permissions import SYSTEM
from app.core.time import utcnow
from app.members.models import Member
from app.pledges.models import PledgeStatus
from app.ratings import approval, honours
from app.ratings.compute import compute_results
from app.ratings.models import Honour, PeriodStatus, RatingBranchStatus, RatingPeriod, RatingResult, SubjectKind
from tests.factories import World
from tests.matrix import Case, check, params
from tests.pledges.factories import create_pledge
from tests.ratings.results_factories import assess, make_period, review

API = "/api/v1"
MEMBERS_ONLY = ["group_leader", "member", "supervisor"]
NOT_ADMINS = ["secretary", *MEMBERS_ONLY]
MANAGERS = ["committee_admin", "secretary"]


def _state(w: World, stage: str) -> dict[str, Any]:
    """The world's branch period at a stage, made once per test: computed → members_approved →
    branch_approved (the period approved) → published; or `marked` (every branch approved, the
    period still computed)."""
    cache: dict[str, Any] = w.__dict__.setdefault("_results_state", {})
    if cache:
        return cache
    db = w.db
    assert db is not None
    a = db.get(Member, w.member.member_id)
    b = db.get(Member, w.group_leader.member_id)
    period = make_period(db, w.branch, status=PeriodStatus.computed)
    review(db, period, a, [(b, 75)])
    assess(db, period, member=a, items={"political": 18, "pledges": 30, "role": 24, "reputation": 16})
    compute_results(db, period)
    branch_id = pk(w.branch)
    if stage == "marked":
        row = approval.branch_status(db, period, branch_id)
        row.members_approved_at = row.branch_approved_at = utcnow()
        db.add(row)
        db.flush()
    if stage in ("members_approved", "branch_approved", "published"):
        approval.approve_members(db, actor=SYSTEM, period=period, unit=w.branch, branch_id=branch_id)
    if stage in ("branch_approved", "published"):
        approval.approve_branch(db, actor=SYSTEM, period=period, unit=w.branch, branch_id=branch_id)
    if stage == "published":
        approval.publish(db, actor=SYSTEM, period=period, unit=w.branch, expected_version=period.version)
    cache.update(period=period, member_result=_result(w, period, SubjectKind.member, pk(a)))
    cache["branch_result"] = _result(w, period, SubjectKind.branch, branch_id)
    return cache


def _result(w: World, period: RatingPeriod, kind: SubjectKind, subject_id: int) -> RatingResult:
    assert w.db is not None
    return w.db.execute(
        select(RatingResult).where(
            col(RatingResult.period_id) == period.id,
            col(RatingResult.subject_kind) == kind.value,
            col(RatingResult.subject_id) == subject_id,
        )
    ).scalar_one()


def _pid(w: World, stage: str = "computed") -> int:
    return pk(_state(w, stage)["period"])


def _period_version(stage: str) -> Any:
    return lambda w: {"If-Match": f'"{_state(w, stage)["period"].version}"'}


def _result_version(stage: str, which: str = "member_result") -> Any:
    return lambda w: {"If-Match": f'"{_state(w, stage)[which].version}"'}


def _branch_version(w: World) -> dict[str, str]:
    assert w.db is not None
    version = approval.branch_results_version(w.db, _state(w, "computed")["period"], pk(w.branch))
    return {"If-Match": f'"{version}"'}


def _honour(w: World) -> int:
    assert w.db is not None
    pledge = create_pledge(w.db, unit=w.group, member_id=w.member.member_id, status=PledgeStatus.closed)
    return pk(honours.nominate(w.db, actor=SYSTEM, pledge_id=pk(pledge)))


def _honour_version(w: World) -> dict[str, str]:
    """A fresh nomination's version (nothing decided on it yet: the same for every one)."""
    return {"If-Match": f'"{honours.honour_version(Honour())}"'}


def _kept_pledge(w: World) -> dict[str, int]:
    assert w.db is not None
    pledge = create_pledge(w.db, unit=w.group, member_id=w.member.member_id, status=PledgeStatus.closed)
    return {"pledge_id": pk(pledge)}


CASES = [
    Case(
        "POST",
        lambda w: f"{API}/rating-periods/{_pid(w)}/compute",
        name="POST /rating-periods/{id}/compute",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        headers_factory=_period_version("computed"),
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-periods/{_pid(w)}/compute",
        name="POST /rating-periods/{id}/compute (branch)",
        allowed=MANAGERS,
        denied_403=MEMBERS_ONLY,
        body_factory=lambda w: {"branch_id": pk(w.branch)},
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}/results",
        name="GET /rating-periods/{id}/results",
        allowed=MANAGERS,
        denied_403=MEMBERS_ONLY,
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}/results/{w.member.member_id}/breakdown",
        name="GET /rating-periods/{id}/results/{member_id}/breakdown (before publication)",
        allowed=MANAGERS,
        hidden_404=[*MEMBERS_ONLY, "outsider"],
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w, 'published')}/results/{w.member.member_id}/breakdown",
        name="GET /rating-periods/{id}/results/{member_id}/breakdown (published)",
        allowed=[*MANAGERS, "member"],
        hidden_404=["group_leader", "supervisor", "outsider"],
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-results/{pk(_state(w, 'computed')['member_result'])}",
        name="GET /rating-results/{id}",
        allowed=MANAGERS,
        hidden_404=[*MEMBERS_ONLY, "outsider"],
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-periods/{_pid(w)}/branches/{pk(w.branch)}/approve",
        name="POST /rating-periods/{id}/branches/{branch_id}/approve",
        allowed=MANAGERS,
        denied_403=MEMBERS_ONLY,
        headers_factory=_branch_version,
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-results/{pk(_state(w, 'computed')['member_result'])}/approve",
        name="POST /rating-results/{id}/approve",
        allowed=MANAGERS,
        hidden_404=[*MEMBERS_ONLY, "outsider"],
        headers_factory=_result_version("computed"),
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-results/{pk(_state(w, 'computed')['member_result'])}/change",
        name="POST /rating-results/{id}/change",
        allowed=MANAGERS,
        hidden_404=[*MEMBERS_ONLY, "outsider"],
        headers_factory=_result_version("computed"),
        body_factory=lambda w: {"stars": 5, "reason": "表现突出"},
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-results/{pk(_state(w, 'published')['member_result'])}/corrections",
        name="POST /rating-results/{id}/corrections",
        allowed=MANAGERS,
        hidden_404=[*MEMBERS_ONLY, "outsider"],
        headers_factory=_result_version("published"),
        body_factory=lambda w: {"stars": 1, "reason": "核实后更正"},
        expect=201,
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-periods/{_pid(w, 'members_approved')}/branches/{pk(w.branch)}/approve-branch",
        name="POST /rating-periods/{id}/branches/{branch_id}/approve-branch",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        headers_factory=_result_version("members_approved", "branch_result"),
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-periods/{_pid(w, 'marked')}/approve",
        name="POST /rating-periods/{id}/approve",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        headers_factory=_period_version("marked"),
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-periods/{_pid(w, 'branch_approved')}/publish",
        name="POST /rating-periods/{id}/publish",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        headers_factory=_period_version("branch_approved"),
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}/export.xlsx",
        name="GET /rating-periods/{id}/export.xlsx",
        allowed=MANAGERS,
        denied_403=MEMBERS_ONLY,
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-honours",
        name="GET /rating-honours",
        allowed=[*MANAGERS, "outsider"],  # their own branch's (none)
        denied_403=MEMBERS_ONLY,
        hidden_404=(),
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-honours",
        name="POST /rating-honours",
        allowed=MANAGERS,
        denied_403=MEMBERS_ONLY,
        body_factory=_kept_pledge,
        expect=201,
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-honours/{_honour(w)}/select",
        name="POST /rating-honours/{id}/select",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        headers_factory=_honour_version,
        body_factory=lambda w: {"reason": "群众公认"},
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-honours/{_honour(w)}/unselect",
        name="POST /rating-honours/{id}/unselect",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        headers_factory=_honour_version,
        body_factory=lambda w: {"reason": "重复"},
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-honours/candidates?unit_id={pk(w.town)}&year=2026",
        name="GET /rating-honours/candidates",
        allowed=[*MANAGERS, "outsider"],
        denied_403=MEMBERS_ONLY,
        hidden_404=(),
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)


def test_the_branch_status_row_is_what_publication_reads(world: World) -> None:
    state = _state(world, "published")
    assert world.db is not None
    row = world.db.execute(
        select(RatingBranchStatus).where(col(RatingBranchStatus.period_id) == state["period"].id)
    ).scalar_one()
    assert row.published_at is not None
