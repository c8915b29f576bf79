"""The year a tier is proposed from: the town's year period with each branch's decided level, written
straight in (as the ratings tests do), and helpers to call the tier API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.ratings.models import PeriodStatus, RatingPeriod
from app.ratings.rules import PolicyRules
from tests.factories import Persona, World
from tests.ratings.results_factories import add_result, make_period

API = "/api/v1"
YEAR = 2026
# by hand, default lines (先进 ≥ 四星, 后进 ≤ 二星): 大洼 355 分四星 → 先进; 花车 230 分一星 → 后进
BRANCH_SCORE, BRANCH_STARS = 355.0, 4
OTHER_SCORE, OTHER_STARS = 230.0, 1


def year_levels(
    db: Session, world: World, *, status: PeriodStatus = PeriodStatus.published, rules: PolicyRules | None = None
) -> RatingPeriod:
    period = make_period(db, world.town, quarter=None, year=YEAR, status=status, rules=rules)
    add_result(db, period, branch=world.branch, score=BRANCH_SCORE, stars=BRANCH_STARS)
    add_result(db, period, branch=world.other_branch, score=OTHER_SCORE, stars=OTHER_STARS)
    return period


def h(persona: Persona, version: int | None = None) -> dict[str, str]:
    out = dict(persona.headers)
    if version is not None:
        out["If-Match"] = f'"{version}"'
    return out


def propose(client: TestClient, world: World) -> None:
    r = client.post(
        f"{API}/branch-tiers/propose", json={"unit_id": world.town.id, "year": YEAR}, headers=h(world.committee_admin)
    )
    assert r.status_code == 200, r.text


def tier_of(client: TestClient, world: World, branch_id: int, persona: Persona | None = None) -> dict[str, Any]:
    r = client.get(f"{API}/branch-tiers", params={"branch_id": branch_id}, headers=h(persona or world.committee_admin))
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    return item


def act(
    client: TestClient, persona: Persona, tier: dict[str, Any], action: str, body: dict[str, Any] | None = None
) -> Any:
    return client.post(
        f"{API}/branch-tiers/{tier['id']}/{action}", json=body or {}, headers=h(persona, tier["version"])
    )
