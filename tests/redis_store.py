"""The machine's Redis for the tests that need one (TEST_REDIS_URL, default redis://127.0.0.1:6379/0).

Each user gets a key prefix of its own (several suites may share the server) and removes its keys
afterwards. Without CI a missing Redis skips those tests; with CI=true it fails them, as a missing
PostgreSQL fails the PostgreSQL run (tests/conftest.py): CI can never pass without Redis.
"""

from __future__ import annotations

import os
import secrets

import pytest

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def redis_url() -> str:
    """The reachable Redis's URL, or skip (fail with CI=true)."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "").strip() or DEFAULT_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Redis at {url} is not reachable: {exc}")
        pytest.skip(f"Redis at {url} is not reachable (set TEST_REDIS_URL, or start redis-server)")
    return url


def new_prefix() -> str:
    return f"lt_{os.getpid()}_{secrets.token_hex(3)}"


def drop_prefix(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)
