"""The appraisal chains in the tamper-evident history (docs/history.md): 述职评议 rounds, branch tiers
(with their 整顿 steps), quarterly self-evaluations and ranking publications are checked by `verify`
(and `liangnuo verify`), which names the subject and the row changed, deleted or cut off in SQL; the
daily digests cover their heads (a round's and a ranking's in the committee's digest, a tier's and a
self-evaluation's in the branch's), so a new appraisal event changes the next digest and a chain
rewritten with fresh hashes no longer matches the digest that witnessed it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.appraisal import tiers, verification
from app.appraisal.models_tiers import BranchTierEvent
from app.core import chain
from app.core.db import pk
from app.core.permissions import SYSTEM
from app.core.time import today_local
from app.pledges import history as pledge_history
from app.pledges import verification as pledge_verification
from tests.appraisal import test_debrief as debriefs
from tests.appraisal import test_self_evaluation as selfs
from tests.appraisal.tiers_factories import API, YEAR, act, h, propose, tier_of, year_levels
from tests.factories import World

TABLES = {
    "debrief": ("debrief_round_event", "round_id"),
    "tier": ("branch_tier_event", "tier_id"),
    "self_evaluation": ("appraisal_self_evaluation_event", "self_evaluation_id"),
    "ranking": ("ranking_event", "publication_id"),
}


@dataclass
class Appraised:
    round_id: int
    tier_id: int
    self_evaluation_id: int
    publication_id: int

    def subject(self, kind: str) -> int:
        return {
            "debrief": self.round_id,
            "tier": self.tier_id,
            "self_evaluation": self.self_evaluation_id,
            "ranking": self.publication_id,
        }[kind]


def _self_evaluation(client: TestClient, world: World) -> dict[str, Any]:
    assert client.put(selfs.url(world), json={"items": selfs.FULL}, headers=h(world.secretary, 0)).status_code == 200
    r = client.post(selfs.url(world, "submit"), headers=h(world.secretary, 1))
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _appraise(client: TestClient, world: World, db: Session, *, tiers_too: bool = True) -> Appraised:
    rnd = debriefs.act(client, world, debriefs.create_round(client, world), "open")
    evaluation = _self_evaluation(client, world)
    tier_id = 0
    if tiers_too:  # the year's levels written straight in (no rating chain: checked on their own)
        year_levels(db, world)
        propose(client, world)
        tier = tier_of(client, world, pk(world.other_branch))
        assert act(client, world.committee_admin, tier, "approve").status_code == 200
        tier = tier_of(client, world, pk(world.other_branch))
        assert act(client, world.committee_admin, tier, "rectify", {"reason": "后进整顿"}).status_code == 200
        tier = tier_of(client, world, pk(world.other_branch))
        step = client.post(
            f"{API}/branch-tiers/{tier['id']}/steps",
            json={"title": "健全三会一课", "due_on": str(today_local() + timedelta(days=30))},
            headers=h(world.committee_admin),
        )
        assert step.status_code == 201, step.text
        tier_id = tier["id"]
    r = client.post(f"{API}/rankings", json={"unit_id": world.town.id, "year": YEAR}, headers=h(world.committee_admin))
    assert r.status_code == 201, r.text
    assert evaluation["status"] == "submitted"
    (evaluation_id,) = db.execute(
        text("SELECT id FROM appraisal_self_evaluation WHERE branch_id = :b"), {"b": pk(world.branch)}
    ).one()
    return Appraised(rnd["id"], tier_id, int(evaluation_id), r.json()["id"])


def _verify(db: Session) -> verification.Report:
    db.expire_all()
    return verification.verify(db)


def _event_ids(db: Session, kind: str, subject_id: int) -> list[int]:
    table, key = TABLES[kind]
    rows = db.execute(text(f"SELECT id FROM {table} WHERE {key} = :s ORDER BY id"), {"s": subject_id})  # noqa: S608
    return [int(r[0]) for r in rows]


@pytest.fixture
def appraised(client: TestClient, world: World, db: Session) -> Appraised:
    return _appraise(client, world, db)


def test_every_appraisal_chain_verifies(appraised: Appraised, db: Session) -> None:
    report = _verify(db)
    assert report.ok, report.broken
    assert report.chains == 5
    # the round (create, open), the tiers (花车: propose, approve, rectify, a step; 大洼: propose), the
    # self-evaluation (submit), the ranking (publish)
    assert report.events == 2 + 4 + 1 + 1 + 1
    # the tier's chain holds its step's event after its own last one, and still ends in its status
    assert len(_event_ids(db, "tier", appraised.tier_id)) == 4


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_a_row_changed_in_sql_is_named(appraised: Appraised, db: Session, kind: str) -> None:
    table, _ = TABLES[kind]
    subject = appraised.subject(kind)
    first = _event_ids(db, kind, subject)[0]
    db.execute(text(f"UPDATE {table} SET actor_name = '改写者' WHERE id = :id"), {"id": first})  # noqa: S608
    broken = _verify(db).broken
    assert broken is not None
    assert f"#{subject}" in broken
    assert f"事件 #{first}" in broken
    assert "内容与哈希不符" in broken


def test_a_submitted_self_evaluation_without_events_is_found(appraised: Appraised, db: Session) -> None:
    (only,) = _event_ids(db, "self_evaluation", appraised.self_evaluation_id)
    db.execute(text("DELETE FROM appraisal_self_evaluation_event WHERE id = :id"), {"id": only})
    broken = _verify(db).broken or ""
    assert f"季度自评 #{appraised.self_evaluation_id}" in broken
    assert "没有任何记录" in broken


def test_a_deleted_first_event_puts_the_next_out_of_place(appraised: Appraised, db: Session) -> None:
    first = _event_ids(db, "debrief", appraised.round_id)[0]
    db.execute(text("DELETE FROM debrief_round_event WHERE id = :id"), {"id": first})
    broken = _verify(db).broken or ""
    assert f"述职评议 #{appraised.round_id}" in broken
    assert "位置不符" in broken


def _tier_event(db: Session, event_id: int) -> BranchTierEvent:
    db.expire_all()
    return db.execute(select(BranchTierEvent).where(col(BranchTierEvent.id) == event_id)).scalar_one()


def test_a_tier_cut_short_is_found_past_its_steps(client: TestClient, world: World, db: Session) -> None:
    appraised = _appraise(client, world, db)
    ids = _event_ids(db, "tier", appraised.tier_id)
    # the rectify event deleted and the step's re-linked as the whole chain's tail: every link holds,
    # but the tier's own last event (approved) is not its status (rectifying)
    head = _tier_event(db, ids[1]).hash
    db.execute(text("DELETE FROM branch_tier_event WHERE id = :id"), {"id": ids[2]})
    fixed = chain.link(head, {**tiers.CHAIN.fields(_tier_event(db, ids[3])), "seq": 3})
    db.execute(text("UPDATE branch_tier_event SET seq = 3, hash = :h WHERE id = :id"), {"h": fixed, "id": ids[3]})
    broken = _verify(db).broken or ""
    assert f"党支部分类 #{appraised.tier_id}" in broken
    assert "记录止于“approved”" in broken


def test_the_digests_cover_the_appraisal_chains(
    client: TestClient, appraised: Appraised, world: World, db: Session
) -> None:
    day = today_local()
    assert pledge_history.write_digests(db, actor=SYSTEM, day=day) >= 4
    town = pledge_history.latest_digest(db, pk(world.town))
    branch = pledge_history.latest_digest(db, pk(world.branch))
    other = pledge_history.latest_digest(db, pk(world.other_branch))
    assert town is not None
    assert branch is not None
    assert other is not None
    assert {"debrief", "ranking", "self_evaluation", "tier"} <= set(town.upto or {})
    assert town.chains == 2  # the round and the ranking
    assert branch.chains >= 1  # its self-evaluation
    assert other.chains >= 1  # its tier
    assert pledge_verification.verify(db).ok
    # an appraisal event (the committee returns the self-evaluation): the branch's next digest moves
    r = client.post(selfs.url(world, "return"), json={"reason": "请补充佐证"}, headers=h(world.committee_admin, 2))
    assert r.status_code == 200, r.text
    assert pledge_history.write_digests(db, actor=SYSTEM, day=day + timedelta(days=1)) >= 1
    after = pledge_history.latest_digest(db, pk(world.branch))
    assert after is not None
    assert (after.day, after.chains, after.prev_digest) == (day + timedelta(days=1), branch.chains, branch.digest)
    assert after.root != branch.root
    unchanged = pledge_history.latest_digest(db, pk(world.other_branch))
    assert unchanged is not None
    assert unchanged.root == other.root  # nothing of its own moved
    assert pledge_verification.verify(db).ok


def test_a_rewritten_chain_no_longer_matches_its_digest(appraised: Appraised, world: World, db: Session) -> None:
    """Whoever runs the database rewrites a tier event and recomputes the chain after it: every link
    holds, but the branch's digest witnessed the old head."""
    pledge_history.write_digests(db, actor=SYSTEM)
    ids = _event_ids(db, "tier", appraised.tier_id)
    db.execute(text("UPDATE branch_tier_event SET reason = '改写' WHERE id = :id"), {"id": ids[1]})
    prev = chain.GENESIS
    for event_id in ids:
        prev = chain.link(prev, tiers.CHAIN.fields(_tier_event(db, event_id)))
        db.execute(text("UPDATE branch_tier_event SET hash = :h WHERE id = :id"), {"h": prev, "id": event_id})
    assert _verify(db).ok  # every link holds …
    db.expire_all()
    broken = pledge_verification.verify(db).broken  # … but the digest does not
    assert broken is not None
    assert broken.branch_id == pk(world.other_branch)
    assert "承诺和测评记录" in broken.message


def test_the_verify_command_covers_the_appraisal_chains(client: TestClient, world: World, db: Session) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    appraised = _appraise(client, world, db, tiers_too=False)  # no rating rows written straight in
    runner = CliRunner()
    clean = runner.invoke(cli, ["verify"])
    assert clean.exit_code == 0, clean.output
    assert "条考评记录链" in " ".join(clean.output.split())
    (only,) = _event_ids(db, "self_evaluation", appraised.self_evaluation_id)
    db.execute(text("UPDATE appraisal_self_evaluation_event SET reason = '补交' WHERE id = :id"), {"id": only})
    broken = runner.invoke(cli, ["verify"])
    assert broken.exit_code == 1
    said = " ".join(broken.output.split())  # rich wraps long lines at the runner's 80 columns
    assert "校验未通过" in said
    assert f"季度自评 #{appraised.self_evaluation_id}" in said
    assert f"事件 #{only}" in said
