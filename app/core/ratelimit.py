"""The rate limiter (a sliding window per name and key) and the client address it is keyed on.

Where the windows live follows the shared store (core.shared): Redis when settings.redis_url is set,
PostgreSQL's `rate_hit` table on PostgreSQL, else this process (the single-worker SQLite default: a
restart forgets them). With Redis or PostgreSQL every worker and every server counts together, so a
limit holds exactly however many run (core.ratelimit_stores).

Keys are salted hashes (`keyed_digest`), never raw addresses or device ids.

The client address: the direct peer, unless that peer is one of `settings.trusted_proxies` (addresses
or CIDR networks); then the right-most X-Forwarded-For entry that is not itself a trusted proxy.
Anyone else's X-Forwarded-For is ignored, or every limit would be one header away from bypassed.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from starlette.requests import Request

from app.core import shared
from app.core.config import settings
from app.core.ratelimit_stores import DatabaseWindows, RedisWindows

Clock = Callable[[], float]


@dataclass(frozen=True)
class Limit:
    """At most `count` hits per `seconds` for one key."""

    count: int
    seconds: int


class SlidingWindowLimiter:
    """Remembers the hit times per (name, key) and refuses a hit that would exceed a limit.

    Memory is bounded: a key's deque holds at most `count` timestamps, and keys whose hits have all
    expired are dropped on a periodic sweep.
    """

    def __init__(self, clock: Clock = time.monotonic, max_keys: int = 200_000) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._max_keys = max_keys
        self._last_sweep = clock()

    def hit(self, name: str, key: str, limit: Limit) -> bool:
        """Count one hit; False (and nothing counted) when it would go over the limit."""
        now = self._clock()
        with self._lock:
            self._sweep(now)
            window = self._hits.setdefault((name, key), deque())
            while window and window[0] <= now - limit.seconds:
                window.popleft()
            if len(window) >= limit.count:
                return False
            window.append(now)
            return True

    def retry_after(self, name: str, key: str, limit: Limit) -> int:
        """Seconds until the oldest hit in the window expires (at least 1)."""
        with self._lock:
            window = self._hits.get((name, key))
            if not window:
                return 1
            return max(1, int(window[0] + limit.seconds - self._clock()) + 1)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def _sweep(self, now: float) -> None:
        if now - self._last_sweep < 60 and len(self._hits) < self._max_keys:
            return
        self._last_sweep = now
        # the longest window we use is a day; anything older than that is dead
        dead = [k for k, w in self._hits.items() if not w or w[-1] < now - 86_400]
        for k in dead:
            del self._hits[k]
        if len(self._hits) >= self._max_keys:  # under attack by many keys: forget the oldest half
            by_age = sorted(self._hits, key=lambda k: self._hits[k][-1])
            for k in by_age[: len(by_age) // 2]:
                del self._hits[k]


class Limiter:
    """The rate limiter of the configured store; `check()` counts a hit or says how long to wait."""

    def __init__(self) -> None:
        self.process = SlidingWindowLimiter()
        self._redis = RedisWindows()
        self._database = DatabaseWindows()

    def check(self, name: str, key: str, limit: Limit) -> int | None:
        """Count one hit of `name` for `key`: None when counted, else the seconds until one more fits
        (and nothing counted)."""
        kind = shared.store()
        if kind == shared.Store.redis:
            return self._redis.check(name, key, limit.count, limit.seconds)
        if kind == shared.Store.database:
            return self._database.check(name, key, limit.count, limit.seconds)
        if self.process.hit(name, key, limit):
            return None
        return self.process.retry_after(name, key, limit)

    def reset(self) -> None:
        """Forget every window of the configured store (tests)."""
        self.process.reset()
        kind = shared.store()
        if kind == shared.Store.redis:
            self._redis.reset()
        elif kind == shared.Store.database:
            self._database.reset()


limiter = Limiter()


@lru_cache(maxsize=64)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    nets = []
    for p in proxies:
        try:
            nets.append(ipaddress.ip_network(p.strip(), strict=False))
        except ValueError:
            continue
    return tuple(nets)


def _is_trusted(address: str, proxies: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _networks(proxies))


def client_ip(request: Request) -> str:
    """The client's address, trusting X-Forwarded-For only from configured proxies."""
    peer = request.client.host if request.client else ""
    proxies = tuple(settings.trusted_proxies)
    if not proxies or not _is_trusted(peer, proxies):
        return peer or "unknown"
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed entry: fall back to the proxy itself
    return peer
