"""The masking property through the real app: generated shapes of phone and ID numbers planted in a
pledge's title, content and progress, in a villager's suggestion to it and in the branch's reply never
appear on the public board page, the pledge's page or the printable poster."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.boards import poster, public
from app.core.db import pk
from app.evaluations import service as evaluations_service
from tests.boards.conftest import Maker, _fresh_process_state, board_path, make, member_of  # noqa: F401
from tests.core.test_masking_shapes import leaks, personal_numbers
from tests.factories import World


@given(st.lists(personal_numbers(), min_size=5, max_size=5))
@settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each example renders pages (seconds)
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_planted_numbers_never_reach_a_public_page(
    client: TestClient,
    make: Maker,  # noqa: F811
    world: World,
    planted: list[tuple[str, str]],
) -> None:
    (_, t1), (_, t2), (_, t3), (_, t4), (_, t5) = planted
    pledge_id = make.pledge(
        member=member_of(make.db, world.member),
        title=f"联系{t1}"[:60],
        content=f"有事请找我：{t2}。",
        progress=f"已走访，回电{t3}",
    )
    board = make.board()
    suggestion = evaluations_service.suggest(
        make.db,
        unit_id=pk(world.group),
        branch_id=pk(world.branch),
        pledge_id=pledge_id,
        text=f"我的电话{t4}"[:200],
        device_hash="d",
        ip_hash="ip",
    )
    api = "/api/v1/evaluations/suggestions"
    secretary = world.secretary.headers
    assert client.post(f"{api}/{suggestion.id}/moderate", json={"approve": True}, headers=secretary).status_code == 200
    assert (
        client.post(f"{api}/{suggestion.id}/reply", json={"text": f"已回电{t5}"}, headers=secretary).status_code == 200
    )
    public.clear_caches()
    base = board_path(board)
    pages = {
        "board": client.get(base).text,
        "pledge": client.get(f"{base}/p/{pledge_id}").text,
        "poster": poster.html(make.db, [board]),
    }
    for name, text in pages.items():
        for number, shape in planted:
            if number.upper() in text.upper() or shape in text or leaks(number, text):
                raise AssertionError(f"{shape!r} shown on the {name} page")
