"""The board's pledge line and pledge page show the pledge's catalogue post, pioneer or not, and its
duties — only when public: private duties never reach a public page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.members import posts
from app.members.schemas_posts import PostCreate
from app.pledges.models import Pledge
from tests.boards.conftest import Maker, actor_of, board_path
from tests.factories import World, create_member


def test_public_duties_show_and_private_duties_never_do(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    secretary = actor_of(db, world.secretary)
    shown, _ = posts.create_post(
        db,
        actor=secretary,
        unit_id=world.branch.id,  # type: ignore[arg-type]
        data=PostCreate(name="环境卫生监督岗", duties="每周巡查村道卫生死角", pioneer=True),
    )
    hidden, _ = posts.create_post(
        db,
        actor=secretary,
        unit_id=world.branch.id,  # type: ignore[arg-type]
        data=PostCreate(name="矛盾纠纷调解岗", duties="调解张家与李家宅基地纠纷", duties_public=False),
    )
    a = create_member(db, branch=world.branch, group=world.group, name="钟秀英")
    b = create_member(db, branch=world.branch, group=world.group, name="王建国")
    posts.assign(db, actor=secretary, member=a, post_id=shown.id)
    posts.assign(db, actor=secretary, member=b, post_id=hidden.id)
    pa = make.pledge(member=a, title="每周清扫组内主干道")
    pb = make.pledge(member=b, title="化解邻里矛盾")
    assert db.get(Pledge, pa).post_id == shown.id  # type: ignore[union-attr]
    board = make.board()
    html = client.get(board_path(board)).text
    assert "依岗承诺：环境卫生监督岗（党员先锋岗）" in html
    assert "岗位职责：每周巡查村道卫生死角" in html
    assert "依岗承诺：矛盾纠纷调解岗" in html
    assert "调解张家与李家宅基地纠纷" not in html
    page_a = client.get(f"{board_path(board)}/p/{pa}").text
    assert "岗位职责：每周巡查村道卫生死角" in page_a
    page_b = client.get(f"{board_path(board)}/p/{pb}").text
    assert "矛盾纠纷调解岗" in page_b
    assert "宅基地" not in page_b
