"""How long `liangnuo verify` takes (every pledge chain and every branch digest), at town and county
scale, on SQLite and PostgreSQL.

For each database and scale: a fresh database, `bench/generate.py --scale …` into it (its pledges
are published or closed, each with the events of its way through the lifecycle — create, submit,
approve, publish, and request_close, close when closed — chained exactly as the service chains them;
a database generated before generate.py wrote events gets them here, through
app.pledges.history.link_rows), then in a process of its own: one digest per branch, and `verify`
timed. Prints seconds.

    .venv/bin/python bench/verify.py                                  # both scales, both databases
    .venv/bin/python bench/verify.py --databases sqlite --scales town
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ratings import DEFAULT_PG, _fresh, _run  # noqa: E402

CHUNK = 20_000


def _time_verify() -> None:
    """In a process whose LIANGNUO_DATABASE_URL names a generated database: chain, digest, verify."""
    from sqlalchemy import func, insert, select
    from sqlmodel import col

    from app.core import db
    from app.core.permissions import SYSTEM
    from app.pledges import history, verification
    from app.pledges.models import Pledge, PledgeEvent
    from bench.generate import lifecycle_events

    out: dict[str, Any] = {}
    started = time.perf_counter()
    with db.new_session() as session:
        pledges = session.execute(select(col(Pledge.id), col(Pledge.status), col(Pledge.created_at))).all()
        events = session.execute(select(func.count()).select_from(PledgeEvent)).scalar_one()
        rows: list[dict[str, Any]] = []

        def flush() -> None:
            history.link_rows(session, rows)
            session.execute(insert(PledgeEvent), rows)
            rows.clear()

        # bench/generate.py writes the events; a database generated before it did gets them here
        for pid, status, at in pledges if not events else ():
            steps = lifecycle_events(pid, status, at, None)
            rows.extend(steps)
            events += len(steps)
            if len(rows) >= CHUNK:
                flush()
        if rows:
            flush()
        out["digests"] = history.write_digests(session, actor=SYSTEM)
        session.commit()
    out["pledges"], out["events"], out["setup_s"] = len(pledges), events, round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    with db.new_session(read_only=True) as session:
        report = verification.verify(session)
    out["verify_s"] = round(time.perf_counter() - started, 2)
    out["ok"] = report.ok
    print(json.dumps(out))


def measure(database: str, scale: str, pg_url: str) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="liangnuo-bench-verify-"))
    url, drop = _fresh(database, pg_url, tmp)
    env = {
        **os.environ,
        "LIANGNUO_DATABASE_URL": url,
        "LIANGNUO_VAR_DIR": str(tmp / "var"),
        "LIANGNUO_SCHEDULER_ENABLED": "false",
        "LIANGNUO_LOG_LEVEL": "WARNING",
    }
    try:
        _run(["bench/generate.py", "--scale", scale], env)
        timing = json.loads(_run(["bench/verify.py", "--time-verify"], env))
    finally:
        if drop:
            drop()
    return {"database": database, "scale": scale, **timing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--scales", default="town,county")
    parser.add_argument("--time-verify", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.time_verify:
        _time_verify()
        return
    pg_url = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
    print(f"{'database':10} {'scale':6} {'pledges':>8} {'events':>9} {'digests':>7} {'verify s':>9} {'ok':>4}")
    for database in args.databases.split(","):
        for scale in args.scales.split(","):
            r = measure(database, scale, pg_url)
            print(
                f"{database:10} {scale:6} {r['pledges']:8,} {r['events']:9,} {r['digests']:7,} "
                f"{r['verify_s']:9.2f} {'yes' if r['ok'] else 'NO':>4}   (chains written in {r['setup_s']} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
