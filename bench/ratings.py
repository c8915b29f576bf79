"""How long `compute` takes for one quarter, at town and county scale, on SQLite and PostgreSQL.

For each database and scale: a fresh database (a temp SQLite file, or a PostgreSQL schema of its
own), `bench/generate.py --scale …` into it, then compute timed in a process of its own (the first
run writes every result row, the re-run upserts them). Prints seconds and the county/town ratio.
The target: a county quarter (50,000 members) in ≤ 10 s on each database.

    .venv/bin/python bench/ratings.py                       # both scales, both databases
    .venv/bin/python bench/ratings.py --databases sqlite --scales town
    BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/ratings.py
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _time_compute() -> None:
    """In a process whose LIANGNUO_DATABASE_URL names a generated database: time compute of period 1."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import event, func, select

    from app.core import db
    from app.ratings.compute import compute_results
    from app.ratings.models import RatingPeriod, RatingResult

    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine, "before_cursor_execute", count)
    out: dict[str, Any] = {}
    for label in ("first", "rerun"):
        statements = 0
        started, cpu = time.perf_counter(), time.process_time()
        with db.new_session() as session:
            period = session.get(RatingPeriod, 1)
            assert period is not None
            done = compute_results(session, period)
            session.commit()
        out[label] = round(time.perf_counter() - started, 2)
        # this process's CPU seconds: on SQLite (in-process) all of the work, whatever else runs on
        # the machine; on PostgreSQL the client's share only (the server's is not counted)
        out[f"{label}_cpu"] = round(time.process_time() - cpu, 2)
        out[f"{label}_statements"] = statements
        out["members"], out["branches"] = done.members, done.branches
    with db.new_session() as session:
        out["rows"] = session.execute(select(func.count()).select_from(RatingResult)).scalar_one()
    print(json.dumps(out))


def _fresh(database: str, pg_url: str, tmp: Path) -> tuple[str, Any]:
    if database == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", None
    import psycopg

    schema = f"bench_ratings_{os.getpid()}_{secrets.token_hex(3)}"
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return f"{pg_url}{'&' if '?' in pg_url else '?'}options=-csearch_path%3D{schema}", drop


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def measure(database: str, scale: str, pg_url: str) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="liangnuo-bench-ratings-"))
    url, drop = _fresh(database, pg_url, tmp)
    env = {
        **os.environ,
        "LIANGNUO_DATABASE_URL": url,
        "LIANGNUO_VAR_DIR": str(tmp / "var"),
        "LIANGNUO_SCHEDULER_ENABLED": "false",
        "LIANGNUO_LOG_LEVEL": "WARNING",
    }
    try:
        started = time.perf_counter()
        generated = _run(["bench/generate.py", "--scale", scale], env)
        gen_seconds = round(time.perf_counter() - started, 1)
        timing = json.loads(_run(["bench/ratings.py", "--time-compute"], env))
    finally:
        if drop:
            drop()
    return {"database": database, "scale": scale, "generate_s": gen_seconds, "generated": generated, **timing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--scales", default="town,county")
    parser.add_argument("--time-compute", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_compute:
        _time_compute()
        return
    pg_url = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
    results = []
    for database in args.databases.split(","):
        for scale in args.scales.split(","):
            r = measure(database, scale, pg_url)
            results.append(r)
            print(
                f"{database:10} {scale:6}  members {r['members']:>6,}  compute {r['first']:6.2f} s "
                f"(cpu {r['first_cpu']:.2f} s; re-run {r['rerun']:5.2f} s, cpu {r['rerun_cpu']:.2f} s; "
                f"{r['first_statements']} statements)  generated in {r['generate_s']} s",
                flush=True,
            )
            print(f"           {r['generated']}", flush=True)
    print()
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(
            f"note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores — wall-clock seconds are inflated"
        )
    print(f"{'database':10} {'town s':>8} {'county s':>9} {'county/town':>12} {'≤ 10 s':>7}")
    for database in args.databases.split(","):
        by = {r["scale"]: r for r in results if r["database"] == database}
        if "town" in by and "county" in by:
            town, county = by["town"]["first"], by["county"]["first"]
            ratio = county / town if town else float("inf")
            ok = "yes" if county <= 10 else "NO"
            print(f"{database:10} {town:8.2f} {county:9.2f} {ratio:12.1f} {ok:>7}")


if __name__ == "__main__":
    main()
