"""View counts: written in a short transaction of their own after the page was sent, never inside the
page's read transaction; a page never fails because of counting, and counts that fail are kept."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from app.boards import public, service
from app.boards.models import BoardViewDay
from app.org.models import OrgUnit
from tests.boards.conftest import Committed, board_path


def _views(committed: Committed) -> int:
    with committed.session() as session:
        stmt = select(func.coalesce(func.sum(col(BoardViewDay.views)), 0)).where(
            col(BoardViewDay.board_id) == committed.board.id
        )
        return int(session.execute(stmt).scalar_one())


def test_a_write_committed_during_the_page_does_not_break_counting(
    committed: Committed, app_instance: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's read transaction (BEGIN DEFERRED on SQLite) has seen the database when another
    request commits a write; counting inside it would need the write lock from a stale snapshot —
    SQLite answers "database is locked" at once. Counting in its own transaction works."""
    monkeypatch.setattr(service.ViewCounter, "FLUSH_SECONDS", 0.0)
    real_board_page = public.board_page

    def board_page_then_someone_writes(*args: Any, **kw: Any) -> Any:
        page = real_board_page(*args, **kw)
        with committed.session() as other:  # e.g. a secretary saving a pledge meanwhile
            other.execute(update(OrgUnit).values(content_version=OrgUnit.content_version + 1))
            other.commit()
        return page

    monkeypatch.setattr(public, "board_page", board_page_then_someone_writes)
    with TestClient(app_instance, base_url="http://testserver") as client:
        for _ in range(3):
            r = client.get(board_path(committed.board))
            assert r.status_code == 200, r.text
    assert _views(committed) == 3
    assert service.view_counter.pending() == {}


def test_counts_that_cannot_be_written_are_kept_and_the_page_still_answers(
    committed: Committed, app_instance: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service.ViewCounter, "FLUSH_SECONDS", 0.0)
    real_add = service._add_views

    def locked(*args: Any, **kw: Any) -> None:
        raise OperationalError("INSERT …", {}, Exception("database is locked"))

    monkeypatch.setattr(service, "_add_views", locked)
    with TestClient(app_instance, base_url="http://testserver") as client:
        for _ in range(2):
            assert client.get(board_path(committed.board)).status_code == 200
        assert sum(service.view_counter.pending().values()) == 2
        assert _views(committed) == 0

        monkeypatch.setattr(service, "_add_views", real_add)
        assert client.get(board_path(committed.board)).status_code == 200
    assert service.view_counter.pending() == {}
    assert _views(committed) == 3


def test_views_api_flushes_then_reads_in_a_fresh_transaction(committed: Committed, app_instance: FastAPI) -> None:
    """The secretary's view counts include views not flushed yet (their flush commits first, then the
    request's read transaction starts afresh and sees it)."""
    with TestClient(app_instance, base_url="http://testserver") as client:
        for _ in range(4):
            assert client.get(board_path(committed.board)).status_code == 200
        assert sum(service.view_counter.pending().values()) == 4  # not due yet: nothing written
        r = client.get(f"/api/v1/boards/{committed.board.id}/views", headers=committed.world.secretary.headers)
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 4
    assert _views(committed) == 4


def test_concurrent_flushes_add_up(committed: Committed) -> None:
    """Two workers flushing the same (board, day) at once: an upsert, so neither count is lost."""
    board_id = committed.board.id or 0
    for _ in range(2):
        service.view_counter.record(board_id)
        assert service.view_counter.flush() == 1
    other = service.ViewCounter()
    other.record(board_id)
    assert other.flush() == 1
    assert _views(committed) == 3


def test_a_worker_that_stops_writes_the_views_it_still_holds(committed: Committed, app_instance: FastAPI) -> None:
    """Several workers each count in memory: what one has not written yet is written when it stops
    (a restart, a deploy), so the counts of all of them add up (tests/test_workers.py: two real ones)."""
    with TestClient(app_instance, base_url="http://testserver") as client:
        for _ in range(3):
            assert client.get(board_path(committed.board)).status_code == 200
        assert sum(service.view_counter.pending().values()) == 3  # not due yet: nothing written
        assert _views(committed) == 0
    assert service.view_counter.pending() == {}
    assert _views(committed) == 3
