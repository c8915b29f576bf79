"""Delivery (issue 9) on the public pages: the boards' cached pages go out as the brotli or gzip bytes
stored with them (never compressed again per request), with their ETag, Vary and 304 intact."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.boards import fast, public_routes
from app.core.config import settings
from app.core.time import today_local
from tests.boards.conftest import Maker, board_path, member_of
from tests.core.test_compression import BR, GZ, IDENTITY, decoded, raw
from tests.factories import World


def test_board_pages_go_as_stored_bytes_with_etag_and_304(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    make.pledge(member=member_of(db, world.member))
    path = board_path(make.board())
    plain = client.get(path, headers=IDENTITY)
    assert plain.status_code == 200
    assert "content-encoding" not in plain.headers
    etag = plain.headers["etag"]
    seen: dict[str, bytes] = {}
    for headers, encoding in ((BR, "br"), (GZ, "gzip")):
        r, body = raw(client, path, headers)
        assert r.headers["content-encoding"] == encoding
        assert r.headers["etag"] == etag
        assert r.headers["vary"] == "Accept-Encoding"
        assert r.headers["x-robots-tag"] == "noindex, nofollow"
        assert decoded(r, body) == plain.content
        _again, body_again = raw(client, path, headers)
        assert body_again == body, "a cached page is sent as the bytes stored with it"
        seen[encoding] = body
        not_modified, empty = raw(client, path, headers | {"If-None-Match": etag})
        assert (not_modified.status_code, empty) == (304, b"")
        assert "content-encoding" not in not_modified.headers
    assert len(seen["br"]) < len(seen["gzip"]) < len(plain.content)


def test_qr_images_are_not_compressed(client: TestClient, world: World, make: Maker) -> None:
    path = board_path(make.board())
    r, _ = raw(client, f"{path}/qr.png", BR)
    assert r.headers["content-type"] == "image/png"
    assert "content-encoding" not in r.headers


def test_a_repeat_is_answered_without_the_thread_and_a_write_here_shows_at_once(
    client: TestClient, db: Session, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PageMemo: within public_recheck_seconds a repeat costs no thread and no query; any write in
    this process (here a flush of the test's session) forgets the pages at once."""
    calls: list[str] = []
    real = public_routes._board_page

    def counting(*args: object) -> object:
        calls.append("board")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(public_routes, "_board_page", counting)
    monkeypatch.setattr(settings, "public_recheck_seconds", 60.0)
    member = member_of(db, world.member)
    make.pledge(member=member, title="修水渠")
    path = board_path(make.board())
    first = client.get(path, headers=BR)
    assert client.get(path, headers=BR).content == first.content
    assert calls == ["board"]
    make.pledge(member=member, title="装路灯")  # flushed in this process
    fresh = client.get(path, headers=BR)
    assert "装路灯" in fresh.text
    assert fresh.headers["etag"] != first.headers["etag"]
    assert calls == ["board", "board"]
    monkeypatch.setattr(settings, "public_recheck_seconds", 0.0)  # 0: the database every time
    client.get(path, headers=BR)
    client.get(path, headers=BR)
    assert calls == ["board", "board", "board", "board"]


@pytest.mark.parametrize("query", ["", "?big=1"])
def test_the_fast_lane_answers_a_repeat_exactly_as_the_route_did(
    client: TestClient, db: Session, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    """The first request goes through the app (the route renders and keeps the page); the repeat is
    answered by boards.fast before the app runs: the same status, bytes and headers (but the
    request id), the same 304, and each view counted."""
    monkeypatch.setattr(settings, "public_recheck_seconds", 60.0)
    calls: list[str] = []
    real = public_routes._board_page
    monkeypatch.setattr(public_routes, "_board_page", lambda *a: calls.append("route") or real(*a))  # type: ignore[func-returns-value]
    lane_hits: list[bool] = []
    looked_up = fast.remembered

    async def spying(key: tuple[object, ...]) -> object:
        found = await looked_up(key)
        lane_hits.append(found is not None)
        return found

    monkeypatch.setattr(fast, "remembered", spying)
    make.pledge(member=member_of(db, world.member))
    board = make.board()
    path = board_path(board) + query
    seen = []
    for _ in range(2):
        r, body = raw(client, path, BR)
        assert r.status_code == 200
        seen.append((body, {k: v for k, v in r.headers.items() if k not in ("x-request-id", "date")}))
    assert calls == ["route"]
    assert seen[0] == seen[1]
    etag = seen[0][1]["etag"]
    not_modified = [raw(client, path, BR | {"If-None-Match": etag})[0] for _ in range(2)]
    assert [n.status_code for n in not_modified] == [304, 304]
    assert {k: v for k, v in not_modified[0].headers.items() if k not in ("x-request-id", "date")} == {
        k: v for k, v in not_modified[1].headers.items() if k not in ("x-request-id", "date")
    }
    assert calls == ["route"]
    assert lane_hits == [False, True, True, True]  # the first through the app, the repeats by the lane
    assert public_routes.service.view_counter.pending().get((board.id, today_local()), 0) >= 4


def test_anything_else_under_a_board_goes_through_the_app(
    client: TestClient, db: Session, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the plain address is taken by the fast lane: a query it does not expect is the app's (a
    control character is refused with the Chinese page, as before)."""
    monkeypatch.setattr(settings, "public_recheck_seconds", 60.0)
    path = board_path(make.board())
    assert client.get(path).status_code == 200  # kept
    refused = client.get(f"{path}?big=1%00")
    assert refused.status_code in (400, 422)
    assert refused.headers["content-type"].startswith("text/html")
    assert client.get(f"{path}?utm=wechat").status_code == 200


def test_a_pledge_page_is_gzip_spliced_and_a_repeat_comes_from_the_fast_lane(
    client: TestClient, db: Session, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pledge page carries each device's own form token: it is never compressed per request but
    filled into gzip made once (core.http.GzipSplice), by the route and by the fast lane alike; the
    device cookie is set for a new phone only, and the token works for rating."""
    monkeypatch.setattr(settings, "public_recheck_seconds", 60.0)
    lane_hits: list[bool] = []
    looked_up = fast.remembered

    async def spying(key: tuple[object, ...]) -> object:
        found = await looked_up(key)
        lane_hits.append(found is not None)
        return found

    monkeypatch.setattr(fast, "remembered", spying)
    pledge_id = make.pledge(member=member_of(db, world.member))
    path = f"{board_path(make.board())}/p/{pledge_id}"
    pages = []
    for _ in range(2):
        client.cookies.clear()  # a new phone each time
        r, body = raw(client, path, BR)
        assert r.status_code == 200
        assert r.headers["content-encoding"] == "gzip"
        assert r.headers["cache-control"] == "private, no-store"
        assert r.headers["vary"] == "Accept-Encoding"
        assert "ln_d=" in r.headers["set-cookie"]
        pages.append(decoded(r, body).decode())
    assert lane_hits == [False, True]
    tokens = [re.search(r'name="csrf" value="([^"]+)"', page).group(1) for page in pages]  # type: ignore[union-attr]
    assert tokens[0] != tokens[1]  # two phones, two tokens
    assert pages[0].replace(tokens[0], "") == pages[1].replace(tokens[1], "")
    # the same phone again: its cookie is kept, not set anew
    again, _ = raw(client, path, GZ)
    assert "set-cookie" not in again.headers
    # a phone that takes brotli only: the app answers (compressed per request, as before)
    br_only, body = raw(client, path, {"Accept-Encoding": "br"})
    assert br_only.headers["content-encoding"] == "br"
    assert lane_hits == [False, True, True]
    plain = client.get(path, headers=IDENTITY)
    assert lane_hits == [False, True, True, True]
    assert "content-encoding" not in plain.headers
    assert "__LN_FORM_TOKEN__" not in plain.text
    assert 'name="csrf" value="' in plain.text
