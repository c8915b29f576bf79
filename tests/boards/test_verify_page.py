"""The public verify page of a pledge (/b/{token}/p/{id}/verify) and the digest's small print on the
board and pledge pages: the chain link by link, public events with their labels, private ones by
hash only (no reason, no name), whole or not; the 记录校验码 once the day's digest exists."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.boards import poster, public
from app.core import chain
from app.core.permissions import SYSTEM
from app.members.models import Member
from app.pledges import history
from app.pledges.models import PledgeEvent, PledgeOutcome
from tests.boards.conftest import Maker, board_path
from tests.factories import World, create_member


def _paper_member(db: Session, world: World) -> Member:
    """A member without a phone, whose pledge the secretary files (as on paper)."""
    return create_member(db, branch=world.branch, group=world.group, name="王大山", photo_key=None)


def _events(db: Session, pledge_id: int) -> list[PledgeEvent]:
    stmt = select(PledgeEvent).where(col(PledgeEvent.pledge_id) == pledge_id).order_by(col(PledgeEvent.id))
    return list(db.execute(stmt).scalars())


def test_the_chain_is_public_without_the_private_events(
    client: TestClient, world: World, make: Maker, db: Session
) -> None:
    pid = make.pledge(member=_paper_member(db, world), title="帮助困难户收玉米", close=PledgeOutcome.kept)
    board = make.board()
    r = client.get(f"{board_path(board)}/p/{pid}/verify")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "校验通过" in page
    events = _events(db, pid)
    for e in events:
        assert e.hash in page  # every link, private ones too
    assert chain.GENESIS in page  # the first link's predecessor
    assert "公开承诺（亮诺）" in page
    assert "销诺" in page
    assert page.count("内部记录（不公开）") == sum(e.action in ("create", "submit", "approve") for e in events)
    # nothing of the private events' content: no reasons, no one's name
    assert "经核实已完成" not in page
    for name in {e.actor_name for e in events}:
        assert name not in page


def test_a_tampered_chain_shows_as_broken(client: TestClient, world: World, make: Maker, db: Session) -> None:
    pid = make.pledge(member=_paper_member(db, world))
    board = make.board()
    first = _events(db, pid)[0]
    db.execute(text("UPDATE pledge_event SET actor_name = '某人' WHERE id = :id"), {"id": first.id})
    page = client.get(f"{board_path(board)}/p/{pid}/verify").text
    assert "校验未通过" in page
    assert "不符" in page


def test_the_digest_in_small_print(client: TestClient, world: World, make: Maker, db: Session) -> None:
    pid = make.pledge(member=_paper_member(db, world))
    board = make.board()
    before = client.get(f"{board_path(board)}/p/{pid}").text
    assert "记录校验码" not in before
    assert f"/p/{pid}/verify" in before
    history.write_digests(db, actor=SYSTEM)
    digest = history.latest_digest(db, world.branch.id)  # type: ignore[arg-type]
    assert digest is not None
    line = f"记录校验码 {chain.short(digest.digest)}，{digest.day.isoformat()}"
    public.clear_caches()
    assert line in client.get(board_path(board)).text
    assert line in client.get(f"{board_path(board)}/p/{pid}").text
    assert line in client.get(f"{board_path(board)}/p/{pid}/verify").text
    assert line in poster.html(db, [board])  # printed: paper outside the system witnesses it


def test_not_on_the_board_is_the_chinese_404(client: TestClient, world: World, make: Maker, db: Session) -> None:
    hidden = make.pledge(member=_paper_member(db, world), publish=False)
    board = make.board()
    r = client.get(f"{board_path(board)}/p/{hidden}/verify")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert client.get(f"{board_path(board)}/p/999999/verify").status_code == 404
