"""A small in-process sliding-window rate limiter and the client address it is keyed on.

No third-party service and no Redis: the counters live in this process. Behind one uvicorn worker
(the default, and the only sensible setting on SQLite) the limits hold exactly; with N workers each
keeps its own counters, so a client may get up to N times the limit. A restart forgets them.

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

from app.core.config import settings

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


limiter = SlidingWindowLimiter()


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
