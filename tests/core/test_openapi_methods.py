"""405 names the methods the path really has (the Allow header), on every operation of the app."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _operations(app) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Each path template of the OpenAPI document with the methods it has."""
    paths: dict[str, set[str]] = {}
    for path, item in app.openapi()["paths"].items():
        paths[path] = {m.upper() for m in item if m.upper() in METHODS}
    return paths


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_405_names_the_methods_of_its_path(client: TestClient, app_instance) -> None:  # type: ignore[no-untyped-def]
    wrong = []
    templates = _operations(app_instance)
    for template, methods in templates.items():
        url = _concrete(template)
        # another template may match the same concrete URL (e.g. /units/{id} and /units/tree): the
        # methods of every template that matches it are allowed
        for method in sorted(set(METHODS) - methods):
            r = client.request(method, url)
            if r.status_code != 405:
                continue
            allow = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
            expected = set()
            for other, other_methods in templates.items():
                pattern = "^" + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(other)) + "$"
                if re.match(pattern, url):
                    expected |= other_methods
            if "GET" in expected:
                expected.add("HEAD")
            if allow != expected:
                wrong.append((method, url, sorted(allow), sorted(expected)))
    assert not wrong, wrong


def test_put_on_approve_names_post(client: TestClient, world) -> None:  # type: ignore[no-untyped-def]
    r = client.put("/api/v1/pledges/1/approve", headers=world.secretary.headers)
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("method", ["DELETE", "PUT"])
def test_405_under_b_is_a_page(client: TestClient, method: str) -> None:
    r = client.request(method, "/b/sometoken")
    assert r.status_code in (404, 405)
    assert r.headers["content-type"].startswith("text/html")
