"""Every benchmark in bench/ runs once at its smallest (the town, the fewest requests and rounds it
accepts) on the suite's database — SQLite, or PostgreSQL when TEST_DATABASE_URL is set — so none can
rot: each exits 0 and prints its table. Their figures are not checked (benchmarks are not timed
tests; `make bench` writes them to docs/benchmarks.md). The scripts make databases of their own (a
temp file, or a schema they create and drop)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("TEST_DATABASE_URL", "").strip()
DATABASE = "postgresql" if PG else "sqlite"

# script arguments, and what its table prints (a header or a row it always has)
BENCHES = {
    "ratings": (["--databases", DATABASE, "--scales", "town"], ["generated town in", "compute"]),
    "verify": (["--databases", DATABASE, "--scales", "town"], ["verify s", f"{DATABASE:10} town", " yes "]),
    "api": (["--scale", "town", "--requests", "10"], ["p50 ms", "my pledges", "statements"]),
    "board": (["--duration", "1", "--rounds", "1", "--connections", "4"], ["of ceiling", "board warm"]),
    "board_render": (["--boards", "3"], ["cold render, ms", "304 revalidation, ms"]),
    "static": (["--rounds", "1", "--duration", "1", "--connections", "4"], ["nginx static board", "of the plain file"]),
    "data": (
        ["--databases", DATABASE, "--rows", "200", "--branches", "4", "--scale", "town"],
        ["Roster import, 200 rows", "first import", "Ledger export", "peak RSS", f"{DATABASE:<11}csv"],
    ),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[subprocess.Popen[str], Path]]]:
    """All of them started at once (they are mostly one core each: two run side by side on two
    cores), so the file takes about half the sum of their times. Output goes to files (a full pipe
    would stall a script that nobody reads yet)."""
    out = tmp_path_factory.mktemp("benches")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIANGNUO_", "BENCH_"))}
    env |= {"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}
    if PG:
        env |= {"BENCH_PG_URL": PG, "BENCH_DATABASE_URL": PG}
    started = {}
    # on PostgreSQL api.py runs after the others: its ANALYZE of the whole database would wait on
    # (and deadlock with) the schemas they are loading
    for name, (args, _expected) in BENCHES.items():
        if PG and name == "api":
            for proc, _path in started.values():
                proc.wait(timeout=300)
        with (out / f"{name}.out").open("w") as stdout:
            proc = subprocess.Popen(
                [sys.executable, f"bench/{name}.py", *args],
                cwd=ROOT,
                env=env,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                text=True,
            )
        started[name] = (proc, out / f"{name}.out")
    yield started
    for proc, _path in started.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("name", sorted(BENCHES))
def test_bench_runs_and_prints_its_table(runs: dict[str, tuple[subprocess.Popen[str], Path]], name: str) -> None:
    _args, expected = BENCHES[name]
    proc, path = runs[name]
    code = proc.wait(timeout=300)
    stdout = path.read_text()
    assert code == 0, f"{name}: exit {code}\n{stdout[-4000:]}"
    for text in expected:
        assert text in stdout, f"{name} printed no {text!r}:\n{stdout[-3000:]}"
