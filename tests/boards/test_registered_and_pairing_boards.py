"""Boards and issue 13's 双报到 and 结对帮扶: a community's board shows the pledges made to it by members
registered there (报到党员, with their own branch) and the member's own board leaves them out; a
member's card says 结对帮扶 N 户 and no page ever names a household."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.boards import service as boards_service
from app.boards.schemas import BoardCreate
from app.core.permissions import SYSTEM
from app.members import registration
from app.members.schemas_registration import RegistrationCreate
from app.pledges import community, pairing
from app.pledges import service as pledges_service
from app.pledges.schemas import PledgeCreate
from app.pledges.schemas_pairing import PairingCreate
from app.pledges.states import Action
from tests.boards.conftest import Maker, actor_of, board_path, member_of
from tests.factories import World
from tests.pledges.factories import actor_of as member_actor


def test_pledge_to_the_community_is_on_its_board_not_on_the_members_own(
    client: TestClient, world: World, make: Maker
) -> None:
    db = make.db
    reg = registration.create(
        db,
        actor=SYSTEM,
        data=RegistrationCreate(branch_id=world.other_branch.id or 0, member_id=world.member.member_id),
    )
    me = member_actor(db, world.member)
    located = community.create_community_pledge(
        db,
        actor=me,
        registration_id=reg.registration.id or 0,
        data=PledgeCreate(
            title="周末到社区义务理发", content="每月一次，为社区老人义务理发。", category="public_service"
        ),
    )
    pid = located.pledge.id or 0
    community_secretary = actor_of(db, world.outsider)
    for action, actor in (
        (Action.submit, me),
        (Action.approve, community_secretary),
        (Action.publish, community_secretary),
    ):
        loc = pledges_service.visible_pledge(db, actor, pid)
        pledges_service.act(db, actor=actor, located=loc, action=action, expected_version=loc.pledge.version)
    own = make.pledge(member=member_of(db, world.member), title="维护组内道路")
    home_board = make.board(world.branch)
    data = BoardCreate(unit_id=world.other_branch.id or 0)
    community_board = boards_service.create_board(db, actor=community_secretary, data=data)
    db.flush()
    html = client.get(board_path(community_board)).text
    assert "报到党员 · 向社区作承诺" in html
    assert "周末到社区义务理发" in html
    assert f"{world.branch.name}党员，到本社区报到" in html
    assert "党员甲" in html
    assert client.get(f"{board_path(community_board)}/p/{pid}").status_code == 200
    home = client.get(board_path(home_board)).text
    assert "周末到社区义务理发" not in home
    assert "维护组内道路" in home
    assert own


def test_board_shows_how_many_households_and_never_their_names(client: TestClient, world: World, make: Maker) -> None:
    db = make.db
    secretary = make.secretary
    for name in ("程大山户", "汪小河户"):
        pairing.create_pairing(
            db, actor=secretary, data=PairingCreate(household_name=name, member_id=world.member.member_id)
        )
    ended = pairing.create_pairing(
        db, actor=secretary, data=PairingCreate(household_name="胡三户", member_id=world.member.member_id)
    )
    ended.pairing.ended_on = ended.pairing.since
    db.add(ended.pairing)
    pid = make.pledge(
        member=member_of(db, world.member), title="结对帮扶两户困难家庭", progress="走访结对户：送去米和油"
    )
    board = make.board()
    html = client.get(board_path(board)).text
    assert "结对帮扶 2 户" in html
    page = client.get(f"{board_path(board)}/p/{pid}").text
    for text in (html, page):
        for name in ("程大山", "汪小河", "胡三"):
            assert name not in text
