"""A member's own boards (我的公示牌) and a unit's boards (the group leader's link and QR code), issue 9:
public addresses only, the member's card exactly as the board shows it, nothing private."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.boards import service
from app.boards.models import BoardKind
from app.boards.schemas import BoardCreate
from app.members.models import Member
from tests.boards.conftest import Maker, actor_of, board_path, jpeg, member_of
from tests.factories import World
from tests.matrix import Case, check, params

API = "/api/v1"


def _ok(r):  # type: ignore[no-untyped-def]
    assert r.status_code == 200, r.text
    return r.json()


def test_my_boards_show_where_i_am_and_my_public_card(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    me = member_of(db, world.member)
    me.post = "环境卫生监督岗"
    me.phone = "13912345678"
    db.add(me)
    make.pledge(member=me, title="义务清扫组内道路", progress="本周清扫两次", photos=1)
    make.pledge(member=me, title="还没公示的承诺", publish=False)
    group_board = make.board()
    branch_board = make.board(unit=world.branch, member_ids=[world.secretary.member_id])
    stars = make.board(unit=world.branch, kind=BoardKind.stars)
    # another branch's board is never mine
    service.create_board(db, actor=actor_of(db, world.outsider), data=BoardCreate(unit_id=world.other_group.id or 0))
    photo = {"photo": ("me.jpg", jpeg((10, 120, 30), (400, 300)), "image/jpeg")}
    assert client.put(f"{API}/members/{me.id}/photo", files=photo, headers=world.member.headers).status_code == 200

    body = _ok(client.get(f"{API}/my-boards", headers=world.member.headers))
    assert body["consent"] is True
    assert body["has_photo"] is True
    urls = [b["public_url"] for b in body["boards"]]
    # the group's board first, then the branch's; both with their QR codes
    assert urls == [f"http://testserver{board_path(group_board)}", f"http://testserver{board_path(branch_board)}"]
    first, second = body["boards"]
    assert first["shown"] is True
    assert first["qr_svg_url"] == f"{first['public_url']}/qr.svg"
    assert second["shown"] is False  # the branch board shows only the members the secretary chose
    assert "选定" in second["note"]
    assert body["stars"]["public_url"].endswith(f"/s/{stars.token}")

    card = body["card"]
    assert (card["name"], card["post"]) == ("党员甲", "环境卫生监督岗")
    assert [p["title"] for p in card["pledges"]] == ["义务清扫组内道路"]  # only what the board shows
    assert card["pledges"][0]["url"].startswith(board_path(group_board))
    # the photo as villagers get it: under the board's public address, no login
    assert card["photo_url"].startswith(f"{board_path(group_board)}/img/")
    assert client.get(card["photo_url"]).status_code == 200
    # the card is what the board itself says
    page = client.get(board_path(group_board)).text
    assert "义务清扫组内道路" in page
    assert "环境卫生监督岗" in page
    # nothing private anywhere in the answer
    text = str(body)
    assert "13912345678" not in text
    assert "phone" not in text


def test_without_consent_the_card_is_anonymous_and_the_reason_is_said(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    """Without consent the boards keep the member's public pledges as 一名党员 and the post (issue 13):
    the preview shows exactly that."""
    me = member_of(db, world.member)
    me.board_consent = False
    db.add(me)
    make.pledge(member=me, title="义务清扫组内道路")
    make.board()
    db.flush()
    body = _ok(client.get(f"{API}/my-boards", headers=world.member.headers))
    assert body["consent"] is False
    card = body["card"]
    assert (card["name"], card["named"], card["public_title"], card["photo_url"], card["level"]) == (
        "一名党员",
        False,
        "",
        None,
        None,
    )
    assert [p["title"] for p in card["pledges"]] == ["义务清扫组内道路"]
    assert "同意公示" in body["consent_note"]
    assert "一名党员" in body["consent_note"]
    assert [b["shown"] for b in body["boards"]] == [False]
    assert "没有同意" in body["boards"][0]["note"]
    assert body["stars"] is None


def test_an_account_without_a_member_has_no_boards(client: TestClient, db: Session, world: World) -> None:
    member = db.get(Member, world.member.member_id)
    assert member is not None
    member.account_id = None
    db.add(member)
    db.flush()
    r = client.get(f"{API}/my-boards", headers=world.member.headers)
    assert r.status_code == 404
    assert r.json()["code"] == "no_member"


def test_a_groups_boards_nearest_first(client: TestClient, world: World, make: Maker) -> None:
    stars = make.board(unit=world.branch, kind=BoardKind.stars)
    branch_board = make.board(unit=world.branch)
    group_board = make.board()
    taken_down = make.board(title="旧公示牌")
    client.delete(f"{API}/boards/{taken_down.id}", headers=world.secretary.headers)
    body = _ok(client.get(f"{API}/units/{world.group.id}/boards", headers=world.group_leader.headers))
    assert body["total"] == 3
    tokens = [b["public_url"].rsplit("/", 1)[-1] for b in body["items"]]
    assert tokens == [group_board.token, branch_board.token, stars.token]
    assert [b["kind_label"] for b in body["items"]] == ["公示牌", "公示牌", "创星榜"]
    assert body["items"][0]["unit_name"] == "司山党小组"


def _group_board(w: World) -> str:
    assert w.db is not None
    Maker(db=w.db, world=w).board()
    return f"{API}/units/{w.group.id}/boards"


CASES = [
    Case(
        "GET",
        _group_board,
        name="GET /units/{group}/boards",
        allowed=["committee_admin", "secretary", "group_leader", "member", "supervisor"],
    ),
    Case(
        "GET",
        lambda w: f"{API}/my-boards",
        name="GET /my-boards",
        allowed=["committee_admin", "secretary", "group_leader", "member", "supervisor", "outsider"],
        hidden_404=(),
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
