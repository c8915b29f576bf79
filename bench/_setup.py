"""Shared set-up for the benchmarks: a fresh database (temp SQLite file, or a PostgreSQL schema of
its own when BENCH_DATABASE_URL is set), chosen before the app is imported."""

from __future__ import annotations

import atexit
import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def prepare_environment() -> dict[str, str]:
    var_dir = Path(tempfile.mkdtemp(prefix="liangnuo-bench-"))
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if url:
        import psycopg

        schema = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')

        def drop() -> None:
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

        atexit.register(drop)
        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{var_dir / 'bench.db'}"
    env = {
        "LIANGNUO_DATABASE_URL": url,
        "LIANGNUO_VAR_DIR": str(var_dir),
        "LIANGNUO_SCHEDULER_ENABLED": "false",
        "LIANGNUO_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    return env


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
