"""The state several workers share (core.shared): the rate limiter's windows and the content
generation, on each store this machine runs — Redis, PostgreSQL (on the PostgreSQL run) and this
process (on the SQLite run, the only place it is chosen). The real servers with two workers are in
tests/test_workers.py."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.core import db as core_db
from app.core import generation, shared
from app.core.config import settings
from app.core.errors import ServiceUnavailable
from app.core.ratelimit import Limit, limiter
from app.core.ratelimit_stores import RateHit
from app.core.time import utcnow
from tests.redis_store import drop_prefix, new_prefix, redis_url


@pytest.fixture(params=["process", "database", "redis"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[shared.Store]:
    kind = shared.Store(request.param)
    if kind == shared.Store.process and not settings.is_sqlite:
        pytest.skip("this process's store is chosen only on SQLite (the SQLite run tests it)")
    if kind == shared.Store.database and settings.is_sqlite:
        pytest.skip("the database store is PostgreSQL's (the PostgreSQL run tests it)")
    url, prefix = "", new_prefix()
    if kind == shared.Store.redis:
        url = redis_url()
        monkeypatch.setattr(settings, "redis_url", url)
        monkeypatch.setattr(settings, "redis_prefix", prefix)
    assert shared.store() == kind
    limiter.reset()
    yield kind
    limiter.reset()
    if url:
        drop_prefix(url, prefix)


def test_a_window_holds_exactly_its_count_per_key(store: shared.Store) -> None:
    limit, key = Limit(5, 60), secrets.token_hex(8)
    assert [limiter.check("test.exact/60", key, limit) for _ in range(5)] == [None] * 5
    wait = limiter.check("test.exact/60", key, limit)
    assert wait is not None
    assert 1 <= wait <= 60
    assert limiter.check("test.exact/60", secrets.token_hex(8), limit) is None  # another key: its own window
    assert limiter.check("test.other/60", key, limit) is None  # another limit: its own window


def test_hits_at_once_from_many_threads_count_exactly(store: shared.Store) -> None:
    limit, key = Limit(7, 60), secrets.token_hex(8)
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: limiter.check("test.race/60", key, limit), range(40)))
    assert answers.count(None) == 7


def test_the_window_slides(store: shared.Store) -> None:
    limit, key = Limit(2, 1), secrets.token_hex(8)
    assert limiter.check("test.slide/1", key, limit) is None
    assert limiter.check("test.slide/1", key, limit) is None
    assert limiter.check("test.slide/1", key, limit) == 1
    time.sleep(1.1)
    assert limiter.check("test.slide/1", key, limit) is None


def test_the_generation_moves_after_a_commit_that_wrote_and_only_then(store: shared.Store) -> None:
    def commit(write: bool) -> None:
        with core_db.new_session() as session:
            if write:
                session.add(RateHit(bucket=f"test.gen:{secrets.token_hex(4)}", at=utcnow()))
            else:
                session.connection()
            session.commit()

    async def walk() -> list[int | None]:
        seen = [await generation.current()]
        await asyncio.to_thread(commit, False)
        seen.append(await generation.current())
        await asyncio.to_thread(commit, True)
        seen.append(await generation.current())
        return seen

    before, after_read, after_write = asyncio.run(walk())
    assert before is not None
    assert after_read == before
    assert after_write is not None
    assert after_write > before
    with core_db.engine.begin() as conn:  # the rows written above
        conn.execute(RateHit.__table__.delete().where(RateHit.bucket.startswith("test.gen:")))  # type: ignore[attr-defined]


def test_many_requests_at_once_share_reads_but_never_one_from_before_they_came(
    store: shared.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request may share a generation read only if that read began after it arrived: one arriving
    while a read is under way waits for the next. Here every read takes 50 ms after it has seen the
    store, and a commit lands while the first one is under way: the requests that came after the
    commit see it, though a read from before it was still running when they came."""
    if store == shared.Store.process:
        pytest.skip("this process's generation is read without waiting")
    real = generation._read_store

    async def slow(kind: shared.Store) -> int:
        value = await real(kind)
        await asyncio.sleep(0.05)
        return value

    monkeypatch.setattr(generation, "_read_store", slow)

    async def waves() -> tuple[list[int | None], list[int | None]]:
        before = asyncio.gather(*(generation.current() for _ in range(32)))
        await asyncio.sleep(0.02)  # the first read has seen the store and is still running
        generation.bump()  # a commit, its response sent
        after = await asyncio.gather(*(generation.current() for _ in range(32)))
        return await before, after

    before, after = asyncio.run(waves())
    assert None not in before + after
    first = before[0]  # the read under way when the commit landed; the rest of that wave queued
    assert first is not None
    assert min(after) == first + 1  # type: ignore[type-var]
    assert set(before[1:]) <= {first, first + 1}  # a wave shares at most two reads


def test_several_workers_need_a_shared_store(store: shared.Store) -> None:
    assert shared.workers_problem(1) is None
    problem = shared.workers_problem(2)
    if settings.is_sqlite:  # Redis or not
        assert problem is not None
        assert "SQLite" in problem
        assert "PostgreSQL" in problem
    else:
        assert problem is None


def test_an_unreachable_redis_is_a_503_not_a_free_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "redis_url", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    with pytest.raises(ServiceUnavailable) as caught:
        limiter.check("test.down/60", "k", Limit(5, 60))
    assert caught.value.status == 503
    assert caught.value.code == "shared_store_unavailable"
    assert asyncio.run(generation.current()) is None  # the pages then go to the database
