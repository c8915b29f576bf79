"""One satisfaction formula (issue 13, divergence 4): the board's 满意度, the secretary's summaries, the
close dialog and the star ratings' villager part all say (满意 + 基本满意) ÷ 人数, and the pages say so."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.evaluations import formula
from app.evaluations import service as evaluations_service
from app.evaluations.models import Satisfaction
from tests.boards.conftest import Maker, board_path, member_of
from tests.factories import World


def _rate(make: Maker, pledge_id: int, choices: list[Satisfaction]) -> None:
    ref = evaluations_service.pledge_ref(make.db, pledge_id)
    for i, choice in enumerate(choices):
        evaluations_service.rate(make.db, pledge=ref, choice=choice, device_hash=f"f{i}", ip_hash="ip")


def test_one_formula_on_the_board_in_the_summaries_and_the_close_dialog(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    _rate(make, pid, [Satisfaction.satisfied] * 2 + [Satisfaction.basic] * 2 + [Satisfaction.unsatisfied])
    board = make.board()
    html = client.get(board_path(board)).text
    assert "群众满意度 80%" in html
    assert formula.TEXT in html
    assert formula.TEXT in client.get(f"{board_path(board)}/p/{pid}").text

    headers = world.secretary.headers
    members = client.get("/api/v1/evaluations/summary/members", headers=headers).json()["items"]
    assert [m["satisfaction_score"] for m in members] == [pytest.approx(80.0)]
    pledges = client.get("/api/v1/evaluations/summary/pledges", headers=headers).json()["items"]
    assert [p["satisfaction_score"] for p in pledges] == [pytest.approx(80.0)]
    dialog = client.get(f"/api/v1/evaluations/pledges/{pid}/satisfaction", headers=headers).json()
    assert dialog["score"] == pytest.approx(80.0)


def test_the_formula_in_python_and_sql_agree(db: Session) -> None:
    from sqlalchemy import literal, select

    for choice in Satisfaction:
        in_sql = db.execute(select(formula.points_sql(literal(choice.value)))).scalar_one()
        assert in_sql == (100 if formula.is_satisfied(choice) else 0)
    assert formula.percent(2, 2, 1) == 80
    assert formula.score(0, 0, 0) is None
