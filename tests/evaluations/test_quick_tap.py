"""A villager who taps quickly (issue 9): a rating sent within 3 s of opening the page is stored; one
sent back sooner than a person fills a form in is not stored but shown again with the choice kept and
a line saying so — never a thank-you page over nothing. The honeypot still answers bots "thank you"."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.evaluations import dependencies as guard
from app.evaluations.models import PublicRating
from tests.boards.conftest import Maker, board_path, get_form_token, member_of
from tests.factories import World


@pytest.fixture
def real_fill_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The boards fixtures switch the fill time off; these tests use the real one."""
    monkeypatch.setattr(guard, "MIN_FILL_SECONDS", 1)


def _ratings(db: Session, pledge_id: int) -> list[PublicRating]:
    return list(db.execute(select(PublicRating).where(col(PublicRating.pledge_id) == pledge_id)).scalars())


def test_the_threshold_is_small() -> None:
    assert guard.MIN_FILL_SECONDS <= 1


@pytest.mark.usefixtures("real_fill_time")
def test_a_tap_two_seconds_after_opening_is_stored(client: TestClient, db: Session, world: World, make: Maker) -> None:
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    base = board_path(make.board())
    token = get_form_token(client, f"{base}/p/{pid}")
    time.sleep(2.05)  # within the 3 s the old guard threw away
    r = client.post(f"{base}/p/{pid}/rate", data={"choice": "satisfied", "csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].endswith(f"/thanks?back=p{pid}")
    assert [x.choice for x in _ratings(db, pid)] == ["satisfied"]
    # and the thank-you page links back to the pledge the villager came from
    thanks = client.get(r.headers["location"])
    assert f'href="{base}/p/{pid}"' in thanks.text


@pytest.mark.usefixtures("real_fill_time")
def test_an_instant_post_is_answered_honestly_and_the_second_tap_stored(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    base = board_path(make.board())
    token = get_form_token(client, f"{base}/p/{pid}")
    data = {"choice": "basic", "suggestion": "路灯修得很及时", "csrf": token}
    hasty = client.post(f"{base}/p/{pid}/rate", data=data, follow_redirects=False)
    assert hasty.status_code == 422
    assert "提交得太快了，没有保存" in hasty.text
    assert "路灯修得很及时" in hasty.text  # what was typed is kept
    assert 'value="basic" checked' in hasty.text
    assert _ratings(db, pid) == []
    time.sleep(1.05)
    again = client.post(f"{base}/p/{pid}/rate", data=data, follow_redirects=False)
    assert again.status_code == 303
    assert [x.choice for x in _ratings(db, pid)] == ["basic"]


@pytest.mark.usefixtures("real_fill_time")
def test_the_honeypot_still_thanks_a_bot_and_stores_nothing(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    pid = make.pledge(member=member_of(db, world.member), title="关爱空巢老人")
    base = board_path(make.board())
    token = get_form_token(client, f"{base}/p/{pid}")
    time.sleep(1.05)
    data = {"choice": "satisfied", "csrf": token, guard.HONEYPOT_FIELD: "http://spam.example"}
    r = client.post(f"{base}/p/{pid}/rate", data=data, follow_redirects=False)
    assert r.status_code == 303
    assert _ratings(db, pid) == []
