"""Villagers' rating and suggestion forms, as a browser without JavaScript uses them, and abuse control."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core.config import settings
from app.core.security import keyed_digest
from app.evaluations import dependencies as guard
from app.evaluations import intake
from app.evaluations import service as evaluations_service
from app.evaluations.models import PublicRating, RatingStatus, Suggestion, SuggestionStatus
from app.pledges.states import Action
from tests.boards.conftest import Maker, board_path, get_form_token, member_of
from tests.factories import World


def _setup(make: Maker, world: World, n: int = 1) -> tuple[str, list[int]]:
    plain = member_of(make.db, world.member)
    ids = [make.pledge(member=plain, title=f"关爱空巢老人{i}") for i in range(n)]
    return board_path(make.board()), ids


def _rate(client: TestClient, base: str, pledge_id: int, choice: str = "satisfied", **extra: str):  # type: ignore[no-untyped-def]
    token = get_form_token(client, f"{base}/p/{pledge_id}")
    data = {"choice": choice, "csrf": token, guard.HONEYPOT_FIELD: "", **extra}
    return client.post(f"{base}/p/{pledge_id}/rate", data=data, follow_redirects=False)


def _ratings(db: Session, pledge_id: int) -> list[PublicRating]:
    return list(db.execute(select(PublicRating).where(col(PublicRating.pledge_id) == pledge_id)).scalars())


def test_no_js_flow_post_redirect_thank_you(client: TestClient, db: Session, world: World, make: Maker) -> None:
    base, (pid,) = _setup(make, world)
    page = client.get(f"{base}/p/{pid}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert '<form class="card" method="post"' in page.text
    assert "set-cookie" in page.headers
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    r = _rate(client, base, pid, "basic", suggestion="路灯修好了，谢谢！我的电话13812345678")
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"{base}/thanks")
    thanks = client.get(r.headers["location"])
    assert thanks.status_code == 200
    assert "感谢您的评价" in thanks.text
    (rating,) = _ratings(db, pid)
    assert rating.choice == "basic"
    assert rating.status == RatingStatus.counted
    assert rating.period == evaluations_service.period_of()
    # only salted hashes are stored: 64 hex characters, never the address itself
    assert len(rating.ip_hash) == 64
    assert rating.ip_hash == keyed_digest("testclient", "ip")
    assert "testclient" not in rating.device_hash
    suggestion = db.execute(select(Suggestion)).scalar_one()
    assert suggestion.pledge_id == pid
    assert suggestion.status == SuggestionStatus.pending
    assert "138****5678" in suggestion.public_text


def test_second_rating_from_same_device_replaces_first(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    base, (pid,) = _setup(make, world)
    assert _rate(client, base, pid, "unsatisfied").status_code == 303
    assert _rate(client, base, pid, "satisfied").status_code == 303
    (rating,) = _ratings(db, pid)
    assert rating.choice == "satisfied"
    # another device (no cookie) is another rating
    client.cookies.clear()
    assert _rate(client, base, pid, "basic").status_code == 303
    assert len(_ratings(db, pid)) == 2


def test_csrf_token_required_and_bound_to_device(client: TestClient, db: Session, world: World, make: Maker) -> None:
    base, (pid,) = _setup(make, world)
    get_form_token(client, f"{base}/p/{pid}")  # the device cookie
    missing = client.post(f"{base}/p/{pid}/rate", data={"choice": "satisfied"}, follow_redirects=False)
    assert missing.status_code == 403
    assert "页面已过期" in missing.text
    forged = client.post(
        f"{base}/p/{pid}/rate", data={"choice": "satisfied", "csrf": "1700000000.deadbeef"}, follow_redirects=False
    )
    assert forged.status_code == 403
    token = get_form_token(client, f"{base}/p/{pid}")
    client.cookies.clear()  # another device replays the token
    replay = client.post(f"{base}/p/{pid}/rate", data={"choice": "satisfied", "csrf": token}, follow_redirects=False)
    assert replay.status_code == 403
    assert _ratings(db, pid) == []


def test_honeypot_and_minimum_fill_time_store_nothing(
    client: TestClient, db: Session, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, (pid,) = _setup(make, world)
    bot = _rate(client, base, pid, **{guard.HONEYPOT_FIELD: "http://spam.example"})
    assert bot.status_code == 303  # told "thank you" like anyone
    monkeypatch.setattr(guard, "MIN_FILL_SECONDS", 3)
    hasty = _rate(client, base, pid)  # sent back at once: not stored, and told so (tests/evaluations/test_quick_tap.py)
    assert hasty.status_code == 422
    assert "提交得太快了" in hasty.text
    assert _ratings(db, pid) == []


def test_invalid_choice_is_a_readable_page(client: TestClient, world: World, make: Maker) -> None:
    base, (pid,) = _setup(make, world)
    r = _rate(client, base, pid, "excellent")
    assert r.status_code == 422
    assert "请选择“满意”“基本满意”或“不满意”" in r.text


def test_flood_from_one_device_is_capped(client: TestClient, db: Session, world: World, make: Maker) -> None:
    base, pids = _setup(make, world, n=2)
    token = get_form_token(client, f"{base}/p/{pids[0]}")
    limit = guard.LIMITS["rate.device"][0].count
    codes = [
        client.post(
            f"{base}/p/{pids[0]}/rate", data={"choice": "satisfied", "csrf": token}, follow_redirects=False
        ).status_code
        for _ in range(limit + 5)
    ]
    assert codes[:limit] == [303] * limit
    assert codes[limit:] == [429] * 5
    blocked = client.post(f"{base}/p/{pids[0]}/rate", data={"choice": "satisfied", "csrf": token})
    assert "提交太频繁" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    assert len(_ratings(db, pids[0])) == 1  # and replacing, never adding


def test_flood_from_one_address_with_fresh_devices_is_capped(client: TestClient, world: World, make: Maker) -> None:
    """A bot dropping its cookie every time: the salted-address limit stops it."""
    base, (pid,) = _setup(make, world)
    limit = guard.LIMITS["rate.ip"][0].count
    codes = []
    for _ in range(limit + 3):
        client.cookies.clear()
        # no form page first: an invalid token is still counted against the address
        codes.append(client.post(f"{base}/p/{pid}/rate", data={"choice": "satisfied"}).status_code)
    assert set(codes[:limit]) == {403}
    assert codes[limit:] == [429] * 3


def test_thirty_honest_phones_behind_one_nat(client: TestClient, db: Session, world: World, make: Maker) -> None:
    """A village meeting: 30 phones on one mobile NAT address each rate 3 pledges within minutes."""
    base, pids = _setup(make, world, n=3)
    for _phone in range(30):
        client.cookies.clear()
        for pid in pids:
            assert _rate(client, base, pid).status_code == 303
    for pid in pids:
        ratings = _ratings(db, pid)
        assert len(ratings) == 30
        assert {r.status for r in ratings} == {RatingStatus.counted}


def test_burst_on_one_pledge_is_flagged_for_review(
    client: TestClient, db: Session, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, (pid,) = _setup(make, world)
    monkeypatch.setattr(intake, "BURST_PER_PLEDGE_AND_ADDRESS", 5)
    for _ in range(8):
        client.cookies.clear()
        assert _rate(client, base, pid).status_code == 303
    statuses = [r.status for r in sorted(_ratings(db, pid), key=lambda r: r.id or 0)]
    assert statuses[:5] == [RatingStatus.counted] * 5
    assert statuses[5:] == [RatingStatus.flagged] * 3
    # flagged ratings are not in the public aggregate
    counts = evaluations_service.counted_by_pledge(db, [pid])[pid]
    assert counts.total == 5


def test_client_address_from_trusted_proxy_only(
    client: TestClient, db: Session, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, (pid,) = _setup(make, world, n=1)
    spoof = {"X-Forwarded-For": "203.0.113.9"}
    token = get_form_token(client, f"{base}/p/{pid}")
    client.post(f"{base}/p/{pid}/rate", data={"choice": "satisfied", "csrf": token}, headers=spoof)
    assert _ratings(db, pid)[0].ip_hash == keyed_digest("testclient", "ip")  # header ignored

    monkeypatch.setattr(settings, "trusted_proxies", ["testclient", "127.0.0.1/32"])
    from app.core import ratelimit

    monkeypatch.setattr(ratelimit, "_is_trusted", lambda addr, proxies: addr in ("testclient", "10.0.0.1"))
    client.post(
        f"{base}/p/{pid}/rate",
        data={"choice": "basic", "csrf": token},
        headers={"X-Forwarded-For": "198.51.100.7, 10.0.0.1"},
    )
    assert _ratings(db, pid)[0].ip_hash == keyed_digest("198.51.100.7", "ip")


def test_suggestion_to_the_unit_goes_to_moderation(client: TestClient, db: Session, world: World, make: Maker) -> None:
    base = board_path(make.board())
    page = client.get(f"{base}/suggest")
    assert "意见建议卡" in page.text
    token = get_form_token(client, f"{base}/suggest")
    r = client.post(
        f"{base}/suggest",
        data={"text": "希望组里多装两盏路灯，联系我 139 8888 9999", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    s = db.execute(select(Suggestion)).scalar_one()
    assert s.unit_id == world.group.id
    assert s.branch_id == world.branch.id
    assert s.pledge_id is None
    assert s.status == SuggestionStatus.pending
    # not public until approved
    assert "多装两盏路灯" not in client.get(base).text
    too_long = client.post(f"{base}/suggest", data={"text": "长" * 201, "csrf": token})
    assert too_long.status_code == 422
    assert "最多 200 个字，您写了 201 个字" in too_long.text
    assert f">{'长' * 201}</textarea>" in too_long.text  # kept as typed, to shorten and send again
    empty = client.post(f"{base}/suggest", data={"text": "  \n ", "csrf": token})
    assert empty.status_code == 422
    assert "请填写意见建议" in empty.text
    assert db.execute(select(func.count()).select_from(Suggestion)).scalar_one() == 1
    # the re-shown form carries a valid token: the shortened text goes through
    again = client.post(f"{base}/suggest", data={"text": "长" * 200, "csrf": token}, follow_redirects=False)
    assert again.status_code == 303
    assert db.execute(select(func.count()).select_from(Suggestion)).scalar_one() == 2


def test_a_suggestion_without_a_choice_is_stored(client: TestClient, db: Session, world: World, make: Maker) -> None:
    base, (pid,) = _setup(make, world)
    r = _rate(client, base, pid, "", suggestion="希望多上门看看独居老人")
    assert r.status_code == 303
    assert _ratings(db, pid) == []
    s = db.execute(select(Suggestion)).scalar_one()
    assert (s.pledge_id, s.unit_id, s.branch_id) == (pid, world.group.id, world.branch.id)
    assert s.text == "希望多上门看看独居老人"
    nothing = _rate(client, base, pid, "", suggestion="   ")
    assert nothing.status_code == 422
    assert "请选择满意程度，或填写意见建议后再提交" in nothing.text
    assert '<form class="card" method="post"' in nothing.text


def test_one_length_rule_on_the_rating_form_text_kept(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    """Over 200 characters is never cut silently: the form comes back with the text, the choice and what
    to change, and nothing is stored; exactly 200 (after folding whitespace) is stored whole."""
    base, (pid,) = _setup(make, world)
    text = "路灯" * 100 + "再补一句"
    r = _rate(client, base, pid, "basic", suggestion=text)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "意见建议最多 200 个字，您写了 204 个字" in r.text
    assert f">{text}</textarea>" in r.text
    assert 'value="basic" checked' in r.text
    assert f'action="{base}/p/{pid}/rate#rate"' in r.text  # the answer scrolls to the form and its message
    assert r.headers["cache-control"] == "private, no-store"
    assert _ratings(db, pid) == []
    assert db.execute(select(func.count()).select_from(Suggestion)).scalar_one() == 0

    token = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert token is not None
    exact = "路灯  " + "灯" * 197
    ok = client.post(
        f"{base}/p/{pid}/rate", data={"choice": "basic", "suggestion": exact, "csrf": token[1]}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert db.execute(select(Suggestion)).scalar_one().text == "路灯 " + "灯" * 197
    assert len(_ratings(db, pid)) == 1


def test_rating_a_pledge_not_on_the_board_is_404(client: TestClient, world: World, make: Maker) -> None:
    base, _ = _setup(make, world)
    other = make.pledge(member=member_of(make.db, world.supervisor), title="不在本组的承诺")
    assert client.get(f"{base}/p/{other}").status_code == 404
    assert client.post(f"{base}/p/{other}/rate", data={"choice": "satisfied"}).status_code == 404


def test_forwarded_header_without_trusted_proxies_is_logged_once(
    client: TestClient, world: World, make: Maker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    base, (pid,) = _setup(make, world)
    monkeypatch.setattr(guard, "_forwarding_warned", False)
    with caplog.at_level("WARNING", logger="liangnuo.evaluations"):
        token = get_form_token(client, f"{base}/p/{pid}")
        for _ in range(2):
            client.post(
                f"{base}/p/{pid}/rate",
                data={"choice": "satisfied", "csrf": token},
                headers={"X-Forwarded-For": "203.0.113.9"},
            )
    warnings = [r for r in caplog.records if "LIANGNUO_TRUSTED_PROXIES" in r.getMessage()]
    assert len(warnings) == 1
    assert "203.0.113.9" not in caplog.text  # no address in the log


def test_a_pledge_cancelled_after_publication_stays_public_but_is_not_rated(
    client: TestClient, db: Session, world: World, make: Maker
) -> None:
    base, (pid,) = _setup(make, world)
    token = get_form_token(client, f"{base}/p/{pid}")  # the villager opened the form while it was published
    make.act(pid, Action.cancel, reason="该党员已外出务工")
    page = client.get(f"{base}/p/{pid}")
    assert page.status_code == 200
    assert "已取消" in page.text
    assert "该党员已外出务工" not in page.text  # the reason stays inside the branch
    assert 'name="choice"' not in page.text
    r = client.post(
        f"{base}/p/{pid}/rate",
        data={"choice": "satisfied", "csrf": token, guard.HONEYPOT_FIELD: ""},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "不再接受满意度评价" in r.text
    assert _ratings(db, pid) == []
