"""The notification feed, the lifecycle news it carries, and the daily due-date reminders."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col
from typer.testing import CliRunner

from app.core.time import today_local
from app.notifications import service
from app.notifications.models import Notification
from app.notifications.service import Message
from app.pledges import jobs
from app.pledges import service as pledges_service
from app.pledges.models import PledgeStatus
from tests.factories import World
from tests.pledges.api import API, act, create, ok
from tests.pledges.factories import collective_pledge, member_pledge, overdue_date


def _feed(client: TestClient, headers: dict[str, str], query: str = "") -> dict:  # type: ignore[type-arg]
    return ok(client.get(f"{API}/notifications{query}", headers=headers))


def _count(db: Session, **where: object) -> int:
    stmt = select(func.count()).select_from(Notification)
    for name, value in where.items():
        stmt = stmt.where(getattr(Notification, name) == value)
    return int(db.execute(stmt).scalar_one())


def test_the_feed_is_each_accounts_own_newest_first(client: TestClient, world: World, db: Session) -> None:
    service.notify(
        db,
        [
            (Message(kind="a", title="第一条"), [world.member.account_id or 0]),
            (Message(kind="b", title="第二条", link="/pledges/1"), [world.member.account_id or 0]),
            (Message(kind="c", title="别人的"), [world.secretary.account_id or 0]),
        ],
    )
    feed = _feed(client, world.member.headers)
    assert [n["title"] for n in feed["items"]] == ["第二条", "第一条"]
    assert feed["items"][0]["read"] is False
    assert ok(client.get(f"{API}/notifications/unread-count", headers=world.member.headers)) == {"unread": 2}
    first = feed["items"][1]["id"]
    read = ok(client.post(f"{API}/notifications/{first}/read", headers=world.member.headers))
    assert read["read"] is True
    assert read["read_at"]
    assert [n["title"] for n in _feed(client, world.member.headers, "?unread=true")["items"]] == ["第二条"]
    # someone else's: 404
    other = _feed(client, world.secretary.headers)["items"][0]["id"]
    assert client.post(f"{API}/notifications/{other}/read", headers=world.member.headers).status_code == 404
    assert ok(client.post(f"{API}/notifications/read-all", headers=world.member.headers)) == {"updated": 1}
    assert ok(client.get(f"{API}/notifications/unread-count", headers=world.member.headers)) == {"unread": 0}
    assert ok(client.get(f"{API}/notifications/unread-count", headers=world.secretary.headers)) == {"unread": 1}


def test_lifecycle_news_reaches_owner_and_secretary_but_not_the_actor(client: TestClient, world: World) -> None:
    pid = create(client, world.member)["id"]
    ok(act(client, world.member, pid, "submit"))
    waiting = _feed(client, world.secretary.headers)["items"]
    assert [(n["kind"], n["subject_id"], n["link"]) for n in waiting] == [("review_waiting", pid, f"/pledges/{pid}")]
    assert _feed(client, world.member.headers)["total"] == 0  # nobody is told what they did themselves
    assert _feed(client, world.outsider.headers)["total"] == 0  # the other branch's secretary: nothing
    ok(act(client, world.secretary, pid, "approve"))
    news = _feed(client, world.member.headers)["items"][0]
    assert news["kind"] == "pledge_approved"
    assert "义务维修组内路灯" in news["body"]


def test_collective_news_goes_to_the_drafter(client: TestClient, world: World) -> None:
    pid = create(client, world.group_leader, category="collective", unit_id=world.group.id)["id"]
    ok(act(client, world.group_leader, pid, "submit"))
    ok(act(client, world.secretary, pid, "return", reason="请写明路灯数量"))
    news = _feed(client, world.group_leader.headers)["items"][0]
    assert news["kind"] == "pledge_returned"
    assert "请写明路灯数量" in news["body"]


def test_reminders_once_per_pledge_due_date_and_recipient(world: World, db: Session) -> None:
    soon = member_pledge(world, status=PledgeStatus.published, due_date=today_local() + timedelta(days=3))
    late = member_pledge(world, status=PledgeStatus.published, due_date=overdue_date())
    member_pledge(world, status=PledgeStatus.published, due_date=today_local() + timedelta(days=30))  # not yet
    member_pledge(world, status=PledgeStatus.closed, due_date=overdue_date())  # closed: never
    member_pledge(world, status=PledgeStatus.draft, due_date=overdue_date())  # not a promise yet
    group = collective_pledge(world, status=PledgeStatus.published, due_date=today_local())
    result = pledges_service.send_reminders(db)
    assert (result.due_soon, result.overdue) == (2, 1)
    member, supervisor, leader = world.member.account_id, world.supervisor.account_id, world.group_leader.account_id
    assert _count(db, kind="due_soon", subject_id=soon.id) == 2  # the owner and the supervisor
    assert {
        n.account_id for n in db.execute(select(Notification).where(col(Notification.subject_id) == late.id)).scalars()
    } == {member, supervisor}
    assert _count(db, kind="due_soon", subject_id=group.id, account_id=leader) == 1
    total = _count(db)
    # again, and again: nothing new
    pledges_service.send_reminders(db)
    pledges_service.send_reminders(db)
    assert _count(db) == total
    # a new due date is a new reminder
    soon.due_date = today_local() + timedelta(days=5)
    db.add(soon)
    db.flush()
    pledges_service.send_reminders(db)
    assert _count(db, kind="due_soon", subject_id=soon.id) == 4
    # and once the date passes, the overdue one follows
    pledges_service.send_reminders(db, today=today_local() + timedelta(days=6))
    assert _count(db, kind="overdue", subject_id=soon.id) == 2


def test_reminders_cover_every_pledge_that_counts_as_overdue_of_this_year_and_the_last(
    world: World, db: Session
) -> None:
    """The reminders and the overdue flag agree (states.DUE), and the daily scan reads two years."""
    from datetime import date

    year = today_local().year
    counted = [
        member_pledge(world, status=status, due_date=overdue_date())
        for status in (PledgeStatus.approved, PledgeStatus.published, PledgeStatus.revising, PledgeStatus.closing)
    ]
    last_year = member_pledge(world, status=PledgeStatus.published, year=year - 1, due_date=date(year - 1, 12, 1))
    ancient = member_pledge(world, status=PledgeStatus.published, year=year - 2, due_date=date(year - 2, 6, 1))
    assert all(pledges_service.is_overdue(p) for p in [*counted, last_year, ancient])
    result = pledges_service.send_reminders(db)
    assert result.overdue == len(counted) + 1
    for pledge in [*counted, last_year]:
        assert _count(db, kind="overdue", subject_id=pledge.id, account_id=world.member.account_id) == 1
    assert _count(db, subject_id=ancient.id) == 0


def test_the_remind_command_and_the_daily_job(world: World, db: Session) -> None:
    from app.cli import cli

    member_pledge(world, status=PledgeStatus.published, due_date=overdue_date())
    result = CliRunner().invoke(cli, ["remind"])
    assert result.exit_code == 0, result.output
    assert "已逾期 1 项" in result.output
    assert _count(db, kind="overdue") == 2
    assert CliRunner().invoke(cli, ["remind"]).exit_code == 0
    assert _count(db, kind="overdue") == 2
    assert jobs.run_daily().overdue == 1


def test_next_run_is_the_next_morning() -> None:
    from datetime import datetime

    from app.core.time import CHINA_TZ

    assert jobs.seconds_until_next_run(datetime(2026, 5, 1, 7, 0, tzinfo=CHINA_TZ)) == 30 * 60
    assert jobs.seconds_until_next_run(datetime(2026, 5, 1, 8, 0, tzinfo=CHINA_TZ)) == (23 * 60 + 30) * 60


def test_the_server_schedules_the_daily_jobs_when_enabled(monkeypatch: pytest.MonkeyPatch, db: Session) -> None:
    import asyncio

    from app.core.config import settings
    from app.main import create_app

    ran = threading.Event()
    monkeypatch.setattr(jobs, "run_daily", lambda: ran.set())
    monkeypatch.setattr(jobs, "START_DELAY_SECONDS", 0)
    monkeypatch.setattr(settings, "scheduler_enabled", True)
    real_start = jobs.start
    started: list[asyncio.Task[None]] = []
    monkeypatch.setattr(jobs, "start", lambda delay=0: started.append(real_start(0)) or started[-1])
    with TestClient(create_app(check_schema_on_start=False)):
        assert ran.wait(5)
    assert started
    assert started[0].cancelled() or started[0].done()
    monkeypatch.setattr(settings, "scheduler_enabled", False)
    started.clear()
    with TestClient(create_app(check_schema_on_start=False)):
        pass
    assert not started
