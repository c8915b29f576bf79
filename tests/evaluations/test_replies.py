"""Replies (答复) to villagers' suggestions: the secretary answers an approved suggestion, the answer
shows under it on the boards (masked), in the moderation list and on the member's pledge in the app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text as sql
from sqlmodel import Session

from app.evaluations import service as evaluations_service
from app.evaluations.models import Suggestion
from tests.boards.conftest import Maker, board_path, member_of
from tests.factories import World
from tests.matrix import Case, check, params

API = "/api/v1/evaluations"


def _suggestion(make: Maker, text: str, pledge_id: int | None = None) -> Suggestion:
    return evaluations_service.suggest(
        make.db,
        unit_id=make.world.group.id or 0,
        branch_id=make.world.branch.id or 0,
        pledge_id=pledge_id,
        text=text,
        device_hash="d",
        ip_hash="ip",
    )


def _moderate(client: TestClient, world: World, suggestion_id: int | None, approve: bool = True) -> None:
    r = client.post(
        f"{API}/suggestions/{suggestion_id}/moderate", json={"approve": approve}, headers=world.secretary.headers
    )
    assert r.status_code == 200, r.text


def _reply(client: TestClient, world: World, suggestion_id: int | None, text: str, persona: str = "secretary"):  # type: ignore[no-untyped-def]
    return client.post(
        f"{API}/suggestions/{suggestion_id}/reply", json={"text": text}, headers=getattr(world, persona).headers
    )


def test_a_reply_shows_under_the_suggestion_on_the_board_masked(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    board = make.board()
    to_pledge = _suggestion(make, "希望多去看看村东头的老人", pledge_id=pid)
    to_unit = _suggestion(make, "村口路灯坏了")
    _moderate(client, world, to_pledge.id)
    _moderate(client, world, to_unit.id)
    before = client.get(board_path(board)).headers["etag"]

    r = _reply(client, world, to_pledge.id, "已安排每周走访一次，有事请打 138 1234 5678 找我")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reply"] == "已安排每周走访一次，有事请打 138 1234 5678 找我"  # the secretary sees it as typed
    assert body["replied_at"]
    assert _reply(client, world, to_unit.id, "路灯已于周三换好").status_code == 200

    board_html = client.get(board_path(board))
    assert board_html.headers["etag"] != before  # a reply bumps the board's content version
    assert "支部答复：</b>路灯已于周三换好" in board_html.text
    pledge_html = client.get(f"{board_path(board)}/p/{pid}").text
    assert "支部答复：</b>已安排每周走访一次" in pledge_html
    assert "1234" not in pledge_html.split("支部答复")[1].split("</p>")[0]
    assert "138****5678" in pledge_html

    # in the moderation list (approved ones) the reply is there for the secretary
    listed = client.get(f"{API}/suggestions?status=approved", headers=world.secretary.headers).json()["items"]
    assert {s["id"]: s["reply"] for s in listed}[to_unit.id] == "路灯已于周三换好"

    # replying again replaces the answer
    assert _reply(client, world, to_unit.id, "路灯已换好，谢谢提醒").status_code == 200
    text = client.get(board_path(board)).text
    assert "路灯已换好，谢谢提醒" in text
    assert "路灯已于周三换好" not in text


def test_the_public_list_gives_the_secretary_what_the_board_shows(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    """已公开 · 答复: the secretary is inside the privacy boundary and gets the raw `text` and `reply`
    (to moderate and to edit them), but `public_text` and `public_reply` are the board's very words —
    masked by the same function at read time, even for a row an older masking stored unmasked."""
    board = make.board()
    shown = _suggestion(make, "村口路灯坏了，请联系13812345678")
    _moderate(client, world, shown.id)
    assert _reply(client, world, shown.id, "已修好，有事打 138 1234 5678").status_code == 200
    raw = "村口路灯坏了，请联系 tel13812345678"  # as an older masking stored it (tests/live.py plants this)
    db.execute(sql("UPDATE suggestion SET public_text = :t WHERE id = :id"), {"t": raw, "id": shown.id})
    db.expire_all()
    from app.boards import public

    public.clear_caches()
    page = client.get(board_path(board)).text
    listed = client.get(f"{API}/suggestions?status=approved", headers=world.secretary.headers).json()["items"]
    item = {s["id"]: s for s in listed}[shown.id]
    assert item["text"] == "村口路灯坏了，请联系13812345678"  # the raw text, inside the boundary
    assert item["reply"] == "已修好，有事打 138 1234 5678"
    for field in ("public_text", "public_reply"):
        assert "1234" not in item[field], (field, item[field])
        assert item[field] in page, (field, item[field])  # word for word what the board prints
    moderated = client.post(
        f"{API}/suggestions/{shown.id}/moderate", json={"approve": True}, headers=world.secretary.headers
    ).json()
    assert "1234" not in moderated["public_text"]
    assert "1234" not in moderated["public_reply"]


def test_the_member_sees_approved_suggestions_and_replies_on_their_pledge(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    shown = _suggestion(make, "老人们很感谢，电话13812345678", pledge_id=pid)
    pending = _suggestion(make, "还没审核的", pledge_id=pid)
    hidden = _suggestion(make, "不公开的", pledge_id=pid)
    _moderate(client, world, shown.id)
    _moderate(client, world, hidden.id, approve=False)
    assert _reply(client, world, shown.id, "谢谢大家，会坚持").status_code == 200

    r = client.get(f"{API}/pledges/{pid}/suggestions", headers=world.member.headers)
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["public_text"] == "老人们很感谢，电话138****5678"  # as on the board
    assert item["reply"] == "谢谢大家，会坚持"
    assert pending.id not in {i["id"] for i in page["items"]}
    # outside the pledge's scope: 404
    assert client.get(f"{API}/pledges/{pid}/suggestions", headers=world.outsider.headers).status_code == 404


def test_only_a_public_suggestion_is_answered(client: TestClient, db: Session, world: World, make: Maker) -> None:
    pending = _suggestion(make, "请修路")
    r = _reply(client, world, pending.id, "好的")
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "suggestion_not_public"
    assert "公开" in r.json()["detail"]
    _moderate(client, world, pending.id)
    blank = _reply(client, world, pending.id, "   ")
    assert blank.status_code == 422
    assert blank.json()["detail"]
    too_long = _reply(client, world, pending.id, "长" * 501)
    assert too_long.status_code == 422


def test_a_retried_reply_is_replayed(client: TestClient, db: Session, world: World, make: Maker) -> None:
    s = _suggestion(make, "请修路")
    _moderate(client, world, s.id)
    headers = {**world.secretary.headers, "Idempotency-Key": "reply-1"}
    first = client.post(f"{API}/suggestions/{s.id}/reply", json={"text": "已修好"}, headers=headers)
    again = client.post(f"{API}/suggestions/{s.id}/reply", json={"text": "已修好"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"


def _approved_id(w: World) -> int:
    assert w.db is not None
    s = _suggestion(Maker(db=w.db, world=w), "请修路")
    s.status, s.public_text = "approved", s.text  # type: ignore[assignment]
    w.db.flush()
    return s.id or 0


def _pledge_id(w: World) -> int:
    assert w.db is not None
    return Maker(db=w.db, world=w).pledge(member=member_of(w.db, w.member))


_MODERATORS = ["secretary", "committee_admin"]
_READERS = ["group_leader", "member", "supervisor"]
CASES = [
    Case("POST", lambda w: f"{API}/suggestions/{_approved_id(w)}/reply",
         name="POST /evaluations/suggestions/{id}/reply", allowed=_MODERATORS, denied_403=_READERS,
         body_factory=lambda w: {"text": "已安排"}),
    Case("GET", lambda w: f"{API}/pledges/{_pledge_id(w)}/suggestions",
         name="GET /evaluations/pledges/{id}/suggestions", allowed=[*_MODERATORS, *_READERS]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
