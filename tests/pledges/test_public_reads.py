"""What boards get from pledges (`…Public`): masked free text, no internal ids, and the history of a
pledge that was published and later cancelled."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.errors import NotFound
from app.pledges import service
from app.pledges.models import PledgeStatus
from app.pledges.schemas import PledgePublic
from app.pledges.states import Action
from tests.factories import World
from tests.pledges.api import API, act, create, etag_of, ok, progress
from tests.pledges.factories import actor_of, add_progress, board_pledge, collective_pledge, member_pledge, on_boards

PHONE = "电话 138-1234-5678"
ID_NUMBER = "身份证 11010519491231002X"


def _published(client: TestClient, world: World, **body: object) -> int:
    pid = int(create(client, world.member, **body)["id"])
    for who, action in ((world.member, "submit"), (world.secretary, "approve"), (world.secretary, "publish")):
        ok(act(client, who, pid, action))
    return pid


def test_personal_numbers_are_masked_in_public_reads_only(client: TestClient, world: World, db: Session) -> None:
    pid = _published(client, world, title="帮扶困难户 13912345678", content=f"有事请找我，{PHONE}。")
    text = f"已上门，{PHONE}，{ID_NUMBER}"
    ok(progress(client, world.member, pid, text), 201)

    # the member's own API read: as typed
    items = ok(client.get(f"{API}/pledges/{pid}/timeline", headers=world.member.headers))["items"]
    assert next(e for e in items if e["kind"] == "progress")["text"] == text

    # the public reads: masked, everywhere free text reaches them
    public = board_pledge(db, pid)
    assert public.title == "帮扶困难户 139****5678"
    assert public.content == "有事请找我，电话 138****5678。"
    assert public.latest_progress is not None
    assert public.latest_progress.text == "已上门，电话 138****5678，身份证 1****************X"
    grouped = service.public_pledges_for_units(db, member_ids=[world.member.member_id or 0])
    assert grouped.by_member[world.member.member_id or 0][0].latest_progress == public.latest_progress
    entry = next(e for e in service.public_timeline(db, pid) if e.kind == "progress")
    assert entry.text == public.latest_progress.text

    # a revision's old and new text, and the closing comment
    r = client.post(
        f"{API}/pledges/{pid}/revise",
        json={"content": "联系我 0551-12345678"},
        headers={**world.member.headers, "If-Match": etag_of(client, world.member, pid)},
    )
    ok(r)
    ok(act(client, world.secretary, pid, "approve"))
    ok(act(client, world.member, pid, "request_close"))
    ok(act(client, world.secretary, pid, "close", outcome="kept", reason=f"已核实，回访{PHONE}"))
    timeline = service.public_timeline(db, pid)
    revised = next(e for e in timeline if e.action == "revised")
    assert revised.changes == {"content": {"from": "有事请找我，电话 138****5678。", "to": "联系我 05********78"}}
    closed = next(e for e in timeline if e.action == "close")
    assert closed.comment == "已核实，回访电话 138****5678"
    dumped = "".join(e.model_dump_json() for e in timeline) + board_pledge(db, pid).model_dump_json()
    for raw in ("1234-5678", "13912345678", "11010519491231002X", "12345678"):
        assert raw not in dumped


def test_public_pledges_carry_no_internal_ids(world: World, db: Session) -> None:
    """Who owns a public pledge is told by where it stands in PublicPledges, not by ids in the schema."""
    assert not {"member_id", "unit_id", "branch_id"} & set(PledgePublic.model_fields)
    mine = member_pledge(world, status=PledgeStatus.published)
    ours = collective_pledge(world, status=PledgeStatus.closed)
    found = service.public_pledges_for_units(
        db, member_ids=[world.member.member_id or 0], unit_ids=[world.group.id or 0]
    )
    assert [p.id for p in found.by_member[world.member.member_id or 0]] == [mine.id]
    assert [p.id for p in found.by_unit[world.group.id or 0]] == [ours.id]
    for public in (board_pledge(db, mine.id or 0), found.by_unit[world.group.id or 0][0]):
        assert not {"member_id", "unit_id", "branch_id"} & set(public.model_dump())


def test_a_published_pledge_that_is_cancelled_stays_on_the_boards(
    client: TestClient, world: World, db: Session
) -> None:
    pid = _published(client, world)
    add_progress(db, service.get_pledge(db, pid), text="已清扫两次")
    ok(act(client, world.secretary, pid, "cancel", reason="该党员已外出务工，无法履行"))

    public = board_pledge(db, pid)
    assert public.status == PledgeStatus.cancelled
    assert public.status_label == "已取消"
    assert not public.overdue
    found = service.public_pledges_for_units(db, member_ids=[world.member.member_id or 0])
    assert [p.id for p in found.by_member[world.member.member_id or 0]] == [pid]
    timeline = service.public_timeline(db, pid)
    assert [e.action or e.kind for e in timeline] == ["cancel", "progress", "publish"]
    assert timeline[0].label == "承诺取消"
    assert timeline[0].comment is None
    assert "外出务工" not in "".join(e.model_dump_json() for e in timeline) + public.model_dump_json()

    # cancelled before it was ever published: never public
    approved = member_pledge(world, status=PledgeStatus.approved)
    secretary = actor_of(db, world.secretary)
    located = service.visible_pledge(db, secretary, approved.id or 0)
    service.act(
        db, actor=secretary, located=located, action=Action.cancel, expected_version=approved.version, reason="重复登记"
    )
    assert located.pledge.status == PledgeStatus.cancelled
    assert on_boards(db, approved.id or 0) is None
    with pytest.raises(NotFound):
        service.public_timeline(db, approved.id or 0)
