"""The rate limiter's shared stores: the same sliding window as core.ratelimit's in-process one, kept
where every worker and every server counts together (core.shared chooses which).

- `RedisWindows`: a sorted set of hit times per (name, key), checked and added to by one Lua script,
  atomic in Redis, timed by Redis's clock;
- `DatabaseWindows` (PostgreSQL): a row per hit in `rate_hit`, checked and added to in a short
  transaction of its own (a hit counts even when the request then fails) under a transaction-level
  advisory lock on the (name, key), so two workers never both take the last place.

Both hold at most `count` hits per window and key; expired hits are dropped as they are met, and the
database's leftovers (keys never seen again) once every SWEEP_SECONDS.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, func, insert, select
from sqlmodel import Field, SQLModel, col

from app.core import shared
from app.core.db import UTCDateTime, engine
from app.core.time import as_utc, utcnow

LONGEST_WINDOW_SECONDS = 86_400  # the longest window any limit uses (villagers' daily caps)


class RateHit(SQLModel, table=True):
    """One counted hit of a rate limit (PostgreSQL without Redis): `bucket` is "name:key", the key a
    salted hash, never a raw address or device id."""

    __tablename__ = "rate_hit"
    __table_args__ = (Index("ix_rate_hit_bucket_at", "bucket", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(sa_type=String(200))
    at: datetime = Field(sa_type=UTCDateTime, index=True)


# KEYS[1]: the window; ARGV: count, seconds, a unique member. Returns {1, 0} when counted, else
# {0, microseconds until the oldest hit leaves the window}.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local span = tonumber(ARGV[2]) * 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + span - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 1000)
return {1, 0}
"""


def _seconds(micro: int) -> int:
    return max(1, -(-int(micro) // 1_000_000))


class RedisWindows:
    def check(self, name: str, key: str, count: int, seconds: int) -> int | None:
        """Count one hit; None when counted, else the seconds to wait (nothing counted)."""
        try:
            counted, wait = shared.redis_client().eval(
                _SCRIPT, 1, shared.key("rl", name, key), count, seconds, secrets.token_hex(8)
            )
        except Exception as exc:  # redis.RedisError, a timeout: the request may be retried
            raise shared.unavailable() from exc
        return None if counted else _seconds(wait)

    def reset(self) -> None:
        client = shared.redis_client()
        for found in client.scan_iter(match=shared.key("rl", "*"), count=1000):
            client.delete(found)


class DatabaseWindows:
    SWEEP_SECONDS = 600.0

    def __init__(self) -> None:
        self._last_sweep = 0.0
        self._lock = threading.Lock()

    def check(self, name: str, key: str, count: int, seconds: int) -> int | None:
        bucket = f"{name}:{key}"[:200]
        now = utcnow()
        table = RateHit.__table__  # type: ignore[attr-defined]
        here = col(RateHit.bucket) == bucket
        with engine.begin() as conn:
            # serialises the hits of one (name, key) across every worker, until this commit
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(bucket, 0))))
            conn.execute(delete(table).where(here, col(RateHit.at) <= now - timedelta(seconds=seconds)))
            n, oldest = conn.execute(select(func.count(), func.min(col(RateHit.at))).where(here)).one()
            if n >= count:
                wait = (as_utc(oldest) + timedelta(seconds=seconds) - now).total_seconds()
                return max(1, int(wait) + 1)
            conn.execute(insert(table).values(bucket=bucket, at=now))
        self._sweep()
        return None

    def _sweep(self) -> None:
        """Drop the hits older than the longest window (keys never seen again), now and then."""
        with self._lock:
            if time.monotonic() - self._last_sweep < self.SWEEP_SECONDS:
                return
            self._last_sweep = time.monotonic()
        cutoff = utcnow() - timedelta(seconds=LONGEST_WINDOW_SECONDS)
        with engine.begin() as conn:
            conn.execute(delete(RateHit.__table__).where(col(RateHit.at) < cutoff))  # type: ignore[attr-defined]

    def reset(self) -> None:
        with engine.begin() as conn:
            conn.execute(delete(RateHit.__table__))  # type: ignore[attr-defined]
