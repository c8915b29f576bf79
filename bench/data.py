"""Data in and out at scale (issue 12), on SQLite and PostgreSQL:

- import: a `--rows` roster (default 10,000) checked and confirmed through the code of the API and
  `liangnuo import members` (bench/data_import.py, which this runs; target ≤ 10 s for the confirm);
- export: the pledge ledger (承诺台账) of the whole tree for the year, from the data of
  bench/generate.py at `--scale` (county: 200,000 pledges), written as xlsx (openpyxl write-only)
  and as CSV through app.reports.ledger and app.reports.sheets — the code of GET /exports/ledger and
  `liangnuo export ledger` — each in a fresh process, with its seconds, its rows, the file's size
  and the process's peak RSS (target ≤ 200 MB; the process's RSS before the export beside it).

A measurement, not a test: figures, with the load average, in `make bench` (docs/benchmarks.md).

    .venv/bin/python bench/data.py                                   # both databases, 10 k rows, county
    .venv/bin/python bench/data.py --databases sqlite --rows 1000 --scale town
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _export(fmt: str) -> dict[str, Any]:
    """In a fresh process on the generated database: one ledger export, its time and peak RSS."""
    sys.path.insert(0, str(ROOT))
    from app.core.db import new_session
    from app.core.permissions import SYSTEM
    from app.reports import ledger, sheets

    before = _rss_mb()
    started = time.perf_counter()
    with new_session(read_only=True) as session:
        _root, sel = ledger.selection(session, actor=SYSTEM, unit_id=None, year=2026, period=None)
        count = 0

        def counted() -> Any:
            nonlocal count
            for row in ledger.rows(session, sel):
                count += 1
                yield row

        handle = sheets.write(fmt, "承诺台账", ledger.HEADER, counted(), ledger.WIDTHS)  # type: ignore[arg-type]
        size = 0
        with tempfile.TemporaryFile() as out:
            for block in sheets.file_chunks(handle):
                size += len(block)
                out.write(block)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "format": fmt,
        "rows": count,
        "mb": round(size / 2**20, 1),
        "s": round(took, 1),
        "rss_before": round(before),
        "peak_rss": round(peak),
    }


def _ledger(scale: str) -> dict[str, Any]:
    """In a process whose environment names a fresh database: generate, then export in fresh processes."""
    sys.path.insert(0, str(ROOT / "bench"))
    from _setup import prepare_environment

    prepare_environment()
    from generate import generate

    started = time.perf_counter()
    counts = generate(scale)
    out: dict[str, Any] = {"pledges": counts["pledge"], "generate_s": round(time.perf_counter() - started)}
    from app.core.db import engine

    out["database"] = engine.dialect.name
    engine.dispose()
    for fmt in ("xlsx", "csv"):
        run = subprocess.run(
            [sys.executable, __file__, "--child-export", fmt], capture_output=True, text=True, check=True
        )
        out[fmt] = json.loads(run.stdout.strip().splitlines()[-1])
    return out


def _child(args: list[str], env: dict[str, str]) -> dict[str, Any] | None:
    run = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        print(f"{' '.join(args)}: failed\n{run.stderr[-3000:]}")
        return None
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="roster rows to import")
    parser.add_argument("--branches", type=int, default=40)
    parser.add_argument("--scale", default="county", help="bench/generate.py scale of the ledger's data")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--child-ledger", help=argparse.SUPPRESS)
    parser.add_argument("--child-export", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_export:
        print(json.dumps(_export(args.child_export)))
        return
    if args.child_ledger:
        print(json.dumps(_ledger(args.child_ledger)))
        return
    imports, exports = [], []
    failed = False
    for database in args.databases.split(","):
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGNUO_")}
        env.pop("BENCH_DATABASE_URL", None)
        if database == "postgresql":
            env["BENCH_DATABASE_URL"] = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
        load = os.getloadavg()[0]
        found = _child(
            [
                str(ROOT / "bench" / "data_import.py"),
                "--child",
                "--rows",
                str(args.rows),
                "--branches",
                str(args.branches),
            ],
            env,
        )
        if found:
            imports.append((found, load))
        failed |= found is None
        load = os.getloadavg()[0]
        found = _child([__file__, "--child-ledger", args.scale], env)
        if found:
            exports.append((found, load))
        failed |= found is None

    print(f"\nRoster import, {args.rows:,} rows into {args.branches} branches (target: confirm ≤ 10 s)\n")
    print(f"{'database':<11}{'run':<17}{'read':>7}{'check':>7}{'confirm':>9}{'SQL':>8}  result{'':<28}load")
    for r, load in imports:
        for label in ("first import", "same file again", "edited file"):
            f = r[label]
            outcome = f"+{f['created']} ~{f['updated']} ={f['unchanged']}, {f['accounts']} accounts"
            print(
                f"{r['database']:<11}{label:<17}{f['read_s']:>6.2f}s{f['check_s']:>6.2f}s"
                f"{f['confirm_s']:>8.2f}s{f['confirm_statements']:>8}  {outcome:<34}{load:.1f}"
            )
    print(f"\nLedger export, the whole tree's year at {args.scale} (target: peak RSS ≤ 200 MB)\n")
    print(f"{'database':<11}{'format':<8}{'rows':>9}{'file':>9}{'seconds':>9}{'RSS before':>12}{'peak RSS':>10}  load")
    for r, load in exports:
        for fmt in ("xlsx", "csv"):
            f = r[fmt]
            print(
                f"{r['database']:<11}{fmt:<8}{f['rows']:>9,}{f['mb']:>7.1f}MB{f['s']:>8.1f}s"
                f"{f['rss_before']:>10}MB{f['peak_rss']:>8}MB  {load:.1f}"
            )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
