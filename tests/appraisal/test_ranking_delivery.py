"""The public ranking /r/{token} on the boards' path: HEAD answered like GET (the same headers, the
length included, no body), the stored brotli bytes with a strong ETag and 304, a repeat answered by
the fast lane from the process memo (boards.fast.ranking) without the route, and a withdrawal or a
republish seen on the very next request (a republish is a new ETag, even with the same figures)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.boards import fast
from app.boards import ranking as ranking_page
from app.core.config import settings
from tests.appraisal.test_ranking import town
from tests.appraisal.tiers_factories import API, YEAR, h
from tests.core.test_compression import BR, IDENTITY, decoded, raw
from tests.factories import World

VOLATILE = ("x-request-id", "date")


def _headers(r: Any) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k not in VOLATILE}


def _publish(client: TestClient, world: World) -> dict[str, Any]:
    r = client.post(f"{API}/rankings", json={"unit_id": world.town.id, "year": YEAR}, headers=h(world.committee_admin))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _withdraw(client: TestClient, world: World, pub: dict[str, Any]) -> dict[str, Any]:
    r = client.post(
        f"{API}/rankings/{pub['id']}/withdraw",
        json={"reason": "数据复核"},
        headers=h(world.committee_admin, pub["version"]),
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


@pytest.fixture
def spied(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[bool]]:
    """The route's renders and the fast lane's look-ups (True: answered from the memo)."""
    monkeypatch.setattr(settings, "public_recheck_seconds", 60.0)
    renders: list[str] = []
    real = ranking_page.ranking_page
    monkeypatch.setattr(ranking_page, "ranking_page", lambda *a: renders.append("route") or real(*a))  # type: ignore[func-returns-value]
    hits: list[bool] = []
    looked_up = fast.remembered

    async def spying(key: tuple[object, ...]) -> object:
        found = await looked_up(key)
        hits.append(found is not None)
        return found

    monkeypatch.setattr(fast, "remembered", spying)
    return renders, hits


def test_head_answers_like_get_without_a_body(client: TestClient, world: World, db: Session) -> None:
    town(client, world, db)
    path = "/r/" + _publish(client, world)["url"].rsplit("/r/", 1)[1]
    for accept in (BR, IDENTITY):
        got, body = raw(client, path, accept)
        head, empty = raw(client, path, accept, method="HEAD")
        assert (got.status_code, head.status_code) == (200, 200)
        assert _headers(head) == _headers(got)
        assert empty == b""
        assert int(head.headers["content-length"]) == len(body)
        assert got.headers.get("content-encoding") == ("br" if accept is BR else None)
        assert "大洼社区党支部" in decoded(got, body).decode()
    # a 304 for HEAD too; unknown and other addresses: the Chinese 404 page
    head, _ = raw(client, path, BR | {"If-None-Match": got.headers["etag"]}, method="HEAD")
    assert head.status_code == 304
    gone = client.head("/r/not-a-token")
    assert (gone.status_code, gone.headers["content-type"]) == (404, "text/html; charset=utf-8")


def test_a_repeat_comes_from_the_fast_lane_and_a_decision_shows_at_once(
    client: TestClient, world: World, db: Session, spied: tuple[list[str], list[bool]]
) -> None:
    renders, hits = spied
    town(client, world, db)
    pub = _publish(client, world)
    path = "/r/" + pub["url"].rsplit("/r/", 1)[1]
    seen = []
    for _ in range(2):
        r, body = raw(client, path, BR)
        assert r.status_code == 200
        seen.append((body, _headers(r)))
    assert seen[0] == seen[1]  # the same bytes and headers from the lane as from the route
    assert renders == ["route"]
    assert hits == [False, True]
    etag = seen[0][1]["etag"]
    not_modified, empty = raw(client, path, BR | {"If-None-Match": etag})
    assert (not_modified.status_code, empty) == (304, b"")
    assert renders == ["route"]
    assert "公布" in decoded(r, seen[0][0]).decode()

    # withdrawn: the next request is the Chinese 404 page (the memo forgot the page with the write)
    pub = _withdraw(client, world, pub)
    gone = client.get(path, headers={"If-None-Match": etag})
    assert gone.status_code == 404
    assert "未找到该排行榜" in gone.text
    assert client.head(path).status_code == 404

    # published again, the figures unchanged: the same address, a new ETag; the old one is no 304
    again = _publish(client, world)
    assert again["url"] == pub["url"]
    fresh, _ = raw(client, path, BR | {"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag
    assert raw(client, path, BR | {"If-None-Match": fresh.headers["etag"]})[0].status_code == 304
