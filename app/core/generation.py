"""The content generation: one number every worker can read, moved after every commit that wrote.

Whatever a process memoises from the database for a moment (the public pages, boards.public_routes)
it keeps only while the generation it read *before* reading the database is still current, so a
change committed through any worker, any server or the CLI shows on the next request everywhere.

Where it lives follows the shared store (core.shared):

- redis: one key, INCR after the commit; a GET per request on the event loop (asyncio client);
- database (PostgreSQL): the sequence `content_generation`, `nextval` after the commit on a pool
  connection (a sequence takes no row lock, so writers never queue on it); `last_value` read per
  request over one asyncio psycopg connection per event loop (no thread-pool hop);
- process: a counter in this process (SQLite: one worker).

Moved after the commit, never before: a reader that sees the new number must also see the new rows.
The commit's own HTTP response is sent after this, so the next request through any worker sees it.
A reading that fails answers None ("unknown"): the caller then goes to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import Any

from app.core import shared
from app.core.config import settings

log = logging.getLogger("liangnuo.generation")

SEQUENCE = "content_generation"
_local = itertools.count(1)
_local_value = 0
# (loop, url, connection): a worker runs one event loop; another loop (a test's) replaces it
_pg: tuple[asyncio.AbstractEventLoop, str, Any] | None = None


def bump() -> None:
    """Move the generation on (called after a commit that wrote; see core.db). Never raises: a
    failure is logged, and memoised pages then live out their `public_recheck_seconds`."""
    global _local_value
    _local_value = next(_local)  # this process's memos, whatever the store
    kind = shared.store()
    try:
        if kind == shared.Store.redis:
            shared.redis_client().incr(shared.key("gen"))
        elif kind == shared.Store.database:
            from app.core.db import engine

            with engine.connect() as conn:
                conn.exec_driver_sql(f"SELECT nextval('{SEQUENCE}')")
    except Exception:
        log.warning("content generation not moved", exc_info=True)


async def current() -> int | None:
    """The generation now (None when the store did not answer). One Redis GET or one trivial query."""
    kind = shared.store()
    if kind == shared.Store.process:
        return _local_value
    try:
        return await _batched(kind)
    except Exception:
        log.warning("content generation not read", exc_info=True)
        _drop_pg()  # a broken connection is opened afresh next time
        return None


# Reads shared by the requests that wait for them. A request may share a read only if it started
# after the request arrived (a commit whose response the client already has must be seen), so one
# arriving while a read is under way waits for the next one, which starts when that one ends: at
# most one read under way and one waiting, however many requests come at once.
_running: asyncio.Task[int] | None = None
_queued: asyncio.Task[int] | None = None


async def _batched(kind: shared.Store) -> int:
    global _running, _queued
    loop = asyncio.get_running_loop()
    if _running is not None and _running.get_loop() is not loop:  # a loop gone (tests)
        _running = _queued = None
    if _running is None:
        _running = task = asyncio.create_task(_read(kind, None))
    else:
        if _queued is None or _queued.get_loop() is not loop:
            _queued = asyncio.create_task(_read(kind, _running))
        task = _queued
    return await asyncio.shield(task)


async def _read(kind: shared.Store, after: asyncio.Task[int] | None) -> int:
    global _running, _queued
    if after is not None:
        await asyncio.wait([after])
        _running, _queued = asyncio.current_task(), None
    try:
        return await _read_store(kind)
    finally:
        if _running is asyncio.current_task():
            _running = None


async def _read_store(kind: shared.Store) -> int:
    if kind == shared.Store.redis:
        value = await shared.async_redis_client().get(shared.key("gen"))
        return int(value or 0)
    return await _pg_value()


def _pg_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_value() -> int:
    import psycopg

    global _pg
    loop = asyncio.get_running_loop()
    url = _pg_url()
    if _pg is None or _pg[0] is not loop or _pg[1] != url or _pg[2].closed:
        _drop_pg()
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True, connect_timeout=5)
        if _pg is not None and _pg[0] is loop and _pg[1] == url:  # another request connected meanwhile
            await conn.close()
        else:
            _pg = (loop, url, conn)
    # a new sequence's last_value is already 1 before its first nextval (then is_called is false)
    sql = f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {SEQUENCE}"  # noqa: S608  (a constant)
    cursor = await _pg[2].execute(sql)
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _drop_pg() -> None:
    """Close the connection of a loop gone (or a broken one) without awaiting: libpq's own close."""
    global _pg
    if _pg is not None:
        with contextlib.suppress(Exception):
            _pg[2].pgconn.finish()
        _pg = None
