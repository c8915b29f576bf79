"""The rating chains on the real database (docs/history.md): every period event and every decision is
chained (through the lifecycle, create and edit, the secretary's bulk approval, a change, a correction
after publication), and `verify` finds a changed, deleted, inserted or reordered row, a truncated
chain and a level changed without a decision — naming the period or the result and the row in
Chinese. The migration's backfill gives the same hashes as the service; the demo town verifies."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.core import chain
from app.core.db import make_engine, pk
from app.core.permissions import SYSTEM
from app.core.schema import upgrade
from app.pledges import verification as pledge_verification
from app.pledges.models import PledgeStatus
from app.ratings import approval, history, verification
from app.ratings.models import (
    DecisionKind,
    PeriodStatus,
    RatingDecision,
    RatingPeriod,
    RatingPeriodEvent,
    RatingResult,
    SubjectKind,
)
from app.ratings.states import Action
from tests.factories import World, build_world
from tests.pledges.factories import member_pledge
from tests.ratings.core_factories import move, new_period
from tests.scratch import scratch_database


def _events(db: Session, period_id: int) -> list[RatingPeriodEvent]:
    db.expire_all()
    stmt = select(RatingPeriodEvent).where(col(RatingPeriodEvent.period_id) == period_id)
    return list(db.execute(stmt.order_by(col(RatingPeriodEvent.id))).scalars())


def _decisions(db: Session, result_id: int) -> list[RatingDecision]:
    db.expire_all()
    stmt = select(RatingDecision).where(col(RatingDecision.result_id) == result_id)
    return list(db.execute(stmt.order_by(col(RatingDecision.id))).scalars())


def _verify(db: Session) -> verification.Report:
    db.expire_all()
    return verification.verify(db)


def _assert_chained(rows: list, fields) -> None:  # type: ignore[no-untyped-def,type-arg]
    prev = chain.GENESIS
    for seq, row in enumerate(rows, start=1):
        assert row.seq == seq
        assert row.hash == chain.link(prev, fields(row))
        prev = row.hash


@pytest.fixture
def decided(world: World, db: Session) -> tuple[RatingPeriod, RatingResult]:
    return _a_decided_quarter(world, db)


def _a_decided_quarter(world: World, db: Session) -> tuple[RatingPeriod, RatingResult]:
    """A quarter computed, one member's level changed, approved and published, that level corrected
    afterwards — all through the services: (the period, that member's result)."""
    period = move(db, new_period(db, world), Action.open, Action.close_reviews)
    town = world.town
    approval.compute(db, actor=SYSTEM, period=period, unit=town, expected_version=period.version)
    results = list(
        db.execute(
            select(RatingResult).where(
                col(RatingResult.period_id) == period.id, col(RatingResult.subject_kind) == SubjectKind.member
            )
        ).scalars()
    )
    target = results[0]
    approval.decide_level(
        db,
        actor=SYSTEM,
        kind=DecisionKind.change,
        period=period,
        unit=town,
        result=target,
        stars=2 if target.proposed_stars != 2 else 3,
        reason="本季度有一项承诺未兑现",
        expected_version=target.version,
    )
    approval.approve_members(db, actor=SYSTEM, period=period, unit=town, branch_id=pk(world.branch))
    for branch_id in {r.branch_id for r in results} - {pk(world.branch)}:
        approval.approve_members(db, actor=SYSTEM, period=period, unit=town, branch_id=branch_id)
    for branch_id in {r.branch_id for r in results}:
        approval.approve_branch(db, actor=SYSTEM, period=period, unit=town, branch_id=branch_id)
    approval.publish(db, actor=SYSTEM, period=period, unit=town, expected_version=period.version)
    db.refresh(target)
    approval.decide_level(
        db,
        actor=SYSTEM,
        kind=DecisionKind.correct,
        period=period,
        unit=town,
        result=target,
        stars=5,
        reason="复核后更正",
        expected_version=target.version,
    )
    db.flush()
    return period, target


def test_every_period_event_and_decision_is_chained(decided: tuple[RatingPeriod, RatingResult], db: Session) -> None:
    period, target = decided
    events = _events(db, pk(period))
    assert [e.action for e in events][:3] == ["create", "open", "close_reviews"]
    assert events[-1].to_status == PeriodStatus.published
    _assert_chained(events, history.PERIOD.fields)
    decisions = _decisions(db, pk(target))
    assert [d.kind for d in decisions] == ["change", "correct"]
    _assert_chained(decisions, history.RESULT.fields)
    approved = db.execute(
        select(RatingDecision).where(col(RatingDecision.kind) == "approve", col(RatingDecision.seq) == 1)
    ).scalars()
    assert len(list(approved)) > 2  # the secretaries' bulk approvals, chained one by one
    report = _verify(db)
    assert report.ok, report.broken
    assert report.periods >= 1
    assert report.results > 2


def test_an_updated_period_event_is_found_and_named(decided: tuple[RatingPeriod, RatingResult], db: Session) -> None:
    period, _ = decided
    target = _events(db, pk(period))[1]
    db.execute(text("UPDATE rating_period_event SET actor_name = '张三' WHERE id = :id"), {"id": target.id})
    broken = _verify(db).broken
    assert broken is not None
    assert f"测评周期 #{period.id}「{period.title}」" in broken
    assert f"第 2 条记录（事件 #{target.id}，open" in broken
    assert "内容与哈希不符" in broken


def test_a_deleted_period_event_is_found(decided: tuple[RatingPeriod, RatingResult], db: Session) -> None:
    period, _ = decided
    target = _events(db, pk(period))[1]
    db.execute(text("DELETE FROM rating_period_event WHERE id = :id"), {"id": target.id})
    broken = _verify(db).broken
    assert broken is not None
    assert f"测评周期 #{period.id}" in broken
    assert "位置不符" in broken


def test_reordered_period_events_are_found(decided: tuple[RatingPeriod, RatingResult], db: Session) -> None:
    period, _ = decided
    a, b = _events(db, pk(period))[1:3]
    # swap the two rows' contents (places stay): each hash now commits to the other's content
    for row, other in ((a, b), (b, a)):
        db.execute(
            text("UPDATE rating_period_event SET action = :action, to_status = :to, from_status = :src WHERE id = :id"),
            {"action": other.action, "to": other.to_status, "src": other.from_status, "id": row.id},
        )
    broken = _verify(db).broken
    assert broken is not None
    assert f"事件 #{a.id}" in broken


def test_a_truncated_period_chain_is_found(decided: tuple[RatingPeriod, RatingResult], db: Session) -> None:
    period, _ = decided
    last = _events(db, pk(period))[-1]
    db.execute(text("DELETE FROM rating_period_event WHERE id = :id"), {"id": last.id})
    broken = _verify(db).broken
    assert broken is not None
    assert f"测评周期 #{period.id}" in broken
    assert "之后的记录缺失" in broken
    db.execute(text("DELETE FROM rating_period_event WHERE period_id = :id"), {"id": period.id})
    broken = _verify(db).broken
    assert broken is not None
    assert "没有任何记录" in broken


def test_an_inserted_period_event_is_found(decided: tuple[RatingPeriod, RatingResult], db: Session) -> None:
    period, _ = decided
    events = _events(db, pk(period))
    forged = {
        "period_id": pk(period),
        "action": "open",
        "from_status": "draft",
        "to_status": "open",
        "actor_name": "系统",
        "at": events[1].at,
        "seq": 99,
        "hash": "0" * 64,
    }
    from sqlalchemy import insert

    db.execute(insert(RatingPeriodEvent), [forged])
    assert _verify(db).broken is not None


def test_an_updated_decision_is_found_and_named(decided: tuple[RatingPeriod, RatingResult], db: Session) -> None:
    _, target = decided
    first = _decisions(db, pk(target))[0]
    db.execute(text("UPDATE rating_decision SET reason = '无' WHERE id = :id"), {"id": first.id})
    broken = _verify(db).broken
    assert broken is not None
    assert f"星级结果 #{target.id}（" in broken
    assert f"第 1 条审定记录（#{first.id}，change" in broken
    assert "内容与哈希不符" in broken


def test_reordered_decisions_are_found(decided: tuple[RatingPeriod, RatingResult], db: Session) -> None:
    _, target = decided
    first, second = _decisions(db, pk(target))
    db.execute(text("UPDATE rating_decision SET seq = 3 WHERE id = :id"), {"id": first.id})
    db.execute(text("UPDATE rating_decision SET seq = 1 WHERE id = :id"), {"id": second.id})
    db.execute(text("UPDATE rating_decision SET seq = 2 WHERE id = :id"), {"id": first.id})
    broken = _verify(db).broken
    assert broken is not None
    assert f"星级结果 #{target.id}" in broken
    assert f"#{first.id}" in broken


def test_a_deleted_decision_is_found(decided: tuple[RatingPeriod, RatingResult], db: Session) -> None:
    _, target = decided
    first, second = _decisions(db, pk(target))
    db.execute(text("DELETE FROM rating_decision WHERE id = :id"), {"id": first.id})
    broken = _verify(db).broken
    assert broken is not None
    assert f"星级结果 #{target.id}" in broken
    assert f"第 2 条审定记录（#{second.id}" in broken
    assert "位置不符" in broken


def test_a_published_level_changed_without_a_decision_is_found(
    decided: tuple[RatingPeriod, RatingResult], db: Session
) -> None:
    _, target = decided
    db.execute(text("UPDATE rating_result SET stars = 1 WHERE id = :id"), {"id": target.id})
    broken = _verify(db).broken
    assert broken is not None
    assert f"星级结果 #{target.id}" in broken
    assert "与星级（1 星）不符" in broken
    # the last decision cut off: the level no longer matches the chain's head either
    db.execute(text("UPDATE rating_result SET stars = 5 WHERE id = :id"), {"id": target.id})
    assert _verify(db).ok
    last = _decisions(db, pk(target))[-1]
    db.execute(text("DELETE FROM rating_decision WHERE id = :id"), {"id": last.id})
    assert "不符" in (_verify(db).broken or "")
    db.execute(text("DELETE FROM rating_decision WHERE result_id = :id"), {"id": target.id})
    assert "没有任何审定记录" in (_verify(db).broken or "")


def test_the_verify_command_covers_the_ratings(decided: tuple[RatingPeriod, RatingResult], db: Session) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    _period, target = decided
    runner = CliRunner()
    clean = runner.invoke(cli, ["verify"])
    assert clean.exit_code == 0, clean.output
    assert "个测评周期" in " ".join(clean.output.split())
    first = _decisions(db, pk(target))[0]
    db.execute(text("UPDATE rating_decision SET stars = 4 WHERE id = :id"), {"id": first.id})
    broken = runner.invoke(cli, ["verify"])
    assert broken.exit_code == 1
    said = " ".join(broken.output.split())  # rich wraps long lines at the runner's 80 columns
    assert "校验未通过" in said
    assert f"星级结果 #{target.id}" in said


def test_the_backfills_give_the_services_hashes(tmp_path: Path) -> None:
    """Pledges taken through their lifecycle and a quarter decided through the services, the chain
    columns dropped (down to 0007, before 0008 and 0009) and both migrations run again: every pledge
    event, period event and decision gets back the very hash the service wrote (app.core.chain_backfill
    is the service's linking), and it all verifies."""
    from alembic import command

    from app.core.schema import alembic_config

    with scratch_database(tmp_path, "backfill") as scratch:
        upgrade(scratch.url)
        engine = make_engine(scratch.url)
        with Session(engine, expire_on_commit=False) as session:
            world = build_world(session)
            for status in (PledgeStatus.closed, PledgeStatus.published, PledgeStatus.draft):
                member_pledge(world, status=status)
            _a_decided_quarter(world, session)
            session.commit()
        query = {
            table: f"SELECT id, seq, hash FROM {table} ORDER BY id"  # noqa: S608 (three fixed names)
            for table in ("pledge_event", "rating_period_event", "rating_decision")
        }
        with engine.connect() as conn:
            before = {t: conn.execute(text(q)).all() for t, q in query.items()}
        assert all(len(rows) > 3 for rows in before.values()), before
        config = alembic_config(scratch.url)
        command.downgrade(config, "0007")
        command.upgrade(config, "head")
        with engine.connect() as conn:
            after = {t: conn.execute(text(q)).all() for t, q in query.items()}
        assert after == before
        with Session(engine) as session:
            report = verification.verify(session)
            assert report.ok, report.broken
            pledges = pledge_verification.verify(session)
            assert pledges.ok, pledges.broken
            assert pledges.pledges >= 3
        engine.dispose()


def test_the_digests_cover_the_rating_chains(
    decided: tuple[RatingPeriod, RatingResult], world: World, db: Session
) -> None:
    """A period's chain is in its unit's (the committee's) digest, a result's in its branch's; a chain
    rewritten with fresh hashes verifies link by link, but no longer matches the digest."""
    from app.pledges import history as pledge_history
    from app.pledges import verification as pledge_verification

    _period, target = decided
    assert pledge_history.write_digests(db, actor=SYSTEM) >= 4  # three branches and the town
    town = pledge_history.latest_digest(db, pk(world.town))
    branch = pledge_history.latest_digest(db, target.branch_id)
    assert town is not None
    assert branch is not None
    assert town.chains == 1  # the period
    # the rating chains, and the appraisal chains (app.appraisal.history) beside them
    assert set(town.upto or {}) == {"period", "result", "debrief", "ranking", "self_evaluation", "tier"}
    assert branch.chains >= 2  # its members' and its own result
    assert pledge_verification.verify(db).ok
    # whoever runs the database rewrites a decision's reason and recomputes the chain after it
    decisions = _decisions(db, pk(target))
    db.execute(text("UPDATE rating_decision SET reason = '改写' WHERE id = :id"), {"id": decisions[0].id})
    prev = chain.GENESIS
    for d in _decisions(db, pk(target)):
        new = chain.link(prev, history.RESULT.fields(d))
        db.execute(text("UPDATE rating_decision SET hash = :h WHERE id = :id"), {"h": new, "id": d.id})
        prev = new
    assert _verify(db).ok  # every link holds …
    db.expire_all()
    broken = pledge_verification.verify(db).broken  # … but the branch's digest witnessed the old head
    assert broken is not None
    assert broken.branch_id == target.branch_id
    assert "承诺和测评记录" in broken.message
    assert chain.short(branch.digest) in broken.message


def test_a_rewritten_period_chain_is_found_by_the_committees_digest(
    decided: tuple[RatingPeriod, RatingResult], world: World, db: Session
) -> None:
    from app.pledges import history as pledge_history
    from app.pledges import verification as pledge_verification

    period, _ = decided
    pledge_history.write_digests(db, actor=SYSTEM)
    events = _events(db, pk(period))
    db.execute(text("UPDATE rating_period_event SET actor_name = '李四' WHERE id = :id"), {"id": events[0].id})
    prev = chain.GENESIS
    for e in _events(db, pk(period)):
        new = chain.link(prev, history.PERIOD.fields(e))
        db.execute(text("UPDATE rating_period_event SET hash = :h WHERE id = :id"), {"h": new, "id": e.id})
        prev = new
    assert _verify(db).ok
    db.expire_all()
    broken = pledge_verification.verify(db).broken
    assert broken is not None
    assert broken.branch_id == world.town.id
