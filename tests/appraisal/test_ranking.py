"""The 比学赶超 ranking: the committee's preview and publish decision, the public page /r/{token}
(order, figures computed by hand below, no personal data, ETag/304, a withdrawn or unknown token the
Chinese 404 page), and 十佳支书 nominated, selected with a reason and shown on the star board.

The town by hand (2026):
- 大洼社区党支部: year 355 分 四星 (published), tier 先进; 4 active members — 党员甲 has a published and a
  closed not-kept pledge, 组长 a closed kept one, 书记 a draft only, 监督员 none: coverage 2 / 4 = 50 %;
  closed 2, kept 1: 50 %; five phones rate 党员甲's pledge 满意 ×3, 基本满意, 不满意: 4 / 5 = 80 %.
- 花车村党支部: 230 分 一星, tier 后进; 1 member with a published pledge: 1 / 1 = 100 %; four phones:
  fewer than five people, satisfaction not shown.
- 机关党支部: no year result: last, without a place.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.evaluations.models import Satisfaction
from app.pledges.models import PledgeOutcome, PledgeStatus
from tests.appraisal.tiers_factories import API, YEAR, act, h, propose, tier_of, year_levels
from tests.factories import World
from tests.pledges.factories import create_pledge
from tests.ratings.results_factories import rate

S, B, U = Satisfaction.satisfied, Satisfaction.basic, Satisfaction.unsatisfied


def town(client: TestClient, world: World, db: Session) -> None:
    year_levels(db, world)
    propose(client, world)
    act(client, world.committee_admin, tier_of(client, world, world.branch.id or 0), "approve")
    act(client, world.committee_admin, tier_of(client, world, world.other_branch.id or 0), "approve")
    member, leader, secretary, outsider = (
        world.member.member_id,
        world.group_leader.member_id,
        world.secretary.member_id,
        world.outsider.member_id,
    )
    published = create_pledge(
        db, unit=world.group, member_id=member, status=PledgeStatus.published, year=YEAR, title="帮助13912345678家修路"
    )
    create_pledge(
        db, unit=world.group, member_id=member, status=PledgeStatus.closed, outcome=PledgeOutcome.not_kept, year=YEAR
    )
    create_pledge(
        db, unit=world.group, member_id=leader, status=PledgeStatus.closed, outcome=PledgeOutcome.kept, year=YEAR
    )
    create_pledge(db, unit=world.group, member_id=secretary, status=PledgeStatus.draft, year=YEAR)
    theirs = create_pledge(db, unit=world.other_group, member_id=outsider, status=PledgeStatus.published, year=YEAR)
    rate(db, published, [S, S, S, B, U])
    rate(db, theirs, [S, S, S, S])


def test_preview_and_publish_decision(client: TestClient, world: World, db: Session) -> None:
    town(client, world, db)
    params = {"unit_id": world.town.id, "year": YEAR}
    r = client.get(f"{API}/rankings/preview", params=params, headers=h(world.committee_admin))
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert [(x["rank"], x["branch_name"]) for x in rows] == [
        (1, "大洼社区党支部"),
        (2, "花车村党支部"),
        (None, "机关党支部"),
    ]
    first, second, last = rows
    assert (first["score"], first["stars_label"], first["tier_label"]) == (355.0, "四星", "先进")
    assert (first["members"], first["covered"], first["coverage"]) == (4, 2, 50.0)
    assert (first["closed"], first["kept"], first["kept_rate"]) == (2, 1, 50.0)
    assert (first["raters"], first["satisfaction"]) == (5, 80)
    assert (second["tier_label"], second["coverage"], second["kept_rate"]) == ("后进", 100.0, None)
    assert (second["raters"], second["satisfaction"]) == (4, None)
    assert (last["score"], last["stars_label"], last["tier_label"]) == (None, "未公布", "未评定")
    # only the committee previews and publishes
    assert client.get(f"{API}/rankings/preview", params=params, headers=h(world.secretary)).status_code == 404
    assert client.post(f"{API}/rankings", json=params, headers=h(world.secretary)).status_code == 404
    assert client.get(f"{API}/rankings", headers=h(world.secretary)).status_code == 403
    r = client.post(f"{API}/rankings", json={**params, "reason": "年度考评结束"}, headers=h(world.committee_admin))
    assert r.status_code == 201, r.text
    pub = r.json()
    assert pub["status"] == "published"
    assert pub["allowed_actions"] == ["withdraw"]
    assert "/r/" in pub["url"]
    # publishing twice: 409
    assert client.post(f"{API}/rankings", json=params, headers=h(world.committee_admin)).status_code == 409
    listed = client.get(f"{API}/rankings", headers=h(world.committee_admin)).json()
    assert [p["id"] for p in listed["items"]] == [pub["id"]]


def test_the_public_page(client: TestClient, world: World, db: Session) -> None:
    town(client, world, db)
    params = {"unit_id": world.town.id, "year": YEAR}
    pub = client.post(f"{API}/rankings", json=params, headers=h(world.committee_admin)).json()
    path = "/r/" + pub["url"].rsplit("/r/", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    # order, figures and words
    first, second = text.index("第 1 名</span>　大洼社区党支部"), text.index("第 2 名</span>　花车村党支部")
    assert first < second < text.index("机关党支部")
    assert "年度考评 <b>355</b> 分" in text
    assert "分类：<b>先进</b>" in text
    assert "承诺覆盖 50%（2 / 4 名党员有公示承诺）" in text
    assert "承诺兑现率 50%（已销诺 2 件，已兑现 1 件）" in text
    assert "群众满意度 80%（5 人评价）" in text
    assert "评价人数不足 5 人，暂不显示" in text
    assert "满意度 =（满意 + 基本满意）÷ 参加评价的人数" in text
    # no personal data: no member's name, phone or pledge title; no script
    for persona in ("member", "group_leader", "secretary", "outsider", "committee_admin"):
        assert getattr(world, persona).phone not in text
    for name in ("党员甲", "组长", "书记", "外支书", "管委员", "13912345678", "帮助"):
        assert name not in text.replace("支部书记", "")
    assert "<script" not in text
    assert page.headers["referrer-policy"] == "no-referrer"
    # ETag and 304; the large text version
    again = client.get(path, headers={"If-None-Match": page.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert 'class="big"' in client.get(path, params={"big": "1"}).text
    assert client.get(f"{path}/qr.svg").headers["content-type"].startswith("image/svg+xml")
    # a tier decision touches the branch: the page changes
    tier = tier_of(client, world, world.branch.id or 0)
    act(client, world.committee_admin, tier, "change", {"tier": "ordinary", "reason": "群众反映问题"})
    fresh = client.get(path, headers={"If-None-Match": page.headers["etag"]})
    assert fresh.status_code == 200
    assert "分类：<b>一般</b>" in fresh.text
    # withdrawn: the Chinese 404 page
    r = client.post(f"{API}/rankings/{pub['id']}/withdraw", json={}, headers=h(world.committee_admin, pub["version"]))
    assert r.status_code == 422
    r = client.post(
        f"{API}/rankings/{pub['id']}/withdraw",
        json={"reason": "数据有误"},
        headers=h(world.committee_admin, pub["version"]),
    )
    assert r.status_code == 200
    gone = client.get(path)
    assert gone.status_code == 404
    assert "未找到该排行榜" in gone.text
    assert gone.headers["content-type"].startswith("text/html")
    assert client.get("/r/not-a-token").status_code == 404
    assert "未找到" in client.get("/r/x/y/z").text
    # published again: the same address
    again = client.post(f"{API}/rankings", json=params, headers=h(world.committee_admin))
    assert again.json()["url"] == pub["url"]
    assert client.get(path).status_code == 200


def test_ten_best_secretaries(client: TestClient, world: World, db: Session) -> None:
    from tests.boards.test_star_board import star_board

    year_levels(db, world)
    url = f"{API}/rating-honours/secretaries"
    body = {"member_id": world.secretary.member_id, "year": YEAR, "reason": "带领群众修路"}
    # not a secretary; the secretary themself may not nominate; the committee does
    assert (
        client.post(
            url, json={**body, "member_id": world.member.member_id}, headers=h(world.committee_admin)
        ).status_code
        == 409
    )
    assert client.post(url, json=body, headers=h(world.secretary)).status_code == 403
    r = client.post(url, json=body, headers=h(world.committee_admin))
    assert r.status_code == 201, r.text
    honour = r.json()
    assert (honour["kind"], honour["kind_label"], honour["owner_name"], honour["pledge_id"]) == (
        "secretary",
        "十佳支书",
        "书记",
        None,
    )
    assert client.post(url, json=body, headers=h(world.committee_admin)).status_code == 409
    # by branch: its one secretary; a branch without one is refused
    by_branch = {"branch_id": world.other_branch.id, "year": YEAR}
    r = client.post(url, json=by_branch, headers=h(world.committee_admin))
    assert r.status_code == 201, r.text
    assert r.json()["owner_name"] == "外支书"
    r = client.post(url, json={"branch_id": world.office.id, "year": YEAR}, headers=h(world.committee_admin))  # type: ignore[union-attr]
    assert r.status_code == 409
    assert r.json()["code"] == "honour_no_secretary"
    listed = client.get(f"{API}/rating-honours", params={"kind": "secretary"}, headers=h(world.committee_admin)).json()
    assert honour["id"] in [x["id"] for x in listed["items"]]
    assert len(listed["items"]) == 2
    sel = f"{API}/rating-honours/{honour['id']}/select"
    assert client.post(sel, json={"reason": "x"}, headers=h(world.committee_admin)).status_code == 428
    r = client.post(sel, json={"reason": "群众公认"}, headers=h(world.committee_admin, honour["version"]))
    assert r.status_code == 200, r.text
    assert (r.json()["selected"], r.json()["reason"]) == (True, "群众公认")
    board = star_board(db, world)
    page = client.get(f"/s/{board.token}")
    assert "2026年度十佳" in page.text
    assert "十佳支书" in page.text
    assert "书记（大洼社区党支部书记）" in page.text


def test_a_year_without_pledges_shows_no_coverage(client: TestClient, world: World, db: Session) -> None:
    """A year before the town used Liangnuo (no pledge of it anywhere): its coverage and kept rate
    are unknown, not 0 % — said once, not per branch; scores and tiers are ranked as ever."""
    year_levels(db, world)
    params = {"unit_id": world.town.id, "year": YEAR}
    preview = client.get(f"{API}/rankings/preview", params=params, headers=h(world.committee_admin)).json()
    assert preview["pledges_recorded"] is False
    assert {r["coverage"] for r in preview["rows"]} == {None}
    pub = client.post(f"{API}/rankings", json=params, headers=h(world.committee_admin)).json()
    text = client.get("/r/" + pub["url"].rsplit("/r/", 1)[1]).text
    assert f"{YEAR}年度没有承诺记录" in text
    assert "承诺覆盖 " not in text
    assert "承诺兑现率" not in text
    assert "第 1 名</span>　大洼社区党支部" in text
