"""The permission matrix of the branch tiers, their 整顿 plans, the ranking's publication, its public
page and 十佳支书: every endpoint × every persona (tests/matrix.py). The tiers stand on 大洼社区党支部
(the secretary's branch); the outsider is the secretary of another branch."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.appraisal.models_tiers import (
    BranchTier,
    RankingPublication,
    RankingStatus,
    RectificationStep,
    StepStatus,
    Tier,
    TierStatus,
)
from app.core.time import today_local
from tests.appraisal.tiers_factories import YEAR, year_levels
from tests.factories import World
from tests.matrix import ANONYMOUS, PERSONAS, Case, check, params

API = "/api/v1"
EVERYONE = list(PERSONAS)
BRANCH_ONLY = ["group_leader", "member", "supervisor"]
NOT_ADMIN = [p for p in PERSONAS if p != "committee_admin"]


def _tier(w: World, status: TierStatus = TierStatus.proposed, tier: Tier | None = None) -> BranchTier:
    assert w.db is not None
    row = BranchTier(
        committee_id=w.town.id or 0,
        branch_id=w.branch.id or 0,
        year=YEAR,
        status=status,
        proposed_tier=Tier.backward,
        tier=tier,
        stars=2,
    )
    w.db.add(row)
    w.db.flush()
    return row


def _step(w: World, *, done: bool = False) -> tuple[BranchTier, RectificationStep]:
    assert w.db is not None
    tier = _tier(w, TierStatus.rectifying, Tier.backward)
    step = RectificationStep(
        tier_id=tier.id or 0,
        branch_id=tier.branch_id,
        title="调整班子",
        due_on=today_local(),
        status=StepStatus.done if done else StepStatus.planned,
    )
    w.db.add(step)
    w.db.flush()
    return tier, step


def _publication(w: World) -> RankingPublication:
    assert w.db is not None
    row = RankingPublication(
        unit_id=w.town.id or 0, year=YEAR, title="排行榜", token="matrix-ranking-token", status=RankingStatus.published
    )
    w.db.add(row)
    w.db.flush()
    return row


def _levels(w: World) -> dict[str, int]:
    assert w.db is not None
    year_levels(w.db, w)
    return {"unit_id": w.town.id or 0, "year": YEAR}


V1 = {"If-Match": '"1"'}
ADMIN_ONLY = {"allowed": ["committee_admin"], "denied_403": ["secretary"], "hidden_404": ["outsider", *BRANCH_ONLY]}
SEEN = {"allowed": ["committee_admin", "secretary"], "hidden_404": ["outsider", *BRANCH_ONLY]}

CASES = [
    Case(
        "GET",
        lambda w: f"{API}/branch-tiers?unit_id={_tier(w).committee_id}&year={YEAR}",
        name="GET /branch-tiers?unit_id=town",
        allowed=["committee_admin"],
        hidden_404=["outsider", "secretary", *BRANCH_ONLY],
    ),
    Case(
        "GET",
        lambda w: f"{API}/branch-tiers?branch_id={_tier(w).branch_id}",
        name="GET /branch-tiers",
        allowed=["committee_admin", "secretary", "outsider"],
        denied_403=BRANCH_ONLY,
        hidden_404=(),
    ),
    Case("GET", lambda w: f"{API}/branch-tiers/{_tier(w).id}", name="GET /branch-tiers/{id}", **SEEN),
    Case("GET", lambda w: f"{API}/branch-tiers/{_tier(w).id}/events", name="GET /branch-tiers/{id}/events", **SEEN),
    Case(
        "POST",
        lambda w: f"{API}/branch-tiers/propose",
        name="POST /branch-tiers/propose",
        allowed=["committee_admin"],
        hidden_404=NOT_ADMIN,
        body_factory=_levels,
    ),
    Case(
        "PUT",
        lambda w: f"{API}/branch-tiers/{_tier(w).id}/items",
        name="PUT /branch-tiers/{id}/items",
        body_factory=lambda w: {"items": {"team": True}},
        headers_factory=lambda w: V1,
        **ADMIN_ONLY,
    ),
    Case(
        "POST",
        lambda w: f"{API}/branch-tiers/{_tier(w).id}/approve",
        name="POST /branch-tiers/{id}/approve",
        body_factory=lambda w: {},
        headers_factory=lambda w: V1,
        **ADMIN_ONLY,
    ),
    Case(
        "POST",
        lambda w: f"{API}/branch-tiers/{_tier(w, TierStatus.approved, Tier.backward).id}/change",
        name="POST /branch-tiers/{id}/change",
        body_factory=lambda w: {"tier": "ordinary", "reason": "动态升级"},
        headers_factory=lambda w: V1,
        **ADMIN_ONLY,
    ),
    Case(
        "POST",
        lambda w: f"{API}/branch-tiers/{_tier(w, TierStatus.approved, Tier.backward).id}/reopen",
        name="POST /branch-tiers/{id}/reopen",
        body_factory=lambda w: {"reason": "重算"},
        headers_factory=lambda w: V1,
        **ADMIN_ONLY,
    ),
    Case(
        "POST",
        lambda w: f"{API}/branch-tiers/{_tier(w, TierStatus.approved, Tier.backward).id}/rectify",
        name="POST /branch-tiers/{id}/rectify",
        body_factory=lambda w: {},
        headers_factory=lambda w: V1,
        **ADMIN_ONLY,
    ),
    Case(
        "POST",
        lambda w: f"{API}/branch-tiers/{_step(w, done=True)[0].id}/lift",
        name="POST /branch-tiers/{id}/lift",
        body_factory=lambda w: {"reason": "整顿到位"},
        headers_factory=lambda w: V1,
        **ADMIN_ONLY,
    ),
    Case(
        "POST",
        lambda w: f"{API}/branch-tiers/{_tier(w, TierStatus.approved, Tier.backward).id}/steps",
        name="POST /branch-tiers/{id}/steps",
        body_factory=lambda w: {"title": "建立联系户制度", "due_on": "2027-06-30"},
        expect=201,
        **ADMIN_ONLY,
    ),
    Case(
        "POST",
        lambda w: "{}/branch-tiers/{}/steps/{}/complete".format(API, *(r.id for r in _step(w))),
        name="POST /branch-tiers/{id}/steps/{step_id}/complete",
        body_factory=lambda w: {"reason": "已完成"},
        headers_factory=lambda w: V1,
        **SEEN,
    ),
    Case(
        "POST",
        lambda w: "{}/branch-tiers/{}/steps/{}/undo".format(API, *(r.id for r in _step(w, done=True))),
        name="POST /branch-tiers/{id}/steps/{step_id}/undo",
        body_factory=lambda w: {"reason": "返工"},
        headers_factory=lambda w: V1,
        **SEEN,
    ),
    Case(
        "POST",
        lambda w: "{}/branch-tiers/{}/steps/{}/drop".format(API, *(r.id for r in _step(w))),
        name="POST /branch-tiers/{id}/steps/{step_id}/drop",
        body_factory=lambda w: {"reason": "并入明年"},
        headers_factory=lambda w: V1,
        **ADMIN_ONLY,
    ),
    Case(
        "GET",
        lambda w: f"{API}/rankings",
        name="GET /rankings",
        allowed=["committee_admin"],
        denied_403=NOT_ADMIN,
        hidden_404=(),
    ),
    Case(
        "GET",
        lambda w: f"{API}/rankings/preview?unit_id={w.town.id}&year={YEAR}",
        name="GET /rankings/preview",
        allowed=["committee_admin"],
        hidden_404=NOT_ADMIN,
    ),
    Case(
        "POST",
        lambda w: f"{API}/rankings",
        name="POST /rankings",
        allowed=["committee_admin"],
        hidden_404=NOT_ADMIN,
        body_factory=lambda w: {"unit_id": w.town.id, "year": YEAR},
        expect=201,
    ),
    Case(
        "POST",
        lambda w: f"{API}/rankings/{_publication(w).id}/withdraw",
        name="POST /rankings/{id}/withdraw",
        allowed=["committee_admin"],
        hidden_404=NOT_ADMIN,
        body_factory=lambda w: {"reason": "数据有误"},
        headers_factory=lambda w: V1,
    ),
    Case(
        "GET",
        lambda w: f"/r/{_publication(w).token}",
        name="GET /r/{token}",
        allowed=[ANONYMOUS, *EVERYONE],
        hidden_404=(),
    ),
    Case(
        "POST",
        lambda w: f"{API}/rating-honours/secretaries",
        name="POST /rating-honours/secretaries",
        allowed=["committee_admin"],
        denied_403=["secretary", *BRANCH_ONLY],
        hidden_404=["outsider"],
        body_factory=lambda w: {"member_id": w.secretary.member_id, "year": YEAR},
        expect=201,
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
