"""The public board page: content, privacy, headers, weight, caching, ETag/304 and query counts."""

from __future__ import annotations

import gzip
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.boards import public, service
from app.boards.render import CSS_HASH
from app.members import service as members_service
from app.members.schemas import MemberUpdate
from app.pledges.models import PledgeOutcome
from tests.boards.conftest import Maker, actor_of, board_path, member_of
from tests.factories import World, create_member

BUDGET_GZIPPED = 25 * 1024


def test_board_shows_members_pledges_collective_and_counts(client: TestClient, world: World, make: Maker) -> None:
    leader = member_of(make.db, world.group_leader)
    plain = member_of(make.db, world.member)
    make.pledge(member=leader, title="义务维修组内路灯", progress="已更换三盏路灯", photos=2)
    make.pledge(member=plain, title="关爱空巢老人", close=PledgeOutcome.kept)
    make.pledge(member=plain, title="还没公示的承诺", publish=False)
    make.pledge(unit=world.group, title="修通组内道路")
    hidden = create_member(make.db, branch=world.branch, group=world.group, name="不公示者", consent=False)
    make.pledge(member=hidden, title="不公示姓名者的承诺")
    board = make.board(title="司山村民组公示牌")

    r = client.get(board_path(board))
    assert r.status_code == 200, r.text
    html = r.text
    assert "司山村民组公示牌" in html
    assert "大洼社区党支部" in html
    for text in ("组长", "党员甲", "义务维修组内路灯", "已更换三盏路灯", "关爱空巢老人", "已兑现", "修通组内道路"):
        assert text in html, text
    assert "还没公示的承诺" not in html
    # without consent: the published pledge stays, under 一名党员 (issue 13), never the name
    assert "不公示者" not in html
    assert "不公示姓名者的承诺" in html
    assert "一名党员" in html
    # counts: 4 public pledges, 1 kept, 3 in progress
    assert re.search(r"<b>4</b>承诺", html)
    assert re.search(r"<b>1</b>已兑现", html)
    assert re.search(r"<b>3</b>践诺中", html)
    # photo thumbnails lazy-loaded, served under the board's URL
    thumbs = re.findall(r'<img src="(/b/[^"]+/img/[0-9a-f]{64}\.jpg)"[^>]*loading="lazy"', html)
    assert len(thumbs) == 2
    img = client.get(thumbs[0])
    assert img.status_code == 200
    assert img.headers["content-type"] == "image/jpeg"
    assert client.get(f"{board_path(board)}/img/{'0' * 64}.jpg").status_code == 404


def test_public_headers_and_strict_csp(client: TestClient, world: World, make: Maker) -> None:
    board = make.board()
    r = client.get(board_path(board))
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-robots-tag"].startswith("noindex")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert f"'sha256-{CSS_HASH}'" in csp
    assert "script-src" not in csp
    assert "unsafe-inline" not in csp
    assert r.headers["cache-control"] == "public, max-age=60"
    assert '<meta name="robots" content="noindex,nofollow">' in r.text
    assert "<script" not in r.text


def test_large_text_switch(client: TestClient, world: World, make: Maker) -> None:
    board = make.board()
    normal = client.get(board_path(board)).text
    assert 'class="big"' not in normal
    assert f'href="{board_path(board)}?big=1"' in normal
    big = client.get(f"{board_path(board)}?big=1").text
    assert '<html lang="zh-CN" class="big">' in big
    assert ".big body{font-size:21px}" in big


def test_unknown_token_is_a_chinese_404_page(client: TestClient, world: World) -> None:
    r = client.get("/b/not-a-real-token-at-all")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "未找到该公示牌" in r.text


def test_page_weight_within_budget(client: TestClient, world: World, make: Maker) -> None:
    """A board of 40 members with two pledges each, with progress text: ≤ 25 KB gzipped."""
    for i in range(40):
        m = create_member(make.db, branch=world.branch, group=world.group, name=f"程军{i:02d}", post="环境卫生监督岗")
        make.pledge(member=m, title=f"义务清扫组内道路卫生{i}", progress="本月清扫主干道三次，清理垃圾两车。" * 2)
        make.pledge(member=m, title=f"协调村民组矛盾纠纷{i}")
    board = make.board()
    r = client.get(board_path(board), headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    size = len(gzip.compress(r.content, 9))
    assert size <= BUDGET_GZIPPED, f"{size} bytes gzipped"
    assert "程军39" in r.text


def test_etag_304_and_versions(client: TestClient, db: Session, world: World, make: Maker) -> None:
    plain = member_of(db, world.member)
    make.pledge(member=plain, title="关爱空巢老人")
    board = make.board()
    r1 = client.get(board_path(board))
    etag = r1.headers["etag"]
    assert client.get(board_path(board), headers={"If-None-Match": etag}).status_code == 304
    assert client.get(board_path(board), headers={"If-None-Match": '"other"'}).status_code == 200

    # a member's public profile changes → the unit's content version moves → a new page
    members_service.update_member(
        db, actor=actor_of(db, world.secretary), member=plain, data=MemberUpdate(post="村务监督岗")
    )
    r2 = client.get(board_path(board), headers={"If-None-Match": etag})
    assert r2.status_code == 200
    assert "村务监督岗" in r2.text
    etag2 = r2.headers["etag"]
    assert etag2 != etag

    # a new pledge published on the board
    make.pledge(member=plain, title="帮助邻居收割")
    r3 = client.get(board_path(board), headers={"If-None-Match": etag2})
    assert r3.status_code == 200
    assert "帮助邻居收割" in r3.text

    # an edit of the board itself
    client.patch(f"/api/v1/boards/{board.id}", json={"note": "欢迎乡亲们监督"}, headers=world.secretary.headers)
    r4 = client.get(board_path(board), headers={"If-None-Match": r3.headers["etag"]})
    assert r4.status_code == 200
    assert "欢迎乡亲们监督" in r4.text


def test_cached_page_is_served_from_one_query(
    client: TestClient, world: World, make: Maker, query_counter: list[str]
) -> None:
    make.pledge(member=member_of(make.db, world.member))
    board = make.board()
    client.get(board_path(board))
    query_counter.clear()
    r = client.get(board_path(board))
    assert r.status_code == 200
    selects = [q for q in query_counter if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, selects  # token + board version + unit content_version, together


def _cold_render_queries(client: TestClient, path: str, query_counter: list[str]) -> int:
    public.clear_caches()
    query_counter.clear()
    assert client.get(path).status_code == 200
    return len(query_counter)


def test_render_queries_do_not_grow_with_members(
    client: TestClient, world: World, make: Maker, query_counter: list[str]
) -> None:
    def add(n: int) -> None:
        for i in range(n):
            m = create_member(make.db, branch=world.branch, group=world.group, name=f"党员{i}", photo_key=None)
            make.pledge(member=m, title=f"承诺{i}", progress="进展", photos=1)

    add(2)
    board = make.board()
    few = _cold_render_queries(client, board_path(board), query_counter)
    add(10)
    many = _cold_render_queries(client, board_path(board), query_counter)
    assert few == many, (few, many)
    # 3 of them: the star board to link, the members' and the branch's levels; 1 the past years (往年承诺);
    # 1 the members' pairings (结对帮扶 N 户, one GROUP BY)
    assert many <= 17, many


def test_branch_board_and_selected_members(client: TestClient, world: World, make: Maker) -> None:
    leader = member_of(make.db, world.group_leader)
    plain = member_of(make.db, world.member)
    make.pledge(member=leader, title="组长的承诺")
    make.pledge(member=plain, title="党员甲的承诺")
    make.pledge(unit=world.branch, title="支部集体承诺：换路灯")
    board = make.board(world.branch, member_ids=[plain.id])
    html = client.get(board_path(board)).text
    assert "党员甲的承诺" in html
    assert "组长的承诺" not in html
    assert "支部集体承诺：换路灯" in html


def test_on_new_year_pages_move_on_without_any_change(
    client: TestClient, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The year (China time) is part of the cache key: on 1 January a board, its pledge pages and its
    poster show the new year's pledges though nothing else changed."""
    pid = make.pledge(member=member_of(make.db, world.member), title="关爱空巢老人")
    board = make.board()
    year = service.current_year()
    before = client.get(board_path(board))
    assert "关爱空巢老人" in before.text
    assert f"{year} 年度" in before.text
    assert client.get(f"{board_path(board)}/p/{pid}").status_code == 200
    poster = client.get(f"/api/v1/boards/{board.id}/poster", headers=world.secretary.headers)
    assert "关爱空巢老人" in poster.text

    monkeypatch.setattr(service, "today_local", lambda: date(year + 1, 1, 1))
    after = client.get(board_path(board), headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert f"{year + 1} 年度" in after.text
    assert "关爱空巢老人" not in after.text
    # last year's pledge page stays readable, read only (issue 13: past years on the boards)
    last_year = client.get(f"{board_path(board)}/p/{pid}")
    assert last_year.status_code == 200
    assert "只供查阅" in last_year.text
    poster = client.get(f"/api/v1/boards/{board.id}/poster", headers=world.secretary.headers)
    assert "关爱空巢老人" not in poster.text
    assert f"{year + 1} 年度" in poster.text


def test_render_after_a_reset_counts_no_view_flush(
    client: TestClient, world: World, make: Maker, query_counter: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fixtures reset the view counter's clock too: a test that starts long after the last flush
    does not find the flush's statements in its query count."""
    board = make.board()
    monkeypatch.setattr(service.ViewCounter, "FLUSH_SECONDS", 30.0)
    service.view_counter._last_flush -= 3600  # as if the previous flush was an hour ago
    service.view_counter.reset()
    few = _cold_render_queries(client, board_path(board), query_counter)
    assert not [q for q in query_counter if "board_view_day" in q]
    assert few <= 16
