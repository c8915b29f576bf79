"""The OpenAPI document declares what the server answers: problem+json for every error of each kind
of route, If-Match required where its absence is a 428; path parameters are checked before If-Match."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import World

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def document(app_instance) -> dict:  # type: ignore[no-untyped-def]
    return app_instance.openapi()


def _operations(document: dict):  # type: ignore[no-untyped-def]
    for path, item in document["paths"].items():
        for method, op in item.items():
            yield path, method, op


def test_if_match_is_required_where_its_absence_is_428(document: dict) -> None:
    params = {
        (path, method): p
        for path, method, op in _operations(document)
        for p in op.get("parameters", [])
        if p["name"] == "If-Match"
    }
    assert params[("/api/v1/pledges/{pledge_id}/approve", "post")]["required"] is True
    assert params[("/api/v1/pledges/{pledge_id}", "patch")]["required"] is True
    # a policy not written yet takes no version: optional there
    assert params[("/api/v1/rating-policies/{unit_id}", "put")].get("required", False) is False
    assert sum(1 for p in params.values() if p.get("required")) >= 20


def test_every_operation_declares_its_problems(document: dict) -> None:
    missing = []
    for path, method, op in _operations(document):
        responses = op["responses"]
        expected = {"422", "429"} | ({"401", "403", "404"} if op.get("security") else {"401"})
        if any(p["name"] == "If-Match" for p in op.get("parameters", [])):
            expected |= {"409", "412", "428"}
        for status in expected:
            content = responses.get(status, {}).get("content", {})
            if PROBLEM not in content or "application/json" in content:
                missing.append((method, path, status))
    assert not missing, missing[:20]
    assert document["components"]["schemas"]["Problem"]["properties"]["code"]["type"] == "string"


def test_a_missing_if_match_answers_428_as_declared(client: TestClient, world: World) -> None:
    r = client.post("/api/v1/pledges/1/approve", headers=world.secretary.headers)
    assert r.status_code in (404, 428)
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/pledges/abc/approve"),
        ("PATCH", "/api/v1/pledges/1.5"),
        ("POST", "/api/v1/pledges/x/submit"),
    ],
)
def test_path_parameters_are_checked_before_if_match(client: TestClient, world: World, method: str, path: str) -> None:
    r = client.request(method, path, headers=world.secretary.headers, json={})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "validation_error"
