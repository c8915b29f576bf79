"""A write retried after the server was killed mid-request (kill -9) runs at once, exactly once.

A real `liangnuo serve` subprocess holds a claimed request in the handler (the test-only hold), is
killed with SIGKILL while the claim is in flight, and is started again on the same database: the
retry with the same Idempotency-Key answers 201 at once (the dead process's claim is taken over, not
409 for 120 s), exactly one row is written, and a second retry is the replay."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.core import idempotency
from tests.live import ROOT, _database_url, _free_port

PHONE = "13900001111"
PASSWORD = "Crash-Test-Secret-2026"
UNIT_NAME = "断电重试支部"


def _http(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:  # noqa: S310
            return r.status, {k.lower(): v for k, v in r.headers.items()}, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, json.loads(e.read() or b"null")


@contextmanager
def _database() -> Iterator[tuple[dict[str, str], Path]]:
    import tempfile

    var_dir = Path(tempfile.mkdtemp(prefix="liangnuo-crash-"))
    url, schema = _database_url(var_dir)
    env = {
        **os.environ,
        "LIANGNUO_DATABASE_URL": url,
        "LIANGNUO_VAR_DIR": str(var_dir),
        "LIANGNUO_SCHEDULER_ENABLED": "false",
        "LIANGNUO_LOG_LEVEL": "WARNING",
    }
    env.pop("TEST_DATABASE_URL", None)
    run: dict[str, Any] = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "check": True}
    try:
        subprocess.run([sys.executable, "-m", "app.cli", "migrate"], timeout=120, **run)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "app.cli",
                "create-admin",
                "--phone",
                PHONE,
                "--name",
                "管理员",
                "--password",
                PASSWORD,
            ],
            input="镇党委\n",
            timeout=120,
            **run,
        )
        yield env, var_dir
    finally:
        if schema:
            import psycopg

            pg = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(pg, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _serve(env: dict[str, str], var_dir: Path, **extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(var_dir / f"server-{port}.log", "wb")  # noqa: SIM115  (the process keeps it)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**env, "LIANGNUO_PUBLIC_BASE_URL": base, **extra},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if _http("GET", f"{base}/readyz", timeout=2)[0] == 200:
                return proc, base
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("server did not start:\n" + (var_dir / f"server-{port}.log").read_text()[-3000:])
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _rows(engine: sa.Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def test_a_retry_after_kill_9_runs_at_once_and_exactly_once() -> None:
    with _database() as (env, var_dir):
        engine = sa.create_engine(env["LIANGNUO_DATABASE_URL"])
        try:
            root_id = _rows(engine, "SELECT id FROM org_unit WHERE parent_id IS NULL")[0][0]
            first, base = _serve(env, var_dir, LIANGNUO_TEST_IDEMPOTENCY_HOLD_SECONDS="30")
            try:
                form = urllib.parse.urlencode({"username": PHONE, "password": PASSWORD}).encode()
                status, _, tokens = _http(
                    "POST",
                    f"{base}/api/v1/auth/token",
                    body=form,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                assert status == 200, tokens
                headers = {
                    "Authorization": f"Bearer {tokens['access_token']}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": "crash-retry-0001",
                }
                body = json.dumps({"kind": "branch", "name": UNIT_NAME, "parent_id": root_id}).encode()
                answers: list[object] = []

                def send() -> None:
                    try:
                        answers.append(_http("POST", f"{base}/api/v1/units", body=body, headers=headers, timeout=60))
                    except OSError as exc:  # the server died under it: what a phone sees
                        answers.append(exc)

                sender = threading.Thread(target=send)
                sender.start()
                deadline = time.monotonic() + 30
                while not _rows(engine, "SELECT id FROM idempotency_key WHERE status_code IS NULL"):
                    assert time.monotonic() < deadline, "the claim never appeared"
                    time.sleep(0.05)
                owner = _rows(engine, "SELECT owner FROM idempotency_key")[0][0]
                assert owner
                assert f"/{first.pid}/" in owner
                os.kill(first.pid, signal.SIGKILL)  # mid-request: claimed, work not done
                first.wait(timeout=10)
                sender.join(timeout=30)
                assert answers
                assert isinstance(answers[0], OSError)  # no answer reached the client
            finally:
                _stop(first)
            assert _rows(engine, "SELECT count(*) FROM org_unit WHERE name = :n", n=UNIT_NAME)[0][0] == 0
            assert _rows(engine, "SELECT count(*) FROM idempotency_key WHERE status_code IS NULL")[0][0] == 1

            second, base = _serve(env, var_dir)  # restarted, on the same database
            try:
                started = time.monotonic()
                status, _, created = _http("POST", f"{base}/api/v1/units", body=body, headers=headers)
                took = time.monotonic() - started
                assert status == 201, created  # not 409 for two minutes
                assert took < 10
                assert created["name"] == UNIT_NAME
                status, replay_headers, again = _http("POST", f"{base}/api/v1/units", body=body, headers=headers)
                assert status == 201
                assert replay_headers.get("idempotent-replayed") == "true"
                assert again == created
            finally:
                _stop(second)
            # exactly one row written: 0 lost, 0 duplicated
            assert _rows(engine, "SELECT count(*) FROM org_unit WHERE name = :n", n=UNIT_NAME)[0][0] == 1
        finally:
            engine.dispose()


def test_a_live_owner_is_not_dead_and_a_gone_one_is() -> None:
    me = idempotency.process_identity()
    assert not idempotency.owner_is_dead(me)
    assert not idempotency.owner_is_dead(None)  # old claims: only the lease tells
    host, boot, _pid, _started = me.split("/")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert idempotency.owner_is_dead(f"{host}/{boot}/{gone.pid}/1")  # that pid is gone
    parent = os.getppid()  # alive, but started at another time than the claim says: a reused pid
    assert idempotency.owner_is_dead(f"{host}/{boot}/{parent}/1")
    assert not idempotency.owner_is_dead(idempotency._identity_of(parent))  # the same process: alive
    assert not idempotency.owner_is_dead(f"other-host/{boot}/{gone.pid}/1")  # cannot be checked: alive
    assert not idempotency.owner_is_dead(f"{host}/another-boot/{gone.pid}/1")
