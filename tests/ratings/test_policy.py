"""Rating policies: validation with clear Chinese errors, inheritance down the tree, versions, and
a policy frozen in a period once it opens."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.permissions import SYSTEM
from app.ratings import policy
from app.ratings.rules import PolicyRules, Weights
from tests.factories import World
from tests.ratings.core_factories import API, headers, open_period


def _rules(**changes: Any) -> dict[str, Any]:
    data = PolicyRules().model_dump(mode="json")
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return data


def test_defaults_apply_when_no_unit_has_a_policy(client: TestClient, world: World) -> None:
    r = client.get(f"{API}/rating-policies/{world.branch.id}", headers=world.member.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["inherited"] is True
    assert body["source_unit_id"] is None
    assert body["rules"]["weights"] == {"peer": 35, "villager": 25, "assessment": 40}
    assert [i["label"] for i in body["rules"]["rubric"]] == ["政治素质", "承诺践诺", "作用发挥", "群众口碑"]
    assert r.headers["ETag"] == '"0"'


def test_a_branch_inherits_from_the_nearest_ancestor(client: TestClient, world: World) -> None:
    admin = world.committee_admin
    town = client.put(
        f"{API}/rating-policies/{world.town.id}",
        json=_rules(weights={"peer": 30, "villager": 30, "assessment": 40}),
        headers=admin.headers,
    )
    assert town.status_code == 200, town.text
    assert town.json()["version"] == 1
    assert town.json()["inherited"] is False
    inherited = client.get(f"{API}/rating-policies/{world.group.id}", headers=world.member.headers).json()
    assert inherited["inherited"] is True
    assert inherited["source_unit_id"] == world.town.id
    assert inherited["rules"]["weights"]["peer"] == 30
    own = client.put(
        f"{API}/rating-policies/{world.branch.id}",
        json=_rules(weights={"peer": 20, "villager": 30, "assessment": 50}),
        headers=admin.headers,
    )
    assert own.status_code == 200
    group = client.get(f"{API}/rating-policies/{world.group.id}", headers=world.member.headers).json()
    assert group["source_unit_id"] == world.branch.id
    assert group["rules"]["weights"]["peer"] == 20
    other = client.get(f"{API}/rating-policies/{world.other_branch.id}", headers=world.outsider.headers).json()
    assert other["source_unit_id"] == world.town.id
    # removing the branch's own policy: it inherits the town's again
    r = client.delete(f"{API}/rating-policies/{world.branch.id}", headers=headers(admin, 1))
    assert r.status_code == 200
    assert r.json()["source_unit_id"] == world.town.id
    listed = client.get(f"{API}/rating-policies", headers=admin.headers).json()
    assert [p["unit_id"] for p in listed["items"]] == [world.town.id]


def test_versions_guard_concurrent_edits(client: TestClient, world: World) -> None:
    admin = world.committee_admin
    url = f"{API}/rating-policies/{world.town.id}"
    assert client.put(url, json=_rules(), headers=admin.headers).status_code == 200
    assert client.put(url, json=_rules(), headers=admin.headers).status_code == 428  # an own policy: If-Match
    assert client.put(url, json=_rules(), headers=headers(admin, 7)).status_code == 412
    r = client.put(url, json=_rules(villager_min_count=5), headers=headers(admin, 1))
    assert r.status_code == 200
    assert r.json()["version"] == 2
    assert r.headers["ETag"] == '"2"'


def test_validation_in_chinese(client: TestClient, world: World) -> None:
    url = f"{API}/rating-policies/{world.town.id}"
    admin = world.committee_admin
    r = client.put(url, json=_rules(weights={"peer": 40, "villager": 40, "assessment": 40}), headers=admin.headers)
    assert r.status_code == 422
    assert r.json()["code"] == "rating_policy_invalid"
    assert "权重之和须为 100（现为 120）" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "weights"
    r = client.put(url, json=_rules(thresholds={"star5": 80, "star4": 85}), headers=admin.headers)
    assert r.status_code == 422
    assert "星级分数线须从五星到二星依次降低" in r.json()["detail"]
    r = client.put(url, json=_rules(thresholds={"star5": 120}), headers=admin.headers)
    assert "五星分数线不能超过满分 100" in r.json()["detail"]
    rubric = [
        {"key": "a", "label": "政治素质", "max_points": 50},
        {"key": "a", "label": "承诺践诺", "max_points": 50, "auto": "pledges"},
    ]
    r = client.put(url, json=_rules(rubric=rubric), headers=admin.headers)
    assert r.status_code == 422
    assert "项目代码不能重复" in r.json()["detail"]
    r = client.put(url, json=_rules(branch_weights={"members": 50}), headers=admin.headers)
    assert "党支部" in r.json()["detail"]
    # the shape is pydantic's: an unknown field, a weight out of range
    assert client.put(url, json={**_rules(), "extra": 1}, headers=admin.headers).status_code == 422
    r = client.put(url, json=_rules(weights={"peer": 101}, peer_scale="x"), headers=admin.headers)
    assert r.status_code == 422
    assert [e["message"] for e in r.json()["errors"]] == ["党员互评不能大于 100", "互评方式应为按星评分或按分数评分"]
    # a year by mean uses the quarter thresholds: its own are not checked against 400
    assert client.put(url, json=_rules(year_combine="mean"), headers=admin.headers).status_code == 200


def test_only_the_committee_sets_a_policy(client: TestClient, world: World) -> None:
    url = f"{API}/rating-policies/{world.branch.id}"
    assert client.put(url, json=_rules(), headers=world.secretary.headers).status_code == 403
    assert client.put(url, json=_rules(), headers=world.outsider.headers).status_code == 404
    assert client.get(url, headers=world.outsider.headers).status_code == 404


def test_a_period_keeps_the_policy_it_opened_with(db: Session, world: World) -> None:
    policy.set_policy(db, actor=SYSTEM, unit=world.town, rules=PolicyRules(villager_min_count=7), expected_version=None)
    period = open_period(db, world)
    policy.set_policy(
        db,
        actor=SYSTEM,
        unit=world.town,
        rules=PolicyRules(villager_min_count=1, weights=Weights(peer=10, villager=10, assessment=80)),
        expected_version=1,
    )
    policy.clear_policy(db, actor=SYSTEM, unit=world.town, expected_version=2)
    assert period.policy_snapshot is not None
    frozen = PolicyRules.model_validate(period.policy_snapshot)
    assert frozen.villager_min_count == 7
    assert frozen.weights.assessment == 40
