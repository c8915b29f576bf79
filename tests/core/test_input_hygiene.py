"""Control characters (NUL and the other C0 controls, DEL) and lone surrogates are refused at one
place for every text input — JSON and form bodies, multipart text fields, query strings and path
parameters — with a 422: problem+json under /api/, a Chinese page under /b/. Periods are checked by one
type (`app.evaluations.periods.Period`): a year the calendar cannot hold is a 422, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.boards.conftest import Maker, _fresh_process_state, board_path, get_form_token, make, member_of  # noqa: F401
from tests.factories import World

API = "/api/v1"


def _refused(r) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    body = r.json()
    assert body["code"] == "invalid_characters"
    assert "控制字符" in body["detail"] or "无法识别" in body["detail"]
    return body


def _page(r, status: int = 422) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert '<html lang="zh-CN"' in r.text


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f"])
def test_json_bodies_with_control_characters_are_refused(client: TestClient, world: World, char: str) -> None:
    body = {"member_id": 1, "title": f"修路{char}", "content": "x", "category": "post"}
    body = _refused(client.post(f"{API}/pledges", json=body, headers=world.secretary.headers))
    assert body["errors"][0]["field"] == "title"


def test_escaped_nul_and_lone_surrogates_in_json_are_refused(client: TestClient, world: World) -> None:
    for raw in (b'{"title": "a\\u0000b"}', b'{"name": "\\ud800"}', b'{"x": ["\\u001F"]}'):
        _refused(
            client.patch(
                f"{API}/members/1",
                content=raw,
                headers={**world.secretary.headers, "Content-Type": "application/json", "If-Match": '"1"'},
            )
        )


def test_tab_and_newline_stay_allowed_in_bodies(client: TestClient, world: World) -> None:
    r = client.post(
        f"{API}/pledges",
        content=b'{"title": "a\\tb\\nc\\\\u0000"}',
        headers={**world.secretary.headers, "Content-Type": "application/json"},
    )
    assert r.status_code != 500
    assert r.json().get("code") != "invalid_characters"


def test_login_form_with_nul_is_refused(client: TestClient, world: World) -> None:
    _refused(client.post(f"{API}/auth/token", data={"username": "138\x000000000", "password": "x"}))
    _refused(
        client.post(
            f"{API}/auth/token",
            content=b"username=%00&password=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    )


@pytest.mark.parametrize("query", ["q=%00", "q=a%01b", "q=%7F", "q=%0a", "page=1&q=%1F"])
def test_query_strings_with_control_characters_are_refused(client: TestClient, world: World, query: str) -> None:
    for path in ("/members", "/pledges"):
        body = _refused(client.get(f"{API}{path}?{query}", headers=world.secretary.headers))
        assert body["errors"][0]["in"] == "query"


def test_anonymous_paths_with_nul_are_refused(client: TestClient, world: World) -> None:
    _refused(client.get(f"{API}/pledges/%00"))
    _page(client.get("/b/%00"), 400)  # the boards' page for a malformed address: 网址有误
    _page(client.get("/b/abc%01/qr.svg"), 400)


def test_multipart_text_fields_with_nul_are_refused(client: TestClient, world: World) -> None:
    r = client.post(
        f"{API}/pledges/1/progress",
        data={"text": "进展\x00"},
        files={"photos": ("a.jpg", b"\x00\x01binary is fine in files", "image/jpeg")},
        headers=world.secretary.headers,
    )
    _refused(r)


def test_board_forms_with_nul_answer_a_page(client: TestClient, make: Maker, world: World) -> None:  # noqa: F811
    make.pledge(member=member_of(make.db, world.member))
    base = board_path(make.board())
    token = get_form_token(client, f"{base}/suggest")
    _page(client.post(f"{base}/suggest", data={"text": "修\x00路", "csrf": token}))
    _page(client.post(f"{base}/p/1/rate", data={"text": "好\x00", "csrf": token, "choice": "good"}))


@pytest.mark.parametrize("period", ["0000Q1", "0001Q1", "9999Q4", "2026Q5", "2026Q0", "26Q1", "2026q1"])
def test_impossible_periods_are_422(client: TestClient, world: World, period: str) -> None:
    for path in ("/evaluations/summary/pledges", "/evaluations/summary/members"):
        r = client.get(f"{API}{path}?period={period}", headers=world.committee_admin.headers)
        assert r.status_code == 422, (path, period, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


def test_a_real_period_is_accepted(client: TestClient, world: World) -> None:
    r = client.get(f"{API}/evaluations/summary/pledges?period=2026Q4", headers=world.committee_admin.headers)
    assert r.status_code == 200, r.text
