"""Boards as static files (LIANGNUO_STATIC_BOARDS_DIR): after every kind of change a board shows, the
written file holds exactly the bytes the app answers (and its .gz/.br and ETag); a rotated or taken-down
board's directory holds the 410 page at once; a commit that wrote asks for a round; the CLI rebuilds all."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from app.boards import static_files
from app.boards.models import Board
from app.cli import cli
from app.core.config import settings
from app.evaluations import service as evaluations_service
from app.evaluations.models import Satisfaction
from app.pledges.models import PledgeOutcome
from app.pledges.states import Action
from app.ratings.models import PeriodStatus
from tests.boards.conftest import Maker, board_path, member_of
from tests.boards.test_star_board import publish, star_board
from tests.factories import World
from tests.ratings.results_factories import make_period

IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "static"
    monkeypatch.setattr(settings, "static_boards_dir", out)
    monkeypatch.setattr(static_files.renderer, "background", False)  # rounds only when the test asks
    return out


def same_as_app(client: TestClient, db: Session, root: Path, path: str) -> bytes:
    """A round, then: the file (and its compressed forms, its ETag) is what the app answers."""
    static_files.renderer.run()
    for name, query in (("index.html", ""), ("big.html", "?big=1")):
        r = client.get(path + query, headers=IDENTITY)
        assert r.status_code == 200
        file = root / path.strip("/") / name
        assert file.read_bytes() == r.content
        assert gzip.decompress(Path(f"{file}.gz").read_bytes()) == r.content
        assert brotli.decompress(Path(f"{file}.br").read_bytes()) == r.content
        assert Path(f"{file}.etag").read_text() == r.headers["etag"]
    return (root / path.strip("/") / "index.html").read_bytes()


def gone_as_app(client: TestClient, root: Path, path: str, words: str) -> None:
    r = client.get(path, headers=IDENTITY)
    assert r.status_code == 410
    directory = root / path.strip("/")
    assert (directory / "gone.html").read_bytes() == r.content
    assert words in r.text
    assert not (directory / "index.html").exists()
    assert not (directory / "big.html.gz").exists()


def test_every_change_a_board_shows_is_in_its_file(
    client: TestClient, db: Session, world: World, make: Maker, root: Path
) -> None:
    member = member_of(db, world.member)
    pid = make.pledge(member=member, title="关爱空巢老人")
    board = make.board()
    path = board_path(board)
    pages = [same_as_app(client, db, root, path)]
    assert static_files.renderer.run().written == 0  # idempotent: nothing changed, nothing written

    def changed() -> None:
        page = same_as_app(client, db, root, path)
        assert page != pages[-1]
        pages.append(page)

    headers = world.secretary.headers
    r = client.patch(f"/api/v1/boards/{board.id}", json={"title": "新标题公示牌"}, headers=headers)
    assert r.status_code == 200
    changed()  # edit
    make.pledge(member=member, title="义务修路灯", progress="已修好三盏")
    changed()  # progress
    make.act(pid, Action.request_close)
    make.act(pid, Action.close, reason="经核实已完成", outcome=PledgeOutcome.kept)
    changed()  # close
    ref = evaluations_service.PledgeRef(
        id=pid, branch_id=world.branch.id or 0, unit_id=world.group.id or 0, member_id=member.id
    )
    for i in range(5):
        evaluations_service.rate(db, pledge=ref, choice=Satisfaction.satisfied, device_hash=f"d{i}", ip_hash="ip")
    changed()  # rating counts
    assert "群众满意度" in pages[-1].decode()
    period = make_period(db, world.town, status=PeriodStatus.published)
    publish(db, period, member, 4)
    changed()  # star level
    r = client.patch(f"/api/v1/members/{member.id}", json={"board_consent": False}, headers=headers)
    assert r.status_code == 200, r.text
    changed()  # consent withdrawn

    r = client.post(f"/api/v1/boards/{board.id}/rotate", headers=headers)
    new_path = r.json()["public_url"].removeprefix(settings.public_base_url)
    assert static_files.renderer.run().gone == 1  # rotation: the old address's 410 page at once
    gone_as_app(client, root, path, "已搬家")
    same_as_app(client, db, root, new_path)
    assert client.delete(f"/api/v1/boards/{board.id}", headers=headers).status_code == 204
    static_files.renderer.run()
    gone_as_app(client, root, new_path, "已撤下")  # take-down
    gone_as_app(client, root, path, "已搬家")


def test_star_board_file_follows_published_levels(
    client: TestClient, db: Session, world: World, make: Maker, root: Path
) -> None:
    stars_board: Board = star_board(db, world)
    path = f"/s/{stars_board.token}"
    before = same_as_app(client, db, root, path)
    publish(db, make_period(db, world.town, status=PeriodStatus.published), member_of(db, world.member), 5)
    assert same_as_app(client, db, root, path) != before
    assert "add_header Content-Security-Policy" in (root / "_headers.conf").read_text()


def test_a_commit_that_wrote_asks_for_a_round_and_the_cli_rebuilds_all(
    client: TestClient, world: World, make: Maker, root: Path
) -> None:
    board = make.board()
    static_files.renderer.pending = False
    r = client.patch(f"/api/v1/boards/{board.id}", json={"note": "欢迎监督"}, headers=world.secretary.headers)
    assert r.status_code == 200
    assert static_files.renderer.pending  # the request's commit woke the renderer
    result = CliRunner().invoke(cli, ["render-static", "--all"])
    assert result.exit_code == 0, result.output
    assert (root / "b" / board.token / "index.html").read_bytes() == client.get(board_path(board)).content


def test_a_past_years_board_is_written_as_the_app_answers_it(
    client: TestClient, db: Session, world: World, make: Maker, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """?year=2025 (往年承诺) is a file of its own, 2025.html and 2025-big.html (nginx maps $arg_year to it)."""
    from datetime import date

    from app.boards import service

    year = service.current_year()
    make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    board = make.board()
    path = board_path(board)
    monkeypatch.setattr(service, "today_local", lambda: date(year + 1, 3, 1))
    static_files.renderer.run()
    for big, query in ((False, ""), (True, "&big=1")):
        r = client.get(f"{path}?year={year}{query}", headers=IDENTITY)
        assert r.status_code == 200
        assert "关爱空巢老人" in r.text
        file = root / path.strip("/") / static_files.year_page(year, big)
        assert file.read_bytes() == r.content
        assert Path(f"{file}.etag").read_text() == r.headers["etag"]
