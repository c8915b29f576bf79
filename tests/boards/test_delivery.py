"""Delivery (issue 9) on the public pages: the boards' cached pages go out as the brotli or gzip bytes
stored with them (never compressed again per request), with their ETag, Vary and 304 intact."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.boards import public_routes
from app.core.config import settings
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
