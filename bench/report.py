"""Run the benchmarks and write docs/benchmarks.md from what they printed (`make bench`).

Each bench runs as a process of its own; its output goes into the page as printed, under the
command that reproduces it, with the machine (cores, memory, load average before and after) and the
date. Nothing is typed by hand: run it again to refresh the page.

    .venv/bin/python bench/report.py                          # town and county (15–30 minutes)
    BENCH_SCALES=town .venv/bin/python bench/report.py        # a quick run (a few minutes)
    BENCH_SCALES=town,county,province-sample .venv/bin/python bench/report.py

What runs, per scale in BENCH_SCALES (default town,county), on SQLite and on the PostgreSQL of
BENCH_PG_URL (default the suite's test database, schemas of their own):

- ratings.py and verify.py: generation time, `compute` and `verify` at each scale, both databases
  (province-sample on PostgreSQL only);
- api.py: the secretary's lists at town (SQLite and PostgreSQL) and county (PostgreSQL);
- data.py: the 10 k-row roster import and the ledger export (county, or town) on both databases;
- board.py (the demo town, live server, wrk or the Python client) and board_render.py (SQLite).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# lines that are noise in a report: the migrations' log and progress dots
NOISE = re.compile(r"^(INFO  \[alembic|the lists' order|drafted\)|and the content_generation)")


def _machine() -> str:
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB memory"
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} cores ({cpu}), {mem}, {system}"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _pg_version(url: str) -> str:
    try:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return f"PostgreSQL {row[0]}" if row else "PostgreSQL"
    except Exception as exc:
        return f"PostgreSQL unreachable ({type(exc).__name__})"


def _run(title: str, shown: str, argv: list[str], env: dict[str, str]) -> str:
    print(f"== {title}: {shown}", flush=True)
    before, started = _load(), time.perf_counter()
    inherited = {k: v for k, v in os.environ.items() if k != "BENCH_DATABASE_URL"}  # SQLite unless env says
    done = subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env={
            **inherited,
            **env,
            "COLUMNS": "120",
            "NO_COLOR": "1",
            "TERM": "dumb",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    lines = [ANSI.sub("", line.rstrip()) for line in done.stdout.splitlines()]
    lines = [line for line in lines if not NOISE.match(line)]
    if done.returncode:
        lines += ["", f"FAILED (exit {done.returncode}):", *done.stderr.strip().splitlines()[-15:]]
    body = "\n".join(lines).strip()
    print(body, flush=True)
    return (
        f"### {title}\n\n    {shown}\n\n"
        f"{took:.0f} s; load average (1 / 5 / 15 min) before {before}, after {_load()}"
        f"{'' if not done.returncode else ' — FAILED'}\n\n```text\n{body}\n```\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--out", default="docs/benchmarks.md")
    args = parser.parse_args()
    scales = [s for s in os.environ.get("BENCH_SCALES", "town,county").split(",") if s]
    pg = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
    pg_env = {"BENCH_PG_URL": pg}
    shown_pg = "BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test"
    started = time.perf_counter()
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header_load = _load()
    sections: list[str] = []

    both = [s for s in scales if s != "province-sample"]
    for name in ("ratings", "verify"):
        if both:
            sections.append(
                _run(
                    f"{name}.py",
                    f".venv/bin/python bench/{name}.py --databases sqlite,postgresql --scales {','.join(both)}",
                    [f"bench/{name}.py", "--databases", "sqlite,postgresql", "--scales", ",".join(both)],
                    pg_env,
                )
            )
        if "province-sample" in scales:
            sections.append(
                _run(
                    f"{name}.py, province-sample (PostgreSQL)",
                    f".venv/bin/python bench/{name}.py --databases postgresql --scales province-sample",
                    [f"bench/{name}.py", "--databases", "postgresql", "--scales", "province-sample"],
                    pg_env,
                )
            )
    if "town" in scales:
        sections.append(
            _run("api.py, town (SQLite)", ".venv/bin/python bench/api.py --scale town", ["bench/api.py"], {})
        )
    for scale in [s for s in scales if s in ("town", "county")]:
        sections.append(
            _run(
                f"api.py, {scale} (PostgreSQL)",
                f"{shown_pg} .venv/bin/python bench/api.py --scale {scale}",
                ["bench/api.py", "--scale", scale],
                {"BENCH_DATABASE_URL": pg},
            )
        )
    data_scale = "county" if "county" in scales else "town"
    sections.append(
        _run(
            f"data.py, roster import (10 k rows) and ledger export ({data_scale})",
            f".venv/bin/python bench/data.py --databases sqlite,postgresql --scale {data_scale}",
            ["bench/data.py", "--databases", "sqlite,postgresql", "--scale", data_scale],
            pg_env,
        )
    )
    sections.append(
        _run(
            "board.py, the demo town (SQLite)",
            ".venv/bin/python bench/board.py --duration 3 --rounds 3",
            ["bench/board.py", "--duration", "3", "--rounds", "3"],
            {},
        )
    )
    sections.append(
        _run(
            "static.py, boards as static files behind nginx (SQLite demo town)",
            ".venv/bin/python bench/static.py --duration 3 --rounds 3",
            ["bench/static.py", "--duration", "3", "--rounds", "3"],
            {},
        )
    )
    sections.append(
        _run(
            "board_render.py, the demo town (SQLite)",
            ".venv/bin/python bench/board_render.py",
            ["bench/board_render.py"],
            {},
        )
    )

    busy = os.getloadavg()[0] > (os.cpu_count() or 1)
    page = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/report.py) from the benches' own output — do not edit by hand; run",
        f"`make bench` (or `BENCH_SCALES=town make bench` for a quick run) to refresh it. Scales: {', '.join(scales)}.",
        "What each bench measures: bench/README.md and each script's docstring. Figures, not tests.",
        "",
        f"- date: {date}; the whole run took {(time.perf_counter() - started) / 60:.0f} minutes",
        f"- machine: {_machine()}",
        f"- databases: SQLite {__import__('sqlite3').sqlite_version} (a temp file), {_pg_version(pg)} on 127.0.0.1",
        f"- load average (1 / 5 / 15 min) at the start {header_load}, at the end {_load()}"
        + (
            " — the machine is shared: figures taken under a load above its core count are inflated "
            "(each section gives its own load)"
            if busy or float(header_load.split(" / ")[0]) > (os.cpu_count() or 1)
            else ""
        ),
        "",
        "To reproduce one section, run the command under its title (PostgreSQL ones create and drop a",
        "schema of their own in the database named by BENCH_PG_URL / BENCH_DATABASE_URL).",
        "",
        *sections,
    ]
    out = ROOT / args.out
    out.write_text("\n".join(page).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
