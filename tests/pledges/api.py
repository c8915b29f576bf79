"""Small HTTP helpers for pledge tests: an action with the current ETag as If-Match, and so on."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.factories import Persona

API = "/api/v1"


def get(client: TestClient, who: Persona, pledge_id: int) -> Response:
    return client.get(f"{API}/pledges/{pledge_id}", headers=who.headers)


def etag_of(client: TestClient, who: Persona, pledge_id: int) -> str:
    r = get(client, who, pledge_id)
    assert r.status_code == 200, r.text
    return r.headers["etag"]


def act(
    client: TestClient, who: Persona, pledge_id: int, action: str, *, etag: str | None = None, **body: Any
) -> Response:
    """POST /pledges/{id}/{action} as `who`, with If-Match set to the pledge's current ETag."""
    if etag is None:
        etag = client.get(f"{API}/pledges/{pledge_id}", headers=who.headers).headers.get("etag", '"0"')
    return client.post(
        f"{API}/pledges/{pledge_id}/{action.replace('_', '-')}",
        json=body or None,
        headers={**who.headers, "If-Match": etag},
    )


def ok(response: Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def create(client: TestClient, who: Persona, **body: Any) -> dict[str, Any]:
    body.setdefault("title", "义务维修组内路灯")
    body.setdefault("content", "每月检查一次组内路灯，坏了当周修好。")
    body.setdefault("category", "public_service")
    return ok(client.post(f"{API}/pledges", json=body, headers=who.headers), 201)


def progress(
    client: TestClient,
    who: Persona,
    pledge_id: int,
    text: str = "已修好两盏路灯",
    files: list[Any] | None = None,
    **form: Any,
) -> Response:
    return client.post(
        f"{API}/pledges/{pledge_id}/progress", data={"text": text, **form}, files=files or None, headers=who.headers
    )
