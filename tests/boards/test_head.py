"""HEAD on the public pages (a chat app's link preview, a villager's browser checking a link): GET's
status and headers, its length included, and no body — never the 404 page of the catch-all route —
and a HEAD is not counted as a view."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.boards import service
from app.boards.models import BoardViewDay
from tests.boards.conftest import Maker, board_path, member_of
from tests.boards.test_star_board import star_board, star_path
from tests.factories import World

VOLATILE = ("x-request-id", "date", "set-cookie")


def _same(get: object, head: object) -> None:
    g, h = get, head
    assert (h.status_code, h.content) == (200, b""), h.text  # type: ignore[attr-defined]
    assert g.status_code == 200  # type: ignore[attr-defined]
    # the bytes GET sends (httpx hands back the content decoded: its length is the header's)
    assert h.headers["content-length"] == g.headers["content-length"] != "0"  # type: ignore[attr-defined]
    for name in ("content-type", "etag", "cache-control", "content-security-policy", "content-encoding"):
        assert h.headers.get(name) == g.headers.get(name), name  # type: ignore[attr-defined]


def test_head_on_a_board_a_pledge_page_and_a_star_board(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    pledge_id = make.pledge(member=member_of(db, world.member), title="义务维修组内路灯")
    board = make.board()
    identity = {"Accept-Encoding": "identity"}
    _same(client.get(board_path(board), headers=identity), client.head(board_path(board), headers=identity))
    _same(client.get(board_path(board)), client.head(board_path(board)))  # the stored gzip/brotli bytes
    # the pledge page carries the device's form token: its length is the same for another device
    page = f"{board_path(board)}/p/{pledge_id}"
    _same(client.get(page, headers=identity), client.head(page, headers=identity))
    stars = star_path(star_board(db, world))
    _same(client.get(stars), client.head(stars))
    # a mistyped address is still the Chinese 404 page
    assert client.head(f"{board_path(board)}/nothing").status_code == 404


def test_a_head_is_not_a_view(client: TestClient, db: Session, make: Maker) -> None:
    board = make.board()

    def views() -> int:
        service.view_counter.flush()
        stmt = select(func.coalesce(func.sum(col(BoardViewDay.views)), 0)).where(col(BoardViewDay.board_id) == board.id)
        return int(db.execute(stmt).scalar_one())

    before = views()
    for _ in range(3):
        assert client.head(board_path(board)).status_code == 200
    assert views() == before
    assert client.get(board_path(board)).status_code == 200
    assert views() == before + 1
