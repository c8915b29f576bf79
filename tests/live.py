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


@contextmanager
def live_server(*, seed: bool = True, extra_env: dict[str, str] | None = None) -> Iterator[LiveServer]:
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
    log = open(var_dir / "server.log", "w")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
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
        yield LiveServer(base_url=base_url, accounts=accounts, env=env, var_dir=var_dir)
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
