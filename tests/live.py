"""A real server for browser tests: `liangnuo` in a subprocess, on its own committed database.

The unit tests' `db` fixture wraps each test in a rolled-back transaction (and on SQLite holds the
write lock), so a live server cannot share it. `live_server()` migrates and seeds the demo town into
a fresh SQLite file (or a fresh PostgreSQL schema when TEST_DATABASE_URL is set), starts
`liangnuo serve` on a free 127.0.0.1 port, and waits until /readyz answers.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    accounts: list[dict[str, str]]
    env: dict[str, str]
    var_dir: Path
    # (number, where, text) of the masking shapes planted in the demo town's public free text
    planted: tuple[tuple[str, str, str], ...] = ()
    pid: int = 0  # the `liangnuo serve` process (with several workers: their supervisor)

    def account(self, role: str) -> dict[str, str]:
        return next(a for a in self.accounts if a["role"] == role)

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a `liangnuo` command against this server's database."""
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url(var_dir: Path) -> tuple[str, str | None]:
    pg = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not pg:
        return f"sqlite:///{var_dir / 'live.db'}", None
    import psycopg

    schema = f"live_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(pg.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in pg else "?"
    return f"{pg}{sep}options=-csearch_path%3D{schema}", schema


# The 16 shapes of issue 10 (fault 3), each with a number of its own: a phone or ID number written so
# a naive pattern misses it. More are drawn from the property test's alphabet (masking_shapes()).
ISSUE_SHAPES = [
    ("13812345678", "tel13812345678"),
    ("13923456781", "13923456781abc"),
    ("13734567812", "137  3456  7812"),
    ("13645678123", "136 - 4567 - 8123"),
    ("13556781234", "135\u200b5678\u200b1234"),
    ("15867812345", "158，6781，2345"),
    ("15178123456", "".join(chr(0x1D7CE + int(c)) for c in "15178123456")),
    ("110101199003071234", "ID110101199003071234"),
    ("18681234567", "电话18681234567"),
    ("18712345670", "187-1234-5670"),
    ("18823456701", "188 2345 6701"),
    ("18934567012", "".join(chr(0xFF10 + int(c)) for c in "18934567012")),
    ("13045670123", "130.4567.0123"),
    ("13156701234", "+86 131 5670 1234"),
    ("32010219851123457X", "身份证号32010219851123457X"),
    ("44030419920815612X", "440304 19920815 612X"),
]


def masking_shapes(extra: int = 24, seed: int = 10) -> list[tuple[str, str]]:
    """(number, text) pairs: the issue's 16 shapes, then `extra` drawn deterministically from the
    masking property test's digits, separators, invisible characters and affixes."""
    import random

    from app.core.privacy import MAX_GAP
    from tests.core.test_masking_shapes import _AFFIXES, _INVISIBLE, _SEPARATORS, _ZEROS

    rng = random.Random(seed)
    out = list(ISSUE_SHAPES)
    for i in range(extra):
        if i % 3 == 2:
            number = "".join(rng.choice("0123456789") for _ in range(17)) + rng.choice("0123456789X")
        else:
            number = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        zero = rng.choice(_ZEROS)
        parts: list[str] = []
        for k, c in enumerate(number):
            parts.append(chr(zero + int(c)) if c.isdigit() else c)
            if k < len(number) - 1 and rng.randint(0, 3) == 0:
                sep = rng.choice(_SEPARATORS + _INVISIBLE)
                if len(sep.strip("".join(_INVISIBLE))) <= MAX_GAP:
                    parts.append(sep)
        out.append((number, rng.choice(_AFFIXES) + "".join(parts) + rng.choice(_AFFIXES)))
    return out


def plant_masking_shapes(url: str) -> tuple[tuple[str, str, str], ...]:
    """Write every masking shape into the demo town's public free text — pledge titles and contents,
    progress reports of public pledges, approved suggestions (their stored public text too, as an
    approval under an older masking would have left it) — straight into the database, as a person
    (or an attacker) may have typed it. Returns (number, where, text) per planted shape."""
    from sqlalchemy import create_engine, text

    shapes = masking_shapes()
    planted: list[tuple[str, str, str]] = []
    engine = create_engine(url)
    with engine.begin() as conn:
        pledges = conn.execute(
            # rules.PUBLIC's statuses (cancelled ones aside)
            text("SELECT id, title, content FROM pledge WHERE status IN ('published', 'closing', 'closed') ORDER BY id")
        ).all()
        progress = conn.execute(
            text(
                "SELECT pp.id, pp.text FROM pledge_progress pp JOIN pledge p ON p.id = pp.pledge_id "
                "WHERE p.status IN ('published', 'closing', 'closed') ORDER BY pp.id"
            )
        ).all()
        suggestions = conn.execute(text("SELECT id, text FROM suggestion WHERE status = 'approved' ORDER BY id")).all()
        assert len(pledges) > 2 * len(shapes), "the demo town has too few public pledges to plant in"
        assert progress, "the demo town has no progress report to plant in"
        assert suggestions, "the demo town has no approved suggestion to plant in"
        step = len(pledges) // len(shapes)
        texts: dict[tuple[str, int], str] = {}  # (table.column, id) -> its new text

        def plant(where: str, row_id: int, current: str, addition: str, limit: int, number: str, shape: str) -> None:
            before = texts.get((where, row_id), current)
            if len(before) + len(addition) <= limit:
                texts[(where, row_id)] = before + addition
                planted.append((number, f"{where} #{row_id}", shape))

        for i, (number, shape) in enumerate(shapes):
            pid, _title, content = pledges[i * step]
            plant("pledge.content", pid, content, f"联系方式：{shape}。", 1000, number, shape)
            if i % 4 == 0:  # the titles of a few, from the town's far end
                tid, title, _ = pledges[-1 - i]
                plant("pledge.title", tid, title, f" {shape}", 60, number, shape)
            prid, ptext = progress[i % len(progress)]
            plant("pledge_progress.text", prid, ptext, f"（有事请打{shape}）", 500, number, shape)
            sid, stext = suggestions[i % len(suggestions)]
            plant("suggestion.text", sid, stext, f"，我的电话{shape}", 200, number, shape)
        for (where, row_id), new in texts.items():
            table, column = where.split(".")
            also = ", public_text = :t" if table == "suggestion" else ""  # as an older masking stored it
            conn.execute(text(f"UPDATE {table} SET {column} = :t{also} WHERE id = :id"), {"t": new, "id": row_id})  # noqa: S608
        kinds = {where.split(" ")[0] for _n, where, _s in planted}
        assert kinds == {"pledge.content", "pledge.title", "pledge_progress.text", "suggestion.text"}, kinds
    engine.dispose()
    return tuple(planted)


@contextmanager
def live_server(
    *, seed: bool = True, plant_shapes: bool = False, extra_env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[LiveServer]:
    var_dir = Path(tempfile.mkdtemp(prefix="liangnuo-live-"))
    url, schema = _database_url(var_dir)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "LIANGNUO_DATABASE_URL": url,
        "LIANGNUO_VAR_DIR": str(var_dir),
        "LIANGNUO_PUBLIC_BASE_URL": base_url,
        "LIANGNUO_SCHEDULER_ENABLED": "false",
        "LIANGNUO_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    env.pop("TEST_DATABASE_URL", None)
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "check": True}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], timeout=120, **run)  # type: ignore[call-overload]
    accounts: list[dict[str, str]] = []
    if seed:
        accounts_file = var_dir / "accounts.json"
        subprocess.run(  # type: ignore[call-overload]
            [sys.executable, "-m", "app.cli", "seed-demo", "--accounts-json", str(accounts_file)], timeout=300, **run
        )
        accounts = json.loads(accounts_file.read_text(encoding="utf-8"))
    planted = plant_masking_shapes(url) if seed and plant_shapes else ()
    log = open(var_dir / "server.log", "w")  # noqa: SIM115  (closed below)
    serve_args = ["--workers", str(workers)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as r:  # noqa: S310  (loopback)
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("live server did not start:\n" + (var_dir / "server.log").read_text()[-3000:])
            time.sleep(0.2)
        yield LiveServer(base_url=base_url, accounts=accounts, env=env, var_dir=var_dir, planted=planted, pid=proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if schema:
            import psycopg

            pg = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(pg, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The system Chromium; with CI=true its absence is a failure, never a skip."""
    import shutil

    import pytest

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path:
        return path
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("Chromium is not installed (scripts/system-deps.sh installs it)")
    pytest.skip("Chromium is not installed; run scripts/system-deps.sh")
    raise AssertionError  # unreachable
