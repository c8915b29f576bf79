"""Delivery (issue 9) on the public pages: the boards' cached pages go out as the brotli or gzip bytes
stored with them (never compressed again per request), with their ETag, Vary and 304 intact."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

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
