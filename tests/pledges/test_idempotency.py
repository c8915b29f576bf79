"""Edit conflicts (If-Match → 412 / 428) and idempotent POSTs (Idempotency-Key)."""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from app.core import db as core_db
from app.core import idempotency
from app.core.idempotency import IdempotencyRecord
from app.core.schema import upgrade
from app.core.time import utcnow
from app.pledges.models import Pledge, PledgeProgress
from tests.factories import World, build_world
from tests.pledges.api import API, act, create, etag_of, ok
from tests.pledges.factories import jpeg_bytes, member_pledge

BODY = {"title": "协调村民组矛盾", "content": "组内邻里纠纷当天到场调解。", "category": "post_duty"}


def _count(db: Session, model: Any, **where: Any) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return int(db.execute(stmt).scalar_one())


# ---------------------------------------------------------------- If-Match


def test_patch_and_actions_need_the_current_version(client: TestClient, world: World) -> None:
    who = world.member
    pid = create(client, who)["id"]
    r = client.patch(f"{API}/pledges/{pid}", json={"title": "新标题"}, headers=who.headers)
    assert r.status_code == 428
    assert r.json()["code"] == "if_match_required"
    r = client.post(f"{API}/pledges/{pid}/submit", headers=who.headers)
    assert r.status_code == 428
    r = client.patch(f"{API}/pledges/{pid}", json={"title": "新标题"}, headers={**who.headers, "If-Match": "abc"})
    assert r.status_code == 412
    first = etag_of(client, who, pid)
    assert first == '"1.0"'
    ok(client.patch(f"{API}/pledges/{pid}", json={"title": "新标题"}, headers={**who.headers, "If-Match": first}))
    # someone else's edit in between: the stale version is refused, and told the current one
    r = client.patch(f"{API}/pledges/{pid}", json={"title": "再改"}, headers={**who.headers, "If-Match": first})
    assert r.status_code == 412
    assert r.json()["code"] == "stale_version"
    assert r.json()["current_version"] == 2
    r = act(client, who, pid, "submit", etag=first)
    assert r.status_code == 412
    # weak validators and bare numbers are understood
    ok(client.patch(f"{API}/pledges/{pid}", json={"title": "三改"}, headers={**who.headers, "If-Match": 'W/"2"'}))
    assert ok(act(client, who, pid, "submit", etag="3"))["version"] == 4


def test_every_pledge_response_carries_its_version_as_etag(client: TestClient, world: World) -> None:
    r = client.post(f"{API}/pledges", json=BODY, headers=world.member.headers)
    assert r.headers["etag"] == '"1.0"'
    assert r.headers["location"] == f"/api/v1/pledges/{r.json()['id']}"
    r2 = act(client, world.member, r.json()["id"], "submit")
    assert r2.headers["etag"] == '"2.0"'
    assert r2.json()["version"] == 2


def test_a_progress_report_changes_the_etag_but_not_what_if_match_checks(client: TestClient, world: World) -> None:
    """Progress changes percent and progress_count without a new version: the ETag (the representation)
    changes, while an action queued offline with the ETag from before the report still goes through."""
    pledge = member_pledge(world, status="published")  # type: ignore[arg-type]
    before = etag_of(client, world.member, pledge.id or 0)
    assert before == '"4.0"'
    ok(
        client.post(
            f"{API}/pledges/{pledge.id}/progress",
            data={"text": "清扫了村道", "percent": "60"},
            headers=world.member.headers,
        ),
        201,
    )
    r = client.get(f"{API}/pledges/{pledge.id}", headers=world.member.headers)
    assert r.headers["etag"] == '"4.1"' != before
    assert r.json()["percent"] == 60
    closing = ok(act(client, world.member, pledge.id or 0, "request_close", etag=before))
    assert closing["status"] == "closing"
    # an ETag of another version is still stale, whatever its progress count
    r = act(client, world.member, pledge.id or 0, "withdraw", etag='"4.1"')
    assert r.status_code == 412
    assert (
        client.post(
            f"{API}/pledges/{pledge.id}/submit", headers={**world.member.headers, "If-Match": '"5.x"'}
        ).status_code
        == 412
    )


# ---------------------------------------------------------------- Idempotency-Key


def test_a_replayed_create_makes_one_pledge(client: TestClient, world: World, db: Session) -> None:
    headers = {**world.member.headers, "Idempotency-Key": "outbox-create-1"}
    before = _count(db, Pledge)
    responses = [client.post(f"{API}/pledges", json=BODY, headers=headers) for _ in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert _count(db, Pledge) == before + 1
    assert responses[0].json() == responses[1].json() == responses[2].json()
    assert "idempotent-replayed" not in responses[0].headers
    assert responses[1].headers["idempotent-replayed"] == "true"
    assert responses[2].headers["etag"] == '"1.0"'
    # the same body with keys in another order is the same request
    reordered = dict(reversed(list(BODY.items())))
    r = client.post(f"{API}/pledges", json=reordered, headers=headers)
    assert r.status_code == 201
    assert r.headers["idempotent-replayed"] == "true"
    assert _count(db, Pledge) == before + 1


def test_the_same_key_with_another_body_is_refused(client: TestClient, world: World, db: Session) -> None:
    headers = {**world.member.headers, "Idempotency-Key": "k-2"}
    ok(client.post(f"{API}/pledges", json=BODY, headers=headers), 201)
    r = client.post(f"{API}/pledges", json={**BODY, "title": "另一个"}, headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_reused"
    # and on another path
    r = client.post(f"{API}/notifications/read-all", headers=headers)
    assert r.status_code == 422


def test_keys_are_scoped_to_the_account(client: TestClient, world: World, db: Session) -> None:
    before = _count(db, Pledge)
    for who in (world.member, world.group_leader):
        ok(client.post(f"{API}/pledges", json=BODY, headers={**who.headers, "Idempotency-Key": "shared"}), 201)
    assert _count(db, Pledge) == before + 2


def test_a_replayed_progress_report_makes_one_report(client: TestClient, world: World, db: Session) -> None:
    pledge = member_pledge(world, status="published")  # type: ignore[arg-type]
    headers = {**world.member.headers, "Idempotency-Key": "progress-1"}
    photo = jpeg_bytes()
    statuses = []
    for _ in range(3):  # each send has a new multipart boundary
        r = client.post(
            f"{API}/pledges/{pledge.id}/progress",
            data={"text": "今天清扫了村道", "percent": "30"},
            files=[("photos", ("a.jpg", photo, "image/jpeg"))],
            headers=headers,
        )
        statuses.append(r.status_code)
    assert statuses == [201, 201, 201]
    assert _count(db, PledgeProgress, pledge_id=pledge.id) == 1
    db.refresh(pledge)
    assert pledge.progress_count == 1
    # another photo with the same key: a different request
    r = client.post(
        f"{API}/pledges/{pledge.id}/progress",
        data={"text": "今天清扫了村道", "percent": "30"},
        files=[("photos", ("a.jpg", jpeg_bytes(color=(1, 2, 3)), "image/jpeg"))],
        headers=headers,
    )
    assert r.status_code == 422


def test_a_replayed_action_is_done_once(client: TestClient, world: World, db: Session) -> None:
    pid = create(client, world.member)["id"]
    headers = {**world.member.headers, "Idempotency-Key": "submit-1", "If-Match": '"1"'}
    for _ in range(3):
        r = client.post(f"{API}/pledges/{pid}/submit", headers=headers)
        assert r.status_code == 200
        assert r.json()["status"] == "submitted"
    timeline = ok(client.get(f"{API}/pledges/{pid}/timeline", headers=world.member.headers))
    assert [e["action"] for e in timeline["items"]] == ["submit", "create"]


def test_a_failed_request_leaves_no_claim_so_a_retry_runs(client: TestClient, world: World, db: Session) -> None:
    pid = create(client, world.member)["id"]
    headers = {**world.member.headers, "Idempotency-Key": "retry-1", "If-Match": '"9"'}
    assert client.post(f"{API}/pledges/{pid}/submit", headers=headers).status_code == 412
    assert _count(db, IdempotencyRecord, key="retry-1") == 0
    r = client.post(f"{API}/pledges/{pid}/submit", headers={**headers, "If-Match": '"1"'})
    assert r.status_code == 200
    assert _count(db, IdempotencyRecord, key="retry-1") == 1
    # a body that fails validation releases its claim as well
    r = client.post(f"{API}/pledges", json={"title": ""}, headers={**world.member.headers, "Idempotency-Key": "v"})
    assert r.status_code == 422
    assert _count(db, IdempotencyRecord, key="v") == 0


def test_in_flight_duplicate_is_409_and_an_abandoned_claim_is_taken_over(
    client: TestClient, world: World, db: Session
) -> None:
    headers = {**world.member.headers, "Idempotency-Key": "flight-1"}
    ok(client.post(f"{API}/pledges", json=BODY, headers=headers), 201)
    # make the stored row look like a request still being worked on
    db.execute(
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.key) == "flight-1")
        .values(status_code=None, response_body=None, locked_until=utcnow() + timedelta(seconds=60))
    )
    r = client.post(f"{API}/pledges", json=BODY, headers=headers)
    assert r.status_code == 409
    assert r.json()["code"] == "idempotency_in_flight"
    assert r.headers["retry-after"] == "2"
    # a claim whose worker died long ago is taken over and done
    db.execute(
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.key) == "flight-1")
        .values(locked_until=utcnow() - timedelta(seconds=1))
    )
    r = client.post(f"{API}/pledges", json=BODY, headers=headers)
    assert r.status_code == 201
    assert "idempotent-replayed" not in r.headers


def test_expired_keys_are_forgotten_and_purged(client: TestClient, world: World, db: Session) -> None:
    headers = {**world.member.headers, "Idempotency-Key": "old"}
    ok(client.post(f"{API}/pledges", json=BODY, headers=headers), 201)
    row = db.execute(select(IdempotencyRecord).where(col(IdempotencyRecord.key) == "old")).scalar_one()
    assert row.expires_at - row.created_at >= timedelta(hours=24)
    db.execute(
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.key) == "old")
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    r = client.post(f"{API}/pledges", json={**BODY, "title": "新的一项"}, headers=headers)
    assert r.status_code == 201
    assert r.json()["title"] == "新的一项"
    db.execute(update(IdempotencyRecord).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert idempotency.purge_expired(db) >= 1
    assert _count(db, IdempotencyRecord) == 0


def test_malformed_keys_are_refused(client: TestClient, world: World) -> None:
    r = client.post(f"{API}/pledges", json=BODY, headers={**world.member.headers, "Idempotency-Key": "x" * 101})
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_invalid"


def test_anonymous_with_a_key_is_still_401(client: TestClient, world: World) -> None:
    r = client.post(f"{API}/pledges", json=BODY, headers={"Idempotency-Key": "anon"})
    assert r.status_code == 401


# ---------------------------------------------------------------- two real threads, a committed database


@pytest.fixture
def committed_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A database of its own (a SQLite file, or a fresh PostgreSQL schema), migrated and really
    committed to, with the app's sessions pointed at it for this test only."""
    pg = os.environ.get("TEST_DATABASE_URL", "").strip()
    schema = f"lt_idem_{secrets.token_hex(4)}"
    if core_db.engine.dialect.name == "postgresql" and pg:
        import psycopg

        plain = pg.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp_path / 'committed.db'}"
    upgrade(url)
    engine = core_db.make_engine(url)
    monkeypatch.setattr(core_db, "engine", engine)
    monkeypatch.setattr(core_db, "new_session", lambda **_: Session(engine, expire_on_commit=False))
    try:
        yield engine
    finally:
        engine.dispose()
        if core_db.engine.dialect.name == "postgresql" and pg:
            import psycopg

            with psycopg.connect(pg.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_a_concurrent_duplicate_gets_409_while_the_first_is_in_flight(
    committed_engine: Engine, app_instance: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(committed_engine, expire_on_commit=False) as session:
        world = build_world(session)
        session.commit()
    headers = {**world.member.headers, "Idempotency-Key": "two-threads"}

    # hold the first request right after its claim committed (before it opens its own transaction)
    claimed, release = threading.Event(), threading.Event()
    real_claim = idempotency.claim

    def held_claim(**kw: Any) -> int:
        record_id = real_claim(**kw)
        if not claimed.is_set():
            claimed.set()
            release.wait(20)
        return record_id

    monkeypatch.setattr(idempotency, "claim", held_claim)
    results: dict[str, Any] = {}
    with TestClient(app_instance, base_url="http://testserver") as client:
        first = threading.Thread(
            target=lambda: results.setdefault("first", client.post(f"{API}/pledges", json=BODY, headers=headers))
        )
        first.start()
        assert claimed.wait(20)
        second = client.post(f"{API}/pledges", json=BODY, headers=headers)
        release.set()
        first.join(30)
        third = client.post(f"{API}/pledges", json=BODY, headers=headers)

    assert second.status_code == 409, second.text
    assert second.json()["code"] == "idempotency_in_flight"
    assert results["first"].status_code == 201, results["first"].text
    assert third.status_code == 201
    assert third.headers["idempotent-replayed"] == "true"
    assert third.json() == results["first"].json()
    with Session(committed_engine) as session:
        assert session.execute(select(func.count()).select_from(Pledge)).scalar_one() == 1


def test_two_concurrent_approvals_with_one_version_one_wins(committed_engine: Engine, app_instance: FastAPI) -> None:
    from app.pledges.models import PledgeEvent, PledgeStatus
    from tests.pledges.factories import create_pledge

    with Session(committed_engine, expire_on_commit=False) as session:
        world = build_world(session)
        pledge = create_pledge(
            session, unit=world.group, member_id=world.member.member_id, status=PledgeStatus.submitted
        )
        session.commit()
    start = threading.Barrier(2)
    results: list[int] = []

    def approve(who: Any) -> None:
        start.wait(10)
        r = client.post(f"{API}/pledges/{pledge.id}/approve", headers={**who.headers, "If-Match": '"2"'})
        results.append(r.status_code)

    with TestClient(app_instance, base_url="http://testserver") as client:
        threads = [threading.Thread(target=approve, args=(who,)) for who in (world.secretary, world.committee_admin)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert sorted(results) == [200, 412]
    with Session(committed_engine) as session:
        events = session.execute(
            select(func.count()).where(col(PledgeEvent.pledge_id) == pledge.id, col(PledgeEvent.action) == "approve")
        ).scalar_one()
        assert events == 1
