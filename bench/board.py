"""What a villager's request costs on the real server, as ratios to the stack's ceiling in one run.

Starts `liangnuo serve` (production settings: INFO access log, docs off) on 127.0.0.1 on the demo
town (a fresh SQLite file, or a PostgreSQL schema of its own with BENCH_DATABASE_URL), picks the
pledge board nearest to --members members, and measures in ONE run, each for --duration seconds at
--connections connections:

- the ceiling: a trivial async FastAPI route answering the same (compressed) board bytes from
  memory, dispatched before the app's middleware (`LIANGNUO_BENCH_CEILING_FILE`,
  app/core/http_bench.py);
- the board warm, the same with If-None-Match (304), a pledge page, the star board, /healthz —
  each right after a ceiling run of its own, over --rounds rounds; the table shows medians and the
  median ratio (the machine's load drifts; a ratio to the ceiling measured beside it does not).

Load comes from wrk when it is installed (`apt-get install -y wrk`), else from a bounded Python
async client (httpx), which saturates sooner: compare ratios from the same client only.

    .venv/bin/python bench/board.py                    # 3 rounds, 3 s per run, 64 connections
    .venv/bin/python bench/board.py --duration 3 --connections 32
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/board.py --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from _setup import ROOT, percentile, prepare_environment
from rich.console import Console
from rich.table import Table

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


# ---------------------------------------------------------------- load generators

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def run_wrk(name: str, url: str, headers: dict[str, str], duration: float, connections: int) -> Result:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "--timeout", "10s"]
    for key, value in headers.items():
        cmd += ["-H", f"{key}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return Result(name, rps, p50, p99, errors, total)


def run_python(name: str, url: str, headers: dict[str, str], duration: float, connections: int) -> Result:
    """A bounded async client: `connections` workers, each sending one request after another."""

    async def main() -> Result:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=10, headers=headers) as client:
            stop = time.perf_counter() + duration

            async def worker() -> None:
                nonlocal errors
                while time.perf_counter() < stop:
                    t = time.perf_counter()
                    r = await client.get(url)
                    await r.aread()
                    latencies.append((time.perf_counter() - t) * 1000)
                    errors += r.status_code >= 400

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(connections)))
            elapsed = time.perf_counter() - started
        return Result(
            name, len(latencies) / elapsed, percentile(latencies, 50), percentile(latencies, 99), errors, len(latencies)
        )

    return asyncio.run(main())


# ---------------------------------------------------------------- picking what to measure


def pick_board(database_url: str, members: int) -> tuple[str, int, str | None]:
    """(token, member count) of the pledge board nearest to `members` active members, and the star
    board's token (if any)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT b.token, u.kind, "
                " (SELECT count(*) FROM member m WHERE m.status = 'active' AND "
                "   (CASE WHEN u.kind = 'group' THEN m.group_id = u.id ELSE m.branch_id = u.id END)) AS n "
                "FROM board b JOIN org_unit u ON u.id = b.unit_id "
                "WHERE b.kind = 'pledges' AND b.archived_at IS NULL"
            )
        ).all()
        star = conn.execute(text("SELECT token FROM board WHERE kind = 'stars' AND archived_at IS NULL")).first()
    engine.dispose()
    token, _kind, n = min(rows, key=lambda r: (abs(r[2] - members), r[0]))
    return token, int(n), star[0] if star else None


def raw_get(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """The bytes as sent (compressed, if the server compressed them)."""
    with httpx.Client(base_url=base, timeout=30) as client, client.stream("GET", path, headers=GZIP) as r:
        return r.status_code, dict(r.headers), b"".join(r.iter_raw())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per run (1–30)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all scenarios (1–10)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections (1–256)")
    parser.add_argument("--members", type=int, default=40, help="pick the board nearest this many members")
    parser.add_argument("--python-client", action="store_true", help="use the Python client even when wrk exists")
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (more than 1 needs BENCH_DATABASE_URL: PostgreSQL)"
    )
    args = parser.parse_args()
    if args.workers > 1 and not os.environ.get("BENCH_DATABASE_URL"):
        raise SystemExit("--workers > 1 needs PostgreSQL: set BENCH_DATABASE_URL (SQLite serves one worker)")
    duration = min(max(args.duration, 1.0), 30.0)
    connections = min(max(args.connections, 1), 256)
    rounds = min(max(args.rounds, 1), 10)
    load = run_wrk if shutil.which("wrk") and not args.python_client else run_python
    console = Console()

    env = prepare_environment()
    ceiling_file = Path(env["LIANGNUO_VAR_DIR"]) / "ceiling.html"
    sys.path.insert(0, str(ROOT))
    from tests.live import live_server

    production = {
        "LIANGNUO_LOG_LEVEL": "INFO",  # the access log line on, as in production
        "LIANGNUO_DOCS_ENABLED": "false",
        "LIANGNUO_PUBLIC_BASE_URL": "http://127.0.0.1",
        "LIANGNUO_BENCH_CEILING_FILE": str(ceiling_file),
    }
    console.print("[dim]migrating and seeding the demo town…[/]")
    with live_server(extra_env=env | production, workers=min(max(args.workers, 1), 8)) as server:
        base = server.base_url
        token, members, star = pick_board(env["LIANGNUO_DATABASE_URL"], args.members)
        started = time.perf_counter()
        status, headers, body = raw_get(base, f"/b/{token}")
        cold_ms = (time.perf_counter() - started) * 1000
        if status != 200:
            raise SystemExit(f"board answered {status}")
        html = httpx.get(f"{base}/b/{token}", timeout=30).text
        pledge_ids = re.findall(rf"/b/{re.escape(token)}/p/(\d+)", html)
        ceiling_file.write_bytes(body)
        ceiling_file.with_name("ceiling.html.encoding").write_text(headers.get("content-encoding", ""))
        etag = headers["etag"]
        console.print(
            f"board /b/… of {members} members, {len(set(pledge_ids))} pledges: {len(html.encode()):,} bytes, "
            f"{len(body):,} on the wire ({headers.get('content-encoding', 'identity')}), first request {cold_ms:.0f} ms"
        )
        scenarios: list[tuple[str, str, dict[str, str]]] = [
            ("board warm", f"/b/{token}", GZIP),
            ("board 304 (If-None-Match)", f"/b/{token}", GZIP | {"If-None-Match": etag}),
        ]
        if pledge_ids:
            scenarios.append(("pledge page", f"/b/{token}/p/{pledge_ids[0]}", GZIP))
        if star:
            scenarios.append(("star board", f"/s/{star}", GZIP))
        scenarios.append(("/healthz", "/healthz", GZIP))
        ceiling_url = f"{base}/_bench/ceiling"
        for _name, path, hdrs in scenarios:  # warm every cache once
            httpx.get(f"{base}{path}", headers=hdrs, timeout=30)
        # Each scenario right after a ceiling run of its own, round after round: the machine's load
        # drifts (others share it), a ratio to the ceiling measured next to it does not drift with it.
        runs: dict[str, list[tuple[Result, Result]]] = {name: [] for name, _, _ in scenarios}
        for round_no in range(rounds):
            for name, path, hdrs in scenarios:
                ceiling = load("ceiling", ceiling_url, GZIP, duration, connections)
                result = load(name, f"{base}{path}", hdrs, duration, connections)
                runs[name].append((ceiling, result))
                console.print(
                    f"[dim]round {round_no + 1}: {name} {result.rps:,.0f} req/s, "
                    f"ceiling {ceiling.rps:,.0f} req/s ({result.rps / ceiling.rps:.0%})[/]"
                )

    table = Table(
        title=f"{load.__name__.removeprefix('run_')}, {args.workers} worker(s), {connections} connections, "
        f"{duration:g} s per run, "
        f"{rounds} round(s), Accept-Encoding: {GZIP['Accept-Encoding']}; medians over the rounds"
    )
    for column in ("request", "req/s", "p50 ms", "p99 ms", "ceiling req/s", "ceiling p99 ms", "of ceiling", "errors"):
        table.add_column(column, justify="left" if column == "request" else "right")
    for name, pairs in runs.items():
        table.add_row(
            name,
            f"{statistics.median(r.rps for _, r in pairs):,.0f}",
            f"{statistics.median(r.p50_ms for _, r in pairs):.1f}",
            f"{statistics.median(r.p99_ms for _, r in pairs):.1f}",
            f"{statistics.median(c.rps for c, _ in pairs):,.0f}",
            f"{statistics.median(c.p99_ms for c, _ in pairs):.1f}",
            f"{statistics.median(r.rps / c.rps for c, r in pairs):.0%}",
            str(sum(r.errors + c.errors for c, r in pairs)),
        )
    console.print(table)


if __name__ == "__main__":
    main()
