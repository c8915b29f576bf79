"""Issue 10, fault 2: an error nobody foresaw under /b/ or /s/ still answers the Chinese HTML page
(status 500), never problem+json; under /api/ it stays problem+json."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.boards import public
from tests.boards.conftest import Maker, board_path, member_of
from tests.factories import World


def _boom(*_: object, **__: object) -> None:
    raise RuntimeError("a fault nobody foresaw")


@pytest.fixture
def raw_client(app_instance, db) -> TestClient:  # type: ignore[no-untyped-def]
    # the server's own answer to an unexpected exception, not the test client's re-raise
    return TestClient(app_instance, base_url="http://testserver", raise_server_exceptions=False)


def test_an_unexpected_fault_on_a_board_is_a_chinese_page(
    raw_client: TestClient, make: Maker, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    make.pledge(member=member_of(make.db, world.member))
    path = board_path(make.board())
    monkeypatch.setattr(public, "board_page", _boom)
    r = raw_client.get(path)
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert '<html lang="zh-CN"' in r.text
    assert "出了点问题" in r.text
    assert "返回公示牌" in r.text
    assert r.headers["x-request-id"]


def test_an_unexpected_fault_under_api_stays_problem_json(
    raw_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.pledges import vocabulary

    monkeypatch.setattr(vocabulary, "vocabulary_etag", _boom)
    r = raw_client.get("/api/v1/pledges/vocabulary", headers=world.member.headers)
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "internal_error"
