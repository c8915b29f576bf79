"""Villagers' satisfaction with a branch (issue 13; 001 "群众对村党支部的满意度达到95%以上"): the branch's
board shows it across all its pledges and collective pledges — each phone once, by its latest choice,
the one formula, from five people up, in the board's year — and a new rating makes the cached board
new; the secretary reads the same figure in the app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col

from app.core.db import pk
from app.core.time import today_local
from app.evaluations import formula
from app.evaluations import service as evaluations_service
from app.evaluations.models import PublicRating, Satisfaction
from app.pledges.models import PledgeStatus
from tests.boards.conftest import Maker, board_path, member_of
from tests.factories import World
from tests.matrix import Case, check, params
from tests.pledges.factories import create_pledge

S = Satisfaction
API = "/api/v1/evaluations/branches"


def _rate(make: Maker, pledge_id: int, device: str, choice: Satisfaction) -> None:
    ref = evaluations_service.pledge_ref(make.db, pledge_id)
    evaluations_service.rate(make.db, pledge=ref, choice=choice, device_hash=device, ip_hash=f"ip-{device}")
    make.db.flush()


def test_the_branch_board_counts_people_across_its_pledges(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    mine = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    group_pledge = make.pledge(unit=world.group, title="组内修路")
    branch_pledge = make.pledge(unit=world.branch, title="支部换路灯")
    other = pk(
        create_pledge(db, unit=world.other_group, member_id=world.outsider.member_id, status=PledgeStatus.published)
    )
    board = make.board(unit=world.branch)
    # four phones: one of them rates twice (its later choice is its view), on another pledge
    for device in ("d1", "d2", "d3"):
        _rate(make, mine, device, S.satisfied)
    _rate(make, group_pledge, "d0", S.satisfied)
    _rate(make, branch_pledge, "d0", S.unsatisfied)
    # the other branch's villagers and last year's ratings are not this figure's
    for i in range(6):
        _rate(make, other, f"o{i}", S.unsatisfied)
    _rate(make, mine, "old", S.unsatisfied)
    db.execute(
        update(PublicRating).where(col(PublicRating.device_hash) == "old").values(period=f"{today_local().year - 1}Q4")
    )
    db.flush()

    html = client.get(board_path(board)).text
    assert 'data-testid="branch-satisfaction"' not in html  # four people: too few to show
    secretary = client.get(f"{API}/{world.branch.id}/satisfaction", headers=world.secretary.headers).json()
    assert (secretary["people"], secretary["satisfied_percent"]) == (4, None)
    assert secretary["formula"] == formula.TEXT

    _rate(make, group_pledge, "d4", S.basic)  # the fifth person, on a group's pledge: the cached board is new
    html = client.get(board_path(board)).text
    assert "群众对大洼社区党支部的满意度 80%" in html
    assert "5 人，满意 3 · 基本满意 1 · 不满意 1" in html
    assert formula.TEXT in html
    secretary = client.get(f"{API}/{world.branch.id}/satisfaction", headers=world.secretary.headers).json()
    assert (secretary["people"], secretary["satisfied"], secretary["basic"], secretary["unsatisfied"]) == (5, 3, 1, 1)
    assert secretary["satisfied_percent"] == formula.percent(3, 1, 1) == 80
    # last year: one person, not shown
    last = client.get(
        f"{API}/{world.branch.id}/satisfaction?year={today_local().year - 1}", headers=world.secretary.headers
    ).json()
    assert (last["people"], last["satisfied_percent"]) == (1, None)
    # a group's board shows its pledges' figures, not the branch's
    group_board = make.board(unit=world.group)
    assert "branch-satisfaction" not in client.get(board_path(group_board)).text


def test_only_a_branch_has_a_branch_figure(client: TestClient, world: World) -> None:
    r = client.get(f"{API}/{world.town.id}/satisfaction", headers=world.committee_admin.headers)
    assert (r.status_code, r.json()["code"]) == (422, "satisfaction_bad_unit")


CASES = [
    Case(
        "GET",
        lambda w: f"{API}/{w.branch.id}/satisfaction",
        name="GET /evaluations/branches/{id}/satisfaction",
        allowed=["committee_admin", "secretary"],
        denied_403=["group_leader", "member", "supervisor"],
    ),
]


@pytest.mark.parametrize(("case", "persona"), params(CASES))
def test_permission_matrix(client: TestClient, world: World, case: Case, persona: str) -> None:
    check(client, world, case, persona)
