"""The practice's rules on the public pages (issue 13, "Divergences to correct"): what stays public when
a member withdraws consent, whose post a pledge shows, how villagers are counted, one satisfaction
formula, collective pledges of every level, past years."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.boards import public
from app.members import service as members_service
from app.members.schemas import MemberUpdate
from app.pledges.models import PledgeOutcome
from tests.boards.conftest import Maker, actor_of, board_path, member_of
from tests.factories import World, create_member

ANONYMOUS = "一名党员"


def test_withdrawn_consent_keeps_published_and_closed_pledges_public_without_the_name(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    """003 "全体共产党员……作出公开承诺并进行公示": a published or closed pledge stays on the board and
    its page stays open when the member withdraws consent; the member shows as 一名党员 with the post,
    with no name, photo or public title."""
    m = create_member(db, branch=world.branch, group=world.group, name="钟秀英", post="环境卫生监督岗")
    m.public_title = "党员先锋岗"
    m.photo_key = "a" * 64 + ".jpg"
    db.add(m)
    open_id = make.pledge(member=m, title="每周清扫组内主干道", progress="本周清扫两次")
    closed_id = make.pledge(member=m, title="修好村口水井", close=PledgeOutcome.kept)
    board = make.board()
    branch_board = make.board(world.branch)
    before = client.get(board_path(board)).text
    assert "钟秀英" in before
    assert "每周清扫组内主干道" in before

    members_service.update_member(
        db, actor=actor_of(db, world.secretary), member=m, data=MemberUpdate(board_consent=False)
    )
    for b in (board, branch_board):
        page = client.get(board_path(b))
        assert page.status_code == 200
        html = page.text
        for shown in ("每周清扫组内主干道", "修好村口水井", ANONYMOUS, "环境卫生监督岗"):
            assert shown in html, shown
        for hidden in ("钟秀英", "党员先锋岗", "a" * 64):
            assert hidden not in html, hidden
        for pid in (open_id, closed_id):
            for suffix in ("", "?big=1"):
                r = client.get(f"{board_path(b)}/p/{pid}{suffix}")
                assert r.status_code == 200, (pid, r.status_code)
                assert ANONYMOUS in r.text
                assert "钟秀英" not in r.text
        assert "本周清扫两次" in client.get(f"{board_path(b)}/p/{open_id}").text
        big = client.get(f"{board_path(b)}?big=1").text
        assert "钟秀英" not in big
        assert "每周清扫组内主干道" in big
    poster = client.get(f"/api/v1/boards/{board.id}/poster", headers=world.secretary.headers).text
    assert "每周清扫组内主干道" in poster
    assert "钟秀英" not in poster
    assert ANONYMOUS in poster


def test_a_member_without_consent_and_without_public_pledges_is_not_listed(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    hidden = create_member(db, branch=world.branch, group=world.group, name="不公示者", consent=False)
    make.pledge(member=hidden, title="还在审核的承诺", publish=False)
    board = make.board()
    html = client.get(board_path(board)).text
    assert "不公示者" not in html
    assert "还在审核的承诺" not in html
    assert ANONYMOUS not in html
    assert re.search(r"<b>0</b>承诺", html)
    public.clear_caches()


def test_the_board_shows_the_pledges_own_post_not_the_members_current_one(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    """依岗承诺 (003): a pledge made for 环境卫生监督岗 shows that post, on the board and on its page, though
    the member's post is now 矛盾纠纷调解岗; a pledge drafted without a post takes the member's post of
    the day it was made."""
    from app.pledges import service as pledges_service
    from app.pledges.models import PledgeCategory
    from app.pledges.schemas import PledgeCreate

    m = create_member(db, branch=world.branch, group=world.group, name="钟秀英", post="环境卫生监督岗")
    secretary = actor_of(db, world.secretary)
    made = pledges_service.create_pledge(
        db,
        actor=secretary,
        data=PledgeCreate(
            title="每周清扫组内主干道", content="每周清扫两次。", category=PledgeCategory.post_duty, member_id=m.id
        ),
    )
    assert made.pledge.post == "环境卫生监督岗"
    pid = made.pledge.id
    for action in ("submit", "approve", "publish"):
        make.act(pid, action)  # type: ignore[arg-type]
    members_service.update_member(db, actor=secretary, member=m, data=MemberUpdate(post="矛盾纠纷调解岗"))
    board = make.board()
    html = client.get(board_path(board)).text
    item = html[html.index("每周清扫组内主干道") :]
    item = item[: item.index("</li>")]
    assert "环境卫生监督岗" in item
    page = client.get(f"{board_path(board)}/p/{pid}").text
    meta = re.search(r'<p class="meta">(.*?)</p>', page)
    assert meta is not None
    assert "环境卫生监督岗" in meta.group(1)
    assert "矛盾纠纷调解岗" not in meta.group(1)
    poster = client.get(f"/api/v1/boards/{board.id}/poster", headers=world.secretary.headers).text
    assert "（环境卫生监督岗）" in poster


def _ratings(db: Session, pledge_id: int, rows: list[tuple[str, str, str]]) -> None:
    """(device, period, choice) rows, as the intake stores them (one per device, pledge and quarter)."""
    from app.evaluations import service as evaluations_service
    from app.evaluations.models import PublicRating

    ref = evaluations_service.pledge_ref(db, pledge_id)
    for device, period, choice in rows:
        db.add(
            PublicRating(
                pledge_id=pledge_id,
                branch_id=ref.branch_id,
                unit_id=ref.unit_id,
                member_id=ref.member_id,
                period=period,
                choice=choice,
                device_hash=device,
                ip_hash="ip",
            )
        )
    db.flush()
    from app.org import service as org_service

    org_service.touch(db, [ref.unit_id, ref.branch_id])


def test_villagers_are_counted_as_distinct_devices_over_the_boards_year(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    """ "N 人评价" counts phones, not ratings: 2 phones rating in 3 quarters are 2 people (below the
    threshold of 5, so no figure); 5 phones are 5 people, each counted once by their latest choice;
    a rating from another year is not in this year's board."""
    from app.boards import service

    year = service.current_year()
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    _ratings(db, pid, [(f"d{d}", f"{year}Q{q}", "satisfied") for d in (1, 2) for q in (1, 2, 3)])
    board = make.board()
    html = client.get(board_path(board)).text
    assert "人评价" not in html
    assert "群众满意度" not in html
    # three more phones, one of them changing its mind in a later quarter; one from last year
    _ratings(db, pid, [("d3", f"{year}Q1", "satisfied"), ("d4", f"{year}Q1", "unsatisfied")])
    _ratings(db, pid, [("d4", f"{year}Q2", "basic"), ("d5", f"{year}Q2", "unsatisfied")])
    _ratings(db, pid, [("d9", f"{year - 1}Q4", "unsatisfied")])
    html = client.get(board_path(board)).text
    assert "5 人评价" in html
    page = client.get(f"{board_path(board)}/p/{pid}").text
    assert "满意 3 · 基本满意 1 · 不满意 1" in page


def test_past_years_stay_readable_and_january_shows_last_years_results(
    client: TestClient, db: Session, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On 1 January the new year's board moves on, but last year's pledges stay readable (?year=, 往年承诺)
    with their own ETag, their pledge pages stay open (read only), and January's board shows last year's
    outcome beside the new year's pledges (003's 创星榜: 上一年度)."""
    from datetime import date

    from app.boards import service

    year = service.current_year()
    kept = make.pledge(member=member_of(db, world.member), title="关爱空巢老人", close=PledgeOutcome.kept)
    make.pledge(member=member_of(db, world.member), title="义务维修组内路灯")
    board = make.board()
    path = board_path(board)
    now = client.get(path)
    assert "往年承诺" not in now.text

    monkeypatch.setattr(service, "today_local", lambda: date(year + 1, 1, 5))
    new = client.get(path).text
    assert f"{year + 1} 年度" in new
    assert "关爱空巢老人" not in new
    assert f"{year} 年度承诺结果</b>：承诺 2 项，已兑现 1 项" in new
    assert f'href="{path}?year={year}"' in new

    past = client.get(f"{path}?year={year}")
    assert past.status_code == 200
    assert "关爱空巢老人" in past.text
    assert "往年承诺，只供查阅" in past.text
    assert past.headers["etag"] != now.headers["etag"]
    assert client.get(f"{path}?year={year}", headers={"If-None-Match": past.headers["etag"]}).status_code == 304
    assert client.get(f"{path}?year={year}&big=1").headers["etag"] != past.headers["etag"]

    pledge = client.get(f"{path}/p/{kept}")
    assert pledge.status_code == 200
    assert "只供查阅" in pledge.text
    assert 'name="choice"' not in pledge.text
    assert f'href="{path}?year={year}"' in pledge.text

    for bad in ("abc", str(year + 1 + 1), "1999", "２０２５"):
        r = client.get(f"{path}?year={bad}")
        assert r.status_code == 404, bad
        assert "没有这一年度的公示" in r.text

    monkeypatch.setattr(service, "today_local", lambda: date(year + 1, 2, 1))
    february = client.get(path).text
    assert "年度承诺结果" not in february
    assert f"{year} 年" in february  # the 往年承诺 link stays
