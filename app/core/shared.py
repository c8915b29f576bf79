"""Where the state that several workers (and several servers) must share lives: rate-limit counters
and the content generation that tells every worker its memoised public pages are stale.

- `Store.redis` when settings.redis_url is set: one Redis for all workers and machines;
- `Store.database` when the database is PostgreSQL: tables and a sequence in it;
- `Store.process` on the SQLite default: in this process only — and then only one worker may run
  (`liangnuo serve --workers 2` on SQLite is refused).

This module owns the Redis clients: one synchronous client per process (the thread pool's side) and
one asyncio client per event loop (the public pages read the generation on the loop, no thread).
"""

from __future__ import annotations

import asyncio
import threading
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app.core.config import settings
from app.core.errors import ServiceUnavailable

if TYPE_CHECKING:
    import redis
    import redis.asyncio


class Store(StrEnum):
    process = "process"
    database = "database"
    redis = "redis"


def store() -> Store:
    """The shared store these settings choose (read each time: tests switch settings)."""
    if settings.redis_url:
        return Store.redis
    return Store.process if settings.is_sqlite else Store.database


def key(*parts: object) -> str:
    """A Redis key under this service's prefix: `liangnuo:rl:…`."""
    return ":".join([settings.redis_prefix, *(str(p) for p in parts)])


def workers_problem(workers: int) -> str | None:
    """Why `workers` processes cannot run on these settings (None: they can)."""
    if workers > 1 and settings.is_sqlite:  # with Redis too: SQLite has one writer at a time
        return (
            f"SQLite 数据库只能用一个进程运行，不能 --workers {workers}："
            "各进程的登录限制、群众测评限制和页面缓存无法共享，数据库写入也会互相等待。"
            "多进程请改用 PostgreSQL（设置 LIANGNUO_DATABASE_URL），最好再设 LIANGNUO_REDIS_URL；"
            "见 docs/operations.md。"
        )
    return None


def unavailable() -> ServiceUnavailable:
    """503 when the shared store did not answer (the request may be retried)."""
    return ServiceUnavailable(code="shared_store_unavailable", headers={"Retry-After": "5"})


_lock = threading.Lock()
_sync: tuple[str, Any] | None = None
# (loop, url, client): a worker runs one event loop; another loop (a test's) replaces it
_async: tuple[asyncio.AbstractEventLoop, str, Any] | None = None

SOCKET_TIMEOUT = 2.0  # seconds: a Redis that does not answer must not hang a request for long


def redis_client() -> redis.Redis:
    """The process's synchronous Redis client (thread-safe: it keeps a connection pool)."""
    global _sync
    import redis as redis_lib

    url = settings.redis_url
    with _lock:
        if _sync is None or _sync[0] != url:
            client = redis_lib.Redis.from_url(
                url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, health_check_interval=30
            )
            _sync = (url, client)
        return _sync[1]


def async_redis_client() -> redis.asyncio.Redis:
    """This event loop's asyncio Redis client (a client is bound to the loop it first ran on)."""
    import redis.asyncio as aredis

    global _async
    loop = asyncio.get_running_loop()
    url = settings.redis_url
    if _async is None or _async[0] is not loop or _async[1] != url:
        client = aredis.Redis.from_url(
            url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT, health_check_interval=30
        )
        _async = (loop, url, client)
    return _async[2]
