"""Everything under /b/ answers a Chinese HTML page a villager can read, never problem+json: malformed
URLs, wrong methods, oversized or malformed forms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app.evaluations.models import PublicRating, Suggestion
from tests.boards.conftest import Maker, board_path, get_form_token, member_of
from tests.factories import World


def _is_page(r, status: int, *texts: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert "problem" not in r.headers["content-type"]
    assert '<html lang="zh-CN"' in r.text
    assert r.headers["referrer-policy"] == "no-referrer"
    for text in texts:
        assert text in r.text, text


@pytest.fixture
def base(make: Maker, world: World) -> str:
    make.pledge(member=member_of(make.db, world.member))
    return board_path(make.board())


@pytest.mark.parametrize(
    ("method", "path", "status", "text"),
    [
        ("GET", "/p/abc", 404, "未找到该页面"),
        ("GET", "/p/abc/img/x.jpg", 404, "未找到该页面"),
        ("POST", "/p/abc/rate", 404, "未找到该页面"),
        ("GET", "/p/99999999999999999999999", 404, "未找到该承诺"),
        ("GET", "/no/such/page", 404, "未找到该页面"),
        ("GET", "/qr.png?size=abc", 400, "网址有误"),
        ("GET", "/qr.png?size=-5", 400, "网址有误"),
        ("PUT", "/suggest", 404, "未找到该页面"),
        ("DELETE", "/p/1", 404, "未找到该页面"),
    ],
)
def test_malformed_urls_answer_chinese_pages(
    client: TestClient, base: str, method: str, path: str, status: int, text: str
) -> None:
    r = client.request(method, f"{base}{path}")
    _is_page(r, status, text)
    if status != 404 or "abc" in path:
        assert f'href="{base}"' in r.text  # the way back to the board


def test_the_form_address_opened_as_a_page_leads_to_the_pledge(client: TestClient, base: str) -> None:
    r = client.get(f"{base}/p/1/rate?big=1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"{base}/p/1?big=1"


def test_unknown_token_with_malformed_rest_is_a_page(client: TestClient, world: World) -> None:
    _is_page(client.get("/b/x/p/abc"), 404, "未找到该页面")
    r = client.get("/b/<script>/qr.png?size=abc")
    _is_page(r, 400, "网址有误")
    assert "<script>" not in r.text


def test_oversized_and_malformed_forms_answer_pages(client: TestClient, db: Session, base: str) -> None:
    token = get_form_token(client, f"{base}/suggest")
    long_text = "长" * 2001
    r = client.post(f"{base}/suggest", data={"text": long_text, "csrf": token})
    _is_page(r, 422, "最多 200 个字", long_text)  # what was typed is kept
    r = client.post(f"{base}/suggest", data={"text": "好", "csrf": "9" * 500})
    _is_page(r, 403, "页面已过期")
    r = client.post(f"{base}/suggest", content=b"\xff\xfe=%%%", headers={"Content-Type": "multipart/form-data"})
    assert r.headers["content-type"].startswith("text/html"), r.text
    assert db.execute(select(func.count()).select_from(Suggestion)).scalar_one() == 0
    assert db.execute(select(func.count()).select_from(PublicRating)).scalar_one() == 0


def test_anonymous_forms_refuse_oversized_bodies_early_with_a_page(client: TestClient, db: Session, base: str) -> None:
    """The public forms take at most 64 KB (a pasted essay still comes back as the form); beyond that the
    body is refused by its Content-Length before it is read, or as it streams in: a Chinese page."""
    token = get_form_token(client, f"{base}/suggest")
    pasted = "长" * 5000  # ~45 KB url-encoded: a person's paste, shown again to shorten
    r = client.post(f"{base}/suggest", data={"text": pasted, "csrf": token})
    _is_page(r, 422, "您写了 5000 个字")
    flood = b"text=" + b"x" * (65 * 1024) + b"&csrf=" + token.encode()
    for path in ("/suggest", "/p/1/rate"):
        r = client.post(f"{base}{path}", content=flood, headers={"Content-Type": "application/x-www-form-urlencoded"})
        _is_page(r, 413, "内容太长")

        def chunks() -> Iterator[bytes]:
            for _ in range(100):
                yield b"x" * 1024

        r = client.post(
            f"{base}{path}", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        _is_page(r, 413, "内容太长")
    assert db.execute(select(func.count()).select_from(Suggestion)).scalar_one() == 0


ROUTES = [
    ("GET", ""),
    ("GET", "/qr.svg"),
    ("GET", "/qr.png?size=300"),
    ("GET", "/img/0123456789abcdef0123456789abcdef.jpg"),
    ("GET", "/p/{pid}"),
    ("GET", "/p/{pid}/img/0123456789abcdef0123456789abcdef.jpg"),
    ("POST", "/p/{pid}/rate"),
    ("GET", "/suggest"),
    ("POST", "/suggest"),
    ("GET", "/thanks"),
]


@pytest.mark.parametrize(("method", "rest"), ROUTES)
def test_every_public_route_answers_the_board_pages_for_a_bad_token(
    client: TestClient, db: Session, make: Maker, world: World, method: str, rest: str
) -> None:
    """ResolvedBoard: 410 for a replaced QR code, 404 for an unknown one, on every route — nothing stored."""
    from app.boards import service

    pledge = make.pledge(member=member_of(make.db, world.member))
    board = make.board()
    old = board_path(board)
    service.rotate_token(db, actor=make.secretary, board=board)
    db.flush()
    path = rest.format(pid=pledge)
    data = {"choice": "satisfied", "text": "好", "suggestion": "好", "csrf": "x"} if method == "POST" else None
    _is_page(client.request(method, old + path, data=data), 410, "公示牌已搬家", "大洼社区党支部书记询问")
    _is_page(client.request(method, "/b/" + "x" * 32 + path, data=data), 404, "未找到该公示牌")
    assert db.execute(select(func.count()).select_from(Suggestion)).scalar_one() == 0
    assert db.execute(select(func.count()).select_from(PublicRating)).scalar_one() == 0


def test_form_refusals_are_pages_with_their_headers(client: TestClient, base: str) -> None:
    """An expired form token is the 403 page, a flood the 429 page with Retry-After (raised as PageError)."""
    from app.evaluations import dependencies as guard

    r = client.post(f"{base}/suggest", data={"text": "好", "csrf": "1.bad"})
    _is_page(r, 403, "页面已过期", "返回公示牌")
    assert r.headers["cache-control"] == "no-store"
    limit = guard.LIMITS["suggest.device"][0].count
    token = get_form_token(client, f"{base}/suggest")
    form = {"text": "好", "csrf": token}
    statuses = [client.post(f"{base}/suggest", data=form).status_code for _ in range(limit + 1)]
    assert statuses[-1] == 429, statuses
    r = client.post(f"{base}/suggest", data={"text": "好", "csrf": token})
    _is_page(r, 429, "提交太频繁了")
    assert int(r.headers["retry-after"]) > 0
