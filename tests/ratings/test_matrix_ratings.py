"""The permission matrix of ratings-core: every endpoint of policies, periods, self statements, peer
reviews, flags and assessments × every persona (tests/matrix.py).

The periods here belong to the world's branch (大洼社区党支部), so the outsider (a secretary of
another branch) cannot see them: 404. A period of the whole town would be visible to them too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.permissions import SYSTEM
from app.ratings import periods
from app.ratings.models import (
    FlagKind,
    PeerFlag,
    PeriodKind,
    PeriodStatus,
    RatingPeriod,
    SelfStatement,
)
from app.ratings.schemas import PeriodCreate
from app.ratings.states import Action
from tests.factories import World, create_member
from tests.matrix import Case, check, params

API = "/api/v1"
BRANCH_MEMBERS = ["secretary", "group_leader", "member", "supervisor"]
NOT_MANAGERS = ["group_leader", "member", "supervisor"]
NOT_ADMINS = ["secretary", *NOT_MANAGERS]


def _period(w: World, status: PeriodStatus = PeriodStatus.open) -> RatingPeriod:
    """A period of the world's branch, moved to `status` the way the table allows."""
    assert w.db is not None
    data = PeriodCreate(unit_id=w.branch.id or 0, kind=PeriodKind.quarter, year=2026, quarter=3)
    period, _unit = periods.create_period(w.db, actor=SYSTEM, data=data)
    path = {
        PeriodStatus.draft: [],
        PeriodStatus.open: [Action.open],
        PeriodStatus.assessing: [Action.open, Action.close_reviews],
        PeriodStatus.computed: [Action.open, Action.close_reviews, Action.compute],
        PeriodStatus.approved: [Action.open, Action.close_reviews, Action.compute, Action.approve],
    }[status]
    for action in path:
        periods.transition(w.db, period, action, actor=SYSTEM, expected_version=period.version)
    return period


def _pid(w: World, status: PeriodStatus = PeriodStatus.open) -> int:
    return _period(w, status).id or 0


def _peer(w: World) -> int:
    """A member of the branch whom every persona of the branch may review and the secretary assess."""
    assert w.db is not None
    return create_member(w.db, branch=w.branch, group=w.group, name="被评党员").id or 0


def _with_statements(w: World) -> str:
    assert w.db is not None
    pid = _pid(w)
    for label in BRANCH_MEMBERS:
        persona = getattr(w, label)
        w.db.add(SelfStatement(period_id=pid, member_id=persona.member_id, branch_id=w.branch.id or 0, text="自评"))
    w.db.flush()
    return f"{API}/rating-periods/{pid}/self-statement"


def _flag(w: World) -> str:
    assert w.db is not None
    pid = _pid(w, PeriodStatus.assessing)
    flag = PeerFlag(period_id=pid, branch_id=w.branch.id or 0, kind=FlagKind.uniform, reviewer_member_id=_peer(w))
    w.db.add(flag)
    w.db.flush()
    return f"{API}/rating-periods/{pid}/peer-flags/{flag.id}/discard"


def _match(version: int) -> Any:
    return lambda _w: {"If-Match": f'"{version}"'}


def _reason(_w: World) -> dict[str, str]:
    return {"reason": "原因"}


# versions: created 1, open 2, assessing 3, computed 4, approved 5
CASES = [
    # ---- policies
    Case(
        "GET",
        lambda w: f"{API}/rating-policies",
        name="GET /rating-policies",
        allowed=["committee_admin"],
        denied_403=[*NOT_ADMINS, "outsider"],
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-policies/{w.branch.id}",
        name="GET /rating-policies/{unit_id}",
        allowed=["committee_admin", *BRANCH_MEMBERS],
    ),
    Case(
        "PUT",
        lambda w: f"{API}/rating-policies/{w.branch.id}",
        name="PUT /rating-policies/{unit_id}",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        body_factory=lambda w: {},
    ),
    Case(
        "DELETE",
        lambda w: f"{API}/rating-policies/{w.branch.id}",
        name="DELETE /rating-policies/{unit_id}",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        headers_factory=_match(0),
    ),
    # ---- periods
    Case(
        "POST",
        lambda w: f"{API}/rating-periods",
        name="POST /rating-periods",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        body_factory=lambda w: {"unit_id": w.branch.id, "kind": "year", "year": 2026},
        expect=201,
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods?unit_id={_pid(w) and w.branch.id}",
        name="GET /rating-periods",
        allowed=["committee_admin", *BRANCH_MEMBERS, "outsider"],
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}",
        name="GET /rating-periods/{id}",
        allowed=["committee_admin", *BRANCH_MEMBERS],
    ),
    Case(
        "PATCH",
        lambda w: f"{API}/rating-periods/{_pid(w, PeriodStatus.draft)}",
        name="PATCH /rating-periods/{id}",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        body_factory=lambda w: {"review_due": str(date(2026, 9, 20))},
        headers_factory=_match(1),
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}/events",
        name="GET /rating-periods/{id}/events",
        allowed=["committee_admin", *BRANCH_MEMBERS],
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}/branches",
        name="GET /rating-periods/{id}/branches",
        allowed=["committee_admin", "secretary"],
        denied_403=NOT_MANAGERS,
    ),
]

for _slug, _status, _version, _body in (
    ("open", PeriodStatus.draft, 1, None),
    ("reopen", PeriodStatus.open, 2, _reason),
    ("close_reviews", PeriodStatus.open, 2, None),
    ("back_to_reviews", PeriodStatus.assessing, 3, _reason),
    ("back_to_assessing", PeriodStatus.computed, 4, _reason),
    ("unapprove", PeriodStatus.approved, 5, _reason),
):
    CASES.append(
        Case(
            "POST",
            lambda w, s=_status, a=_slug: f"{API}/rating-periods/{_pid(w, s)}/{a}",
            name=f"POST /rating-periods/{{id}}/{_slug}",
            allowed=["committee_admin"],
            denied_403=NOT_ADMINS,
            body_factory=_body,
            headers_factory=_match(_version),
        )
    )

CASES += [
    # ---- self statements and peer reviews
    Case(
        "GET",
        _with_statements,
        name="GET /rating-periods/{id}/self-statement",
        allowed=BRANCH_MEMBERS,
        denied_403=["committee_admin"],  # a member of another branch (机关) takes no part here
    ),
    Case(
        "PUT",
        lambda w: f"{API}/rating-periods/{_pid(w)}/self-statement",
        name="PUT /rating-periods/{id}/self-statement",
        allowed=BRANCH_MEMBERS,
        denied_403=["committee_admin"],
        body_factory=lambda w: {"text": "本季度按时完成承诺。"},
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}/peer-reviews/mine",
        name="GET /rating-periods/{id}/peer-reviews/mine",
        allowed=BRANCH_MEMBERS,
        denied_403=["committee_admin"],
    ),
    Case(
        "PUT",
        lambda w: f"{API}/rating-periods/{_pid(w)}/peer-reviews/{_peer(w)}",
        name="PUT /rating-periods/{id}/peer-reviews/{member_id}",
        allowed=BRANCH_MEMBERS,
        denied_403=["committee_admin"],
        body_factory=lambda w: {"value": 4},
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-periods/{_pid(w)}/peer-reviews",
        name="POST /rating-periods/{id}/peer-reviews",
        allowed=BRANCH_MEMBERS,
        denied_403=["committee_admin"],
        body_factory=lambda w: {"reviews": [{"member_id": _peer(w), "value": 5}]},
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}/peer-reviews/progress?branch_id={w.branch.id}",
        name="GET /rating-periods/{id}/peer-reviews/progress",
        allowed=["committee_admin", "secretary"],
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}/peer-flags?branch_id={w.branch.id}",
        name="GET /rating-periods/{id}/peer-flags",
        allowed=["committee_admin", "secretary"],
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "POST",
        _flag,
        name="POST /rating-periods/{id}/peer-flags/{flag_id}/discard",
        allowed=["committee_admin", "secretary"],
        denied_403=NOT_MANAGERS,
        body_factory=_reason,
    ),
    # ---- assessments
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}/assessments?branch_id={w.branch.id}",
        name="GET /rating-periods/{id}/assessments?branch_id=",
        allowed=["committee_admin", "secretary"],
        denied_403=NOT_MANAGERS,
    ),
    Case(
        "GET",
        lambda w: f"{API}/rating-periods/{_pid(w)}/assessments?subject_kind=branch",
        name="GET /rating-periods/{id}/assessments?subject_kind=branch",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
    ),
    Case(
        "PUT",
        lambda w: f"{API}/rating-periods/{_pid(w)}/assessments/member/{_peer(w)}",
        name="PUT /rating-periods/{id}/assessments/member/{member_id}",
        allowed=["committee_admin", "secretary"],
        denied_403=NOT_MANAGERS,
        body_factory=lambda w: {"items": {"political": 18}},
    ),
    Case(
        "PUT",
        lambda w: f"{API}/rating-periods/{_pid(w)}/assessments/branch/{w.branch.id}",
        name="PUT /rating-periods/{id}/assessments/branch/{branch_id}",
        allowed=["committee_admin"],
        denied_403=NOT_ADMINS,
        body_factory=lambda w: {"items": {"team": 20}},
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
