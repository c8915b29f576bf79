"""The star board (创星榜, /s/{token}) and the star levels on pledge boards: a kind of board (same token
rules, 410 after a rotation, QR, view counts, posters), published levels only, nothing private, no
script, ETag/304, fresh after a publication; each board links to the nearest star board above it."""

from __future__ import annotations

import gzip
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.boards import service
from app.boards.models import Board, BoardKind
from app.boards.schemas import BoardCreate
from app.core.config import settings
from app.core.time import utcnow
from app.members.models import Member
from app.org import service as org_service
from app.org.models import OrgUnit
from app.ratings.models import PeriodStatus, RatingPeriod, RatingResult, SubjectKind
from tests.boards.conftest import Maker, actor_of, board_path, member_of
from tests.factories import World, create_member
from tests.ratings.results_factories import make_period

BUDGET_GZIPPED = 25 * 1024


def publish(
    db: Session, period: RatingPeriod, subject: Member | OrgUnit, stars: int, *, published: bool = True
) -> RatingResult:
    """A decided (and published) level, written as ratings' publication leaves it, boards touched as it does."""
    if isinstance(subject, Member):
        kind, branch_id, unit_id = SubjectKind.member, subject.branch_id, subject.group_id or subject.branch_id
    else:
        kind, branch_id, unit_id = SubjectKind.branch, subject.id, subject.id
    result = RatingResult(
        period_id=period.id or 0,
        subject_kind=kind,
        subject_id=subject.id or 0,
        branch_id=branch_id or 0,
        unit_id=unit_id or 0,
        proposed_stars=stars,
        stars=stars,
        score=87.5,
        explanation="秘密的计算说明",
        published_at=utcnow() if published else None,
    )
    db.add(result)
    db.flush()
    org_service.touch(db, [unit_id, branch_id])
    return result


def star_board(db: Session, world: World, unit: OrgUnit | None = None, **kw: object) -> Board:
    data = BoardCreate(kind=BoardKind.stars, unit_id=(unit or world.town).id, **kw)  # type: ignore[arg-type]
    board = service.create_board(db, actor=actor_of(db, world.committee_admin), data=data)
    db.flush()
    return board


def star_path(board: Board) -> str:
    return f"/s/{board.token}"


@pytest.fixture
def quarter(db: Session, world: World) -> RatingPeriod:
    return make_period(db, world.town, status=PeriodStatus.published)


def test_a_star_board_is_a_kind_of_board(client: TestClient, world: World) -> None:
    body = {"kind": "stars", "unit_id": world.town.id}
    r = client.post("/api/v1/boards", json=body, headers=world.committee_admin.headers)
    assert r.status_code == 201, r.text
    board = r.json()
    assert board["kind"] == "stars"
    assert board["title"] == f"{world.town.name}创星榜"
    assert board["public_url"].startswith(f"{settings.public_base_url}/s/")
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", board["public_url"].rsplit("/", 1)[-1])  # 192 bits
    r = client.get("/api/v1/boards?kind=stars", headers=world.committee_admin.headers)
    assert [b["id"] for b in r.json()["items"]] == [board["id"]]
    # a star board shows levels, never chosen members; a pledge board stands on any level (issue 13)
    r = client.post("/api/v1/boards", json={**body, "member_ids": []}, headers=world.committee_admin.headers)
    assert (r.status_code, r.json()["code"]) == (422, "star_board_members")
    r = client.post("/api/v1/boards", json={"unit_id": world.town.id}, headers=world.committee_admin.headers)
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/boards", json={**body, "kind": "moon"}, headers=world.committee_admin.headers)
    assert r.status_code == 422
    assert "公示牌或创星榜" in r.json()["detail"]


def test_the_star_board_shows_published_levels_only_and_nothing_private(
    client: TestClient, db: Session, world: World, make: Maker, quarter: RatingPeriod
) -> None:
    member = member_of(db, world.member)
    member.phone = "13912345678"
    hidden = create_member(db, branch=world.branch, group=world.group, name="不公示者", consent=False)
    draft = create_member(db, branch=world.branch, group=world.group, name="未发布者")
    publish(db, quarter, member, 5)
    publish(db, quarter, hidden, 4)
    publish(db, quarter, world.branch, 4)
    publish(db, quarter, draft, 3, published=False)
    board = star_board(db, world)
    r = client.get(star_path(board))
    assert r.status_code == 200, r.text
    html = r.text
    for text in (
        "五星级党员 1 名",
        "四星级党员 1 名",
        "四星党支部 1 个",
        member.name,
        world.branch.name,
        quarter.title,
    ):
        assert text in html, text
    for secret in ("不公示者", "未发布者", "三星级党员", "13912345678", "87.5", "秘密的计算说明"):
        assert secret not in html, secret
    assert "<script" not in html
    assert "<form" not in html
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-robots-tag"] == "noindex, nofollow"
    assert len(gzip.compress(r.content, 9)) <= BUDGET_GZIPPED


def test_trend_against_the_previous_period(client: TestClient, db: Session, world: World) -> None:
    member = member_of(db, world.member)
    other = create_member(db, branch=world.branch, group=world.group, name="降星者")
    earlier = make_period(db, world.town, quarter=2, status=PeriodStatus.published)
    publish(db, earlier, member, 3)
    publish(db, earlier, other, 4)
    later = make_period(db, world.town, quarter=3, status=PeriodStatus.published)
    publish(db, later, member, 4)
    publish(db, later, other, 3)
    html = client.get(star_path(star_board(db, world))).text
    assert re.search(rf"{member.name}<small>[^<]*</small>\s*<b class=\"up\" title=\"晋星\">↑</b>", html), html
    assert re.search(r"降星者<small>[^<]*</small>\s*<b class=\"dn\" title=\"降星\">↓</b>", html)
    assert later.title in html
    assert earlier.title not in html


def test_etag_304_and_fresh_after_a_publication(
    client: TestClient, db: Session, world: World, quarter: RatingPeriod
) -> None:
    board = star_board(db, world)
    path = star_path(board)
    first = client.get(path)
    assert "尚无已发布的星级评定结果" in first.text
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=60"
    again = client.get(path, headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    publish(db, quarter, member_of(db, world.member), 5)  # a branch under the committee is touched
    fresh = client.get(path, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert "五星级党员 1 名" in fresh.text
    assert fresh.headers["etag"] != etag
    zipped = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"


def test_boards_show_levels_and_link_the_nearest_star_board(
    client: TestClient, db: Session, world: World, make: Maker, quarter: RatingPeriod
) -> None:
    member = member_of(db, world.member)
    make.pledge(member=member)
    board = make.board()
    assert "创星榜" not in client.get(board_path(board)).text  # cached without a link
    town_stars = star_board(db, world)
    html = client.get(board_path(board)).text  # the star board's creation made the page stale
    assert f'href="/s/{town_stars.token}"' in html
    publish(db, quarter, member, 4)
    publish(db, quarter, world.branch, 5)
    html = client.get(board_path(board)).text
    assert "★★★★ 四星级党员" in html
    assert "★★★★★ 五星党支部" in html
    assert quarter.title in html
    branch_stars = star_board(db, world, world.branch)  # nearer than the town's
    html = client.get(board_path(board)).text
    assert f'href="/s/{branch_stars.token}"' in html
    assert f'href="/s/{town_stars.token}"' not in html
    data = BoardCreate(unit_id=world.other_group.id or 0)
    other_board = service.create_board(db, actor=actor_of(db, world.committee_admin), data=data)
    db.flush()
    other = client.get(board_path(other_board)).text
    assert f'href="/s/{town_stars.token}"' in other


def test_rotation_take_down_and_wrong_kind_answer_pages(client: TestClient, db: Session, world: World) -> None:
    admin = actor_of(db, world.committee_admin)
    board = star_board(db, world)
    old = star_path(board)
    assert client.get(f"{old}/qr.svg").headers["content-type"].startswith("image/svg+xml")
    assert client.get(f"{old}/qr.png?size=200").headers["content-type"] == "image/png"
    service.rotate_token(db, actor=admin, board=board)
    db.flush()
    for path in (old, f"{old}/qr.svg", f"{old}/qr.png"):
        r = client.get(path)
        assert r.status_code == 410, path
        assert "创星榜已搬家" in r.text
    assert client.get(star_path(board)).status_code == 200
    pledge_board = Board(unit_id=world.group.id or 0, title="公示牌", token=service.new_token())
    db.add(pledge_board)
    db.flush()
    for path in (f"/b/{board.token}", f"/s/{pledge_board.token}", "/s/" + "x" * 32):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html")
    r = client.post(f"/s/{board.token}/anything")
    assert r.status_code == 404
    assert "未找到该页面" in r.text
    assert "返回创星榜" in r.text
    assert client.get(f"/s/{board.token}/qr.png?size=abc").status_code == 400
    service.take_down(db, actor=admin, board=board)
    db.flush()
    r = client.get(star_path(board))
    assert r.status_code == 410
    assert "创星榜已撤下" in r.text


def test_views_poster_and_pdf(client: TestClient, db: Session, world: World, quarter: RatingPeriod) -> None:
    publish(db, quarter, member_of(db, world.member), 5)
    publish(db, quarter, world.branch, 4)
    board = star_board(db, world, note="2026年度第三季度评定结果")
    client.get(star_path(board))
    headers = world.committee_admin.headers
    assert client.get(f"/api/v1/boards/{board.id}/views", headers=headers).json()["total"] == 1
    r = client.get(f"/api/v1/boards/{board.id}/poster", headers=headers)
    assert r.status_code == 200
    for text in (
        "五星级党员 1 名",
        "四星党支部 1 个",
        "扫码查看星级评定结果",
        world.branch.name,
        "2026年度第三季度评定结果",
    ):
        assert text in r.text, text
    assert "87.5" not in r.text
    pdf = client.get(f"/api/v1/boards/{board.id}/poster.pdf", headers=headers)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    # the branch's batch posters are its pledge boards only
    assert "no_boards" in client.get(f"/api/v1/boards/posters.pdf?branch_id={world.branch.id}", headers=headers).text


def test_long_lists_fold_on_the_page_and_lower_levels_are_counts_on_paper(
    client: TestClient, db: Session, world: World, quarter: RatingPeriod, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.boards import stars

    monkeypatch.setattr(stars, "LONG_LIST", 0)
    publish(db, quarter, member_of(db, world.member), 5)
    publish(db, quarter, create_member(db, branch=world.branch, group=world.group, name="三星者"), 3)
    board = star_board(db, world)
    html = client.get(star_path(board)).text
    assert html.count("<details><summary>展开名单（1 名）</summary>") == 2  # no script: the browser folds it
    poster = client.get(f"/api/v1/boards/{board.id}/poster", headers=world.committee_admin.headers).text
    assert member_of(db, world.member).name in poster  # four and five stars are named on paper
    assert "三星者" not in poster
    assert "名单请扫码查看" in poster


def test_a_cached_star_board_costs_two_queries(
    client: TestClient, db: Session, world: World, quarter: RatingPeriod, query_counter: list[str]
) -> None:
    for i in range(6):
        publish(db, quarter, create_member(db, branch=world.branch, group=world.group, name=f"党员{i}"), 5 - i % 3)
    path = star_path(star_board(db, world))
    assert client.get(path).status_code == 200
    query_counter.clear()
    assert client.get(path).status_code == 200
    selects = [q for q in query_counter if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects  # token + board version, then the subtree's content versions


def test_the_record_code_in_small_print(client: TestClient, db: Session, world: World, quarter: RatingPeriod) -> None:
    """A star board and its poster print the 记录校验码 of their unit (docs/history.md): the town
    committee's digest holds its rating periods' chains, as a branch's holds its results' — paper
    outside the system witnesses the published levels too."""
    from app.core.db import pk
    from app.core.permissions import SYSTEM
    from app.pledges import history

    publish(db, quarter, member_of(db, world.member), 5)
    board = star_board(db, world)
    assert "记录校验码" not in client.get(star_path(board)).text
    history.write_digests(db, actor=SYSTEM)
    digest = history.latest_digest(db, pk(world.town))
    assert digest is not None
    line = history.digest_of(digest)
    assert line is not None
    assert line in client.get(star_path(board)).text
    assert line in client.get(f"/api/v1/boards/{board.id}/poster", headers=world.committee_admin.headers).text
    branch_board = star_board(db, world, unit=world.branch)
    branch_line = history.digest_of(history.latest_digest(db, pk(world.branch)))
    assert branch_line is not None
    assert branch_line in client.get(star_path(branch_board)).text
