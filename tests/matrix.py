"""The permission matrix: every endpoint × every persona, as a table.

Each endpoint is one `Case`. It names, for every persona, what must happen:

- `allowed`     → a 2xx (or exactly `expect` when given);
- `denied_403`  → 403 (the persona can see the thing, but its role may not do this);
- `hidden_404`  → 404 (the thing is outside the persona's scope; "outsider" by default);
- anonymous     → 401, always (unless "anonymous" is listed in `allowed`, for public endpoints).

Every persona in PERSONAS must appear in exactly one of the three lists, so a new role or a
forgotten persona fails loudly instead of silently going untested.

Each (case, persona) pair runs as its own test with a fresh `world` (the `world` fixture is
per-test and rolled back), so an allowed call that changes state never leaks into the next one.
Factories get the world; `world.db` is the test session, for creating the object a path needs.

Usage in a domain's test file:

    from tests.matrix import Case, check, params

    CASES = [
        Case("GET", lambda w: f"/api/v1/pledges/{make_pledge(w).id}", name="GET /pledges/{id}",
             allowed=["secretary", "member", "group_leader", "supervisor", "committee_admin"]),
        Case("POST", lambda w: f"/api/v1/pledges/{make_pledge(w).id}/approve", name="POST /pledges/{id}/approve",
             allowed=["secretary", "committee_admin"],
             denied_403=["member", "group_leader", "supervisor"],
             headers_factory=lambda w: {"If-Match": '"1"'}),
    ]

    @pytest.mark.parametrize(("case", "persona"), params(CASES))
    def test_permission_matrix(client, world, case, persona):
        check(client, world, case, persona)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.factories import World

PERSONAS: tuple[str, ...] = ("committee_admin", "secretary", "group_leader", "member", "supervisor", "outsider")
ANONYMOUS = "anonymous"

Factory = Callable[[World], Any]


@dataclass(frozen=True)
class Case:
    """One endpoint and what each persona must get from it."""

    method: str
    path_factory: Callable[[World], str]
    allowed: Sequence[str]
    denied_403: Sequence[str] = ()
    hidden_404: Sequence[str] = ("outsider",)
    body_factory: Factory | None = None  # JSON body; use `form=True` to send it as a form
    headers_factory: Callable[[World], dict[str, str]] | None = None  # extra headers (If-Match, …)
    expect: int | None = None  # the exact success status; None accepts any 2xx
    form: bool = False
    name: str = ""  # a readable test id, e.g. "GET /units/{id}"; defaults to the method

    def __post_init__(self) -> None:
        listed = [*self.allowed, *self.denied_403, *self.hidden_404]
        named = [p for p in listed if p != ANONYMOUS]
        duplicates = {p for p in named if named.count(p) > 1}
        assert not duplicates, f"{self.label}: {duplicates} listed twice"
        unknown = set(named) - set(PERSONAS)
        assert not unknown, f"{self.label}: unknown personas {unknown}"
        missing = set(PERSONAS) - set(named)
        assert not missing, f"{self.label}: say what {sorted(missing)} should get"

    @property
    def label(self) -> str:
        return self.name or self.method

    def expectations(self) -> list[tuple[str, int | None]]:
        """(persona, status) pairs; None means "any 2xx" (or `expect`)."""
        out: list[tuple[str, int | None]] = [] if ANONYMOUS in self.allowed else [(ANONYMOUS, 401)]
        out += [(p, None) for p in self.allowed]
        out += [(p, 403) for p in self.denied_403]
        out += [(p, 404) for p in self.hidden_404]
        return out


def params(cases: Iterable[Case]) -> list[Any]:
    """pytest parameters (case, persona) with readable ids, one per matrix cell."""
    out = []
    for case in cases:
        for persona, status in case.expectations():
            want = status if status is not None else (case.expect or "2xx")
            out.append(pytest.param(case, persona, id=f"{case.label} | {persona} → {want}"))
    return out


def call(client: TestClient, world: World, case: Case, persona: str) -> Response:
    """Make the request of `case` as `persona` (headers of the persona + the case's own)."""
    headers = dict(getattr(world, persona).headers) if persona != ANONYMOUS else {}
    if case.headers_factory is not None:
        headers.update(case.headers_factory(world))
    path = case.path_factory(world)
    kwargs: dict[str, Any] = {"headers": headers}
    if case.body_factory is not None:
        kwargs["data" if case.form else "json"] = case.body_factory(world)
    return client.request(case.method, path, **kwargs)


def check(client: TestClient, world: World, case: Case, persona: str) -> Response:
    """Assert what `persona` gets from `case`; errors must be problem+json with a code and detail."""
    expected = dict(case.expectations())[persona]
    response = call(client, world, case, persona)
    where = f"{case.label} as {persona}: {response.status_code} {response.text[:300]}"
    if expected is None:
        if case.expect is not None:
            assert response.status_code == case.expect, where
        else:
            assert 200 <= response.status_code < 300, where
        return response
    assert response.status_code == expected, where
    assert response.headers["content-type"].startswith("application/problem+json"), where
    body = response.json()
    assert body["status"] == expected, where
    assert body["code"], where
    assert body["detail"], where
    return response
