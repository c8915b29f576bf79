"""The pledge hash chains and the branches' digests on the real database: every event written is
chained (the API, the engine's batches, create and edit), and `verify` finds a changed, deleted,
inserted or reordered event row and a truncated chain — naming the pledge and the event — as well as a
chain rewritten with fresh hashes (the digest witnessed the old heads). A backup verifies; so does
the demo town."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from app import demo
from app.core import chain
from app.core.db import make_engine, pk
from app.core.permissions import SYSTEM
from app.core.schema import upgrade
from app.pledges import history, lifecycle, verification
from app.pledges.models import HistoryDigest, Pledge, PledgeEvent, PledgeStatus
from tests.factories import World, build_world
from tests.pledges.api import API, act, create, etag_of, ok
from tests.pledges.factories import create_pledge, member_pledge
from tests.scratch import PG_PLAIN, Scratch, admin, scratch_database


def _events(db: Session, pledge_id: int) -> list[PledgeEvent]:
    db.expire_all()
    return list(
        db.execute(
            select(PledgeEvent).where(col(PledgeEvent.pledge_id) == pledge_id).order_by(col(PledgeEvent.id))
        ).scalars()
    )


def _verify(db: Session, unit=None) -> verification.Report:  # type: ignore[no-untyped-def]
    db.expire_all()
    return verification.verify(db, unit=unit)


def test_every_event_is_chained_from_the_first(client: TestClient, world: World, db: Session) -> None:
    pid = create(client, world.member, title="义务清扫组内道路卫生")["id"]
    headers = {**world.member.headers, "If-Match": etag_of(client, world.member, pid)}
    ok(client.patch(f"{API}/pledges/{pid}", json={"content": "每周两次做到群众满意"}, headers=headers))
    ok(act(client, world.member, pid, "submit"))
    ok(act(client, world.secretary, pid, "approve"))
    events = _events(db, pid)
    assert [e.action for e in events] == ["create", "edit", "submit", "approve"]
    assert [e.seq for e in events] == [1, 2, 3, 4]
    prev = chain.GENESIS
    for e in events:
        assert e.hash == history.PLEDGE.hash(prev, e)
        assert len(e.hash) == 64
        prev = e.hash
    assert _verify(db).ok


def test_a_batch_chains_each_pledge_after_its_own_head(world: World, db: Session) -> None:
    pledges = [member_pledge(world, status=PledgeStatus.approved) for _ in range(3)]
    result = lifecycle.publish_batch(db, actor=SYSTEM, unit=world.branch)
    assert set(result.published) >= {pk(p) for p in pledges}
    for p in pledges:
        events = _events(db, pk(p))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert events[-1].action == "publish"
    report = _verify(db)
    assert report.ok, report.broken
    assert report.events >= 3 * 4


def _tampered(db: Session, sql: str, **params: object) -> verification.Break:
    db.execute(text(sql), params)
    report = _verify(db)
    assert report.broken is not None
    return report.broken


@pytest.fixture
def published(world: World, db: Session) -> Pledge:
    pledge = member_pledge(world, status=PledgeStatus.published, title="帮助困难户收玉米")
    member_pledge(world, status=PledgeStatus.closed)  # another chain, untouched
    assert _verify(db).ok
    return pledge


def test_an_updated_event_row_is_found_and_named(published: Pledge, db: Session) -> None:
    events = _events(db, pk(published))
    target = events[1]
    broken = _tampered(db, "UPDATE pledge_event SET reason = '已核实' WHERE id = :id", id=target.id)
    assert broken.pledge_id == published.id
    assert broken.event_id == target.id
    assert f"承诺 #{published.id}「帮助困难户收玉米」" in broken.message
    assert f"事件 #{target.id}" in broken.message
    assert "被改动" in broken.message


def test_a_changed_time_is_found(published: Pledge, db: Session) -> None:
    target = _events(db, pk(published))[0]
    broken = _tampered(
        db, "UPDATE pledge_event SET at = :at WHERE id = :id", at=target.at.replace(year=2020), id=target.id
    )
    assert broken.event_id == target.id


def test_a_deleted_event_row_is_found(published: Pledge, db: Session) -> None:
    events = _events(db, pk(published))
    broken = _tampered(db, "DELETE FROM pledge_event WHERE id = :id", id=events[1].id)
    assert broken.pledge_id == published.id
    assert broken.event_id == events[2].id  # the link after the gap
    assert "位置不符" in broken.message


def test_a_truncated_chain_is_found(published: Pledge, db: Session) -> None:
    events = _events(db, pk(published))
    broken = _tampered(db, "DELETE FROM pledge_event WHERE id = :id", id=events[-1].id)
    assert broken.pledge_id == published.id
    assert "缺失" in broken.message
    broken = _tampered(db, "DELETE FROM pledge_event WHERE pledge_id = :p", p=pk(published))
    assert broken.pledge_id == published.id
    assert "没有任何记录" in broken.message


def test_reordered_events_are_found(published: Pledge, db: Session) -> None:
    a, b = _events(db, pk(published))[1:3]
    (a_id, a_seq, a_action, a_to), (b_id, b_seq, b_action, b_to) = (
        (e.id, e.seq, e.action, e.to_status) for e in (a, b)
    )

    def place(event_id: int | None, seq: int) -> None:
        db.execute(text("UPDATE pledge_event SET seq = :s WHERE id = :id"), {"s": seq, "id": event_id})

    # swap their places: one out of the way first (unique), then each takes the other's
    place(a_id, -1)
    place(b_id, a_seq)
    place(a_id, b_seq)
    broken = _verify(db).broken
    assert broken is not None
    assert broken.pledge_id == published.id
    assert broken.event_id == a_id
    # put back: whole again
    place(a_id, -1)
    place(b_id, b_seq)
    place(a_id, a_seq)
    assert _verify(db).ok
    # or their contents swapped, places kept
    for event_id, action, to in ((a_id, b_action, b_to), (b_id, a_action, a_to)):
        db.execute(
            text("UPDATE pledge_event SET action = :ac, to_status = :to WHERE id = :id"),
            {"ac": action, "to": to, "id": event_id},
        )
    broken = _verify(db).broken
    assert broken is not None
    assert broken.event_id == a_id


def test_an_inserted_event_row_is_found(published: Pledge, db: Session) -> None:
    events = _events(db, pk(published))
    # make room after the first event and insert a forged one there, hashed like a real one
    for e in reversed(events[1:]):
        db.execute(text("UPDATE pledge_event SET seq = seq + 1 WHERE id = :id"), {"id": e.id})
    forged = {
        "pledge_id": pk(published),
        "seq": 2,
        "action": "return",
        "from_status": "submitted",
        "to_status": "draft",
        "actor_account_id": None,
        "actor_name": "系统",
        "reason": "伪造",
        "data": None,
        "at": events[0].at,
    }
    forged["hash"] = history.PLEDGE.hash(events[0].hash, forged)
    db.execute(PledgeEvent.__table__.insert(), [forged])  # type: ignore[attr-defined]
    broken = _verify(db).broken
    assert broken is not None
    assert broken.pledge_id == published.id
    assert broken.event_id == events[1].id  # the id order no longer fits the places


def test_a_rehashed_chain_is_found_by_the_digest(published: Pledge, world: World, db: Session) -> None:
    assert history.write_digests(db, actor=SYSTEM) >= 1
    digest = history.latest_digest(db, pk(world.branch))
    assert digest is not None
    assert digest.chains >= 2
    assert history.digest_of(digest) == f"记录校验码 {chain.short(digest.digest)}，{digest.day.isoformat()}"
    assert history.write_digests(db, actor=SYSTEM) == 0  # once a day
    report = _verify(db)
    assert report.ok
    assert report.digests >= 1
    # whoever runs the database rewrites a reason and recomputes every hash after it
    events = _events(db, pk(published))
    db.execute(text("UPDATE pledge_event SET reason = '改写' WHERE id = :id"), {"id": events[1].id})
    prev = events[0].hash
    for e in _events(db, pk(published))[1:]:
        new = history.PLEDGE.hash(prev, e)
        db.execute(text("UPDATE pledge_event SET hash = :h WHERE id = :id"), {"h": new, "id": e.id})
        prev = new
    broken = _verify(db).broken
    assert broken is not None
    assert broken.branch_id == world.branch.id
    assert chain.short(digest.digest) in broken.message
    assert "不符" in broken.message
    # and a digest changed to match is found by its own link
    db.execute(text("UPDATE history_digest SET root = :r WHERE id = :id"), {"r": "0" * 64, "id": digest.id})
    assert "校验码被改动" in (_verify(db).broken or verification.Break("")).message


def test_the_digest_links_to_the_previous_day(world: World, db: Session) -> None:
    from datetime import timedelta

    from app.core.time import today_local

    member_pledge(world, status=PledgeStatus.published)
    yesterday = today_local() - timedelta(days=1)
    history.write_digests(db, actor=SYSTEM, day=yesterday)
    history.write_digests(db, actor=SYSTEM)
    rows = list(
        db.execute(
            select(HistoryDigest)
            .where(col(HistoryDigest.branch_id) == pk(world.branch))
            .order_by(col(HistoryDigest.day))
        ).scalars()
    )
    assert [r.day for r in rows] == [yesterday, today_local()]
    assert rows[0].prev_digest == chain.GENESIS
    assert rows[1].prev_digest == rows[0].digest
    assert _verify(db).ok
    db.execute(text("DELETE FROM history_digest WHERE id = :id"), {"id": rows[0].id})
    assert "接不上" in (_verify(db).broken or verification.Break("")).message


def test_verify_of_one_unit(world: World, db: Session) -> None:
    mine = member_pledge(world, status=PledgeStatus.published)
    other = create_pledge(db, unit=world.other_branch, status=PledgeStatus.published)
    db.execute(text("UPDATE pledge_event SET reason = 'x' WHERE pledge_id = :p"), {"p": pk(other)})
    assert _verify(db, world.branch).ok
    assert _verify(db, world.other_branch).broken is not None
    assert mine.id is not None


def _backup_and_restore(scratch: Scratch, tmp_path: Path) -> str:
    """A backup as docs/operations.md makes it, restored: SQLite's VACUUM INTO a new file; on
    PostgreSQL pg_dump of the schema, the schema dropped, pg_restore. Returns the restored URL."""
    if scratch.schema is None:
        backup = tmp_path / "restored.db"
        engine = make_engine(scratch.url)
        raw = engine.raw_connection()  # outside any transaction, as VACUUM needs
        try:
            raw.driver_connection.execute(f"VACUUM INTO '{backup}'")  # type: ignore[union-attr]
        finally:
            raw.close()
            engine.dispose()
        return f"sqlite:///{backup}"
    dump = tmp_path / "backup.dump"
    subprocess.run(["pg_dump", "-Fc", "-n", scratch.schema, "-f", str(dump), PG_PLAIN], check=True)
    admin(f'DROP SCHEMA "{scratch.schema}" CASCADE')
    subprocess.run(["pg_restore", "--no-owner", "-d", PG_PLAIN, str(dump)], check=True)
    return scratch.url


def test_a_restored_backup_verifies(tmp_path: Path) -> None:
    """A backup (SQLite VACUUM INTO; PostgreSQL pg_dump and pg_restore) is a copy whose chains and
    digests verify, on the suite's kind of database."""
    with scratch_database(tmp_path, "backup") as scratch:
        upgrade(scratch.url)
        engine = make_engine(scratch.url)
        with Session(engine, expire_on_commit=False) as session:
            world = build_world(session)
            for status in (PledgeStatus.published, PledgeStatus.closed, PledgeStatus.draft):
                member_pledge(world, status=status)
            history.write_digests(session, actor=SYSTEM)
            session.commit()
        engine.dispose()
        restored = make_engine(_backup_and_restore(scratch, tmp_path))
        with Session(restored) as session:
            report = verification.verify(session)
        restored.dispose()
    assert report.ok, report.broken
    assert report.pledges >= 3
    assert report.digests >= 1


def test_the_demo_town_verifies_clean(db: Session) -> None:
    demo.seed(db)
    assert history.write_digests(db, actor=SYSTEM) > 10
    report = _verify(db)
    assert report.ok, report.broken
    assert report.pledges > 1000
    assert report.events > report.pledges
    from app.ratings import verification as rating_verification

    ratings = rating_verification.verify(db)  # the demo's rating periods and decisions, chained too
    assert ratings.ok, ratings.broken
    assert ratings.periods >= 1
    assert ratings.results > 100
    from app.appraisal import verification as appraisal_verification

    appraised = appraisal_verification.verify(db)  # its 述职评议, tiers, self-evaluations and ranking
    assert appraised.ok, appraised.broken
    assert appraised.chains > 40


def test_the_verify_command_reports_in_chinese(published: Pledge, world: World, db: Session) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    runner = CliRunner()
    digest = runner.invoke(cli, ["digest"])
    assert digest.exit_code == 0, digest.output
    assert "记录校验码已生成" in digest.output
    clean = runner.invoke(cli, ["verify", "--unit", str(world.branch.id)])
    assert clean.exit_code == 0, clean.output
    assert "校验通过" in clean.output
    target = _events(db, pk(published))[2]
    db.execute(text("UPDATE pledge_event SET actor_name = '张三' WHERE id = :id"), {"id": target.id})
    broken = runner.invoke(cli, ["verify"])
    assert broken.exit_code == 1
    said = " ".join(broken.output.split())  # rich wraps long lines at the runner's 80 columns
    assert "校验未通过" in said
    assert f"承诺 #{published.id}" in said
    assert f"事件 #{target.id}" in said
    assert runner.invoke(cli, ["verify", "--unit", "999999"]).exit_code == 1
