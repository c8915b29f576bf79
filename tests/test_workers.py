"""`liangnuo serve --workers 2` for real: two worker processes on one port, on PostgreSQL, with the
shared state in the database and then in Redis. Every request's X-Request-ID starts with its worker's
own prefix, so each test also proves that both workers answered.

- the login throttle lets exactly `login_max_failures` password checks through, however the attempts
  fall on the workers;
- the villagers' rating and suggestion limits hold exactly across the workers;
- an edit made through one worker is on the board through the other at once, though each worker
  keeps its pages for a minute (LIANGNUO_PUBLIC_RECHECK_SECONDS=60);
- the page views counted by both workers add up in the database.

Several workers need PostgreSQL: on the SQLite run only the refusal of `--workers 2` is tested.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import Message
from typing import Any

import pytest

from app.evaluations.dependencies import LIMITS
from tests.live import ROOT, LiveServer, _free_port, live_server
from tests.redis_store import drop_prefix, new_prefix, redis_url

pytestmark = pytest.mark.slow

ON_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL", "").strip())
MAX_FAILURES = 5


def test_serve_refuses_several_workers_on_sqlite(tmp_path: Any) -> None:
    env = {
        **os.environ,
        "LIANGNUO_DATABASE_URL": f"sqlite:///{tmp_path / 'one.db'}",
        "LIANGNUO_VAR_DIR": str(tmp_path),
        "LIANGNUO_REDIS_URL": "",
    }
    port = str(_free_port())
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", port],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = "".join((done.stdout + done.stderr).split())  # rich wraps long lines
    assert done.returncode == 2, said
    assert "SQLite数据库只能用一个进程运行，不能--workers2" in said
    assert "PostgreSQL" in said


class Cluster:
    """A live server with two workers, and what the tests need of it."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.base = server.base_url
        self.stopped = False

    def token_of(self, role: str) -> str:
        account = self.server.account(role)
        form = {"username": account["phone"], "password": account["password"]}
        status, _, body = fetch(f"{self.base}/api/v1/auth/token", form=form)
        assert status == 200, body
        return str(json.loads(body)["access_token"])


@pytest.fixture(scope="module", params=["database", "redis"])
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    if not ON_POSTGRES:
        pytest.skip("several workers need PostgreSQL (the PostgreSQL run starts them)")
    env = {
        "LIANGNUO_PUBLIC_RECHECK_SECONDS": "60",
        "LIANGNUO_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        "LIANGNUO_REDIS_URL": "",
    }
    url, prefix = "", new_prefix()
    if request.param == "redis":
        url = redis_url()
        env |= {"LIANGNUO_REDIS_URL": url, "LIANGNUO_REDIS_PREFIX": prefix}
    try:
        with live_server(workers=2, extra_env=env) as server:
            _both_workers_up(server.base_url)
            yield Cluster(server)
    finally:
        if url:
            drop_prefix(url, prefix)


def _both_workers_up(base: str) -> None:
    """/readyz answered once one worker was up; the other may still be importing the app."""
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while len(seen) < 2 and time.monotonic() < deadline:
        seen |= {worker_of(h) for _, h, _ in at_once(8, lambda _: fetch(f"{base}/healthz"))}
        time.sleep(0.05)
    assert len(seen) == 2, "the second worker never answered"


def fetch(
    url: str, *, form: dict[str, str] | None = None, headers: dict[str, str] | None = None, method: str | None = None
) -> tuple[int, Message, bytes]:
    """One request on a connection of its own (so the kernel may hand it to either worker)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310  (loopback)
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def worker_of(headers: Message) -> str:
    """The worker that answered: the process prefix of its request id (core.middleware)."""
    return str(headers["x-request-id"])[:8]


def api(cluster: Cluster, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any, Message]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    req = urllib.request.Request(f"{cluster.base}/api/v1{path}", data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310
            return r.status, json.loads(r.read() or b"null"), r.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), e.headers


def boards(cluster: Cluster, token: str) -> list[dict[str, Any]]:
    status, page, _ = api(cluster, token, "GET", "/boards?kind=pledges")
    assert status == 200, page
    found = [b for b in page["items"] if b["kind"] == "pledges"]
    assert len(found) >= 2, "the demo town's secretary has fewer than two boards"
    return found


def path_of(board: dict[str, Any]) -> str:
    return urllib.parse.urlsplit(board["public_url"]).path


def at_once(n: int, call: Any) -> list[Any]:
    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(call, range(n)))


def test_login_throttle_caps_at_exactly_the_configured_count_across_workers(cluster: Cluster) -> None:
    phone = cluster.server.account("member")["phone"]
    url = f"{cluster.base}/api/v1/auth/token"
    answers = at_once(16, lambda _: fetch(url, form={"username": phone, "password": f"wrong-{secrets.token_hex(4)}"}))
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [401] * MAX_FAILURES + [429] * (16 - MAX_FAILURES)
    assert len({worker_of(h) for _, h, _ in answers}) == 2


def test_villagers_rating_and_suggestion_limits_hold_across_workers(cluster: Cluster) -> None:
    board = path_of(boards(cluster, cluster.token_of("secretary"))[0])
    status, _, page = fetch(cluster.base + board)
    assert status == 200
    found = re.search(rf'href="{re.escape(board)}/p/(\d+)', page.decode())
    assert found, "no pledge on the board"
    pledge = f"{board}/p/{found.group(1)}"
    status, headers, _ = fetch(cluster.base + pledge)
    assert status == 200
    cookie = str(headers["set-cookie"]).split(";", 1)[0]  # this phone's device (ln_d=…)
    device = {"Cookie": cookie}

    def send(path: str, form: dict[str, str]) -> Any:
        return lambda _: fetch(cluster.base + path, form=form, headers=device)

    # the limit is checked before the form token: a stale token still counts (403 page), over it 429
    per_device = LIMITS["rate.device"][0].count
    rate = {"choice": "satisfied", "suggestion": "", "csrf": "stale", "website": ""}
    answers = at_once(per_device + 15, send(f"{pledge}/rate", rate))
    statuses = [s for s, _, _ in answers]
    assert statuses.count(429) == 15, statuses
    assert statuses.count(403) == per_device, statuses
    assert len({worker_of(h) for _, h, _ in answers}) == 2

    per_device = LIMITS["suggest.device"][0].count
    answers = at_once(per_device + 7, send(f"{board}/suggest", {"text": "路灯坏了", "csrf": "stale", "website": ""}))
    statuses = [s for s, _, _ in answers]
    assert statuses.count(429) == 7, statuses
    assert statuses.count(403) == per_device, statuses


def test_an_edit_through_one_worker_is_on_the_board_through_the_other_at_once(cluster: Cluster) -> None:
    token = cluster.token_of("secretary")
    board = boards(cluster, token)[0]
    path = path_of(board)
    seen: dict[str, bytes] = {}
    for _ in range(200):  # both workers keep the page (for a minute, LIANGNUO_PUBLIC_RECHECK_SECONDS)
        status, headers, body = fetch(cluster.base + path)
        assert status == 200
        seen[worker_of(headers)] = body
        if len(seen) == 2:
            break
    assert len(seen) == 2, "one worker answered every request"
    for round_ in range(3):
        title = f"第{round_ + 1}次修改的公示牌{secrets.token_hex(3)}"
        status, read, headers = api(cluster, token, "PATCH", f"/boards/{board['id']}", {"title": title})
        assert status == 200, read
        edited_by = worker_of(headers)
        others = 0
        for _ in range(60):
            status, headers, body = fetch(cluster.base + path)
            assert status == 200
            assert title in body.decode(), f"worker {worker_of(headers)} answered the page from before the edit"
            others += worker_of(headers) != edited_by
            if others >= 2:
                break
        assert others >= 2, "the other worker never answered"


def _views(cluster: Cluster, board_id: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(cluster.server.env["LIANGNUO_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            sql = text("SELECT COALESCE(SUM(views), 0) FROM board_view_day WHERE board_id = :b")
            return int(conn.execute(sql, {"b": board_id}).scalar_one())
    finally:
        engine.dispose()


def _stop(pid: int) -> None:
    """SIGTERM, as systemd or a deploy stops the service: the workers finish and flush."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        time.sleep(0.1)
    raise AssertionError("the server did not stop within 30 s")


def test_view_counts_of_both_workers_add_up(cluster: Cluster) -> None:
    """Last in the module: it stops the server."""
    board = boards(cluster, cluster.token_of("secretary"))[1]
    before = _views(cluster, board["id"])
    answers = at_once(40, lambda _: fetch(cluster.base + path_of(board)))
    assert [s for s, _, _ in answers] == [200] * 40
    assert len({worker_of(h) for _, h, _ in answers}) == 2
    # each worker writes its counts every 30 s and when it stops
    _stop(cluster.server.pid)
    cluster.stopped = True
    assert _views(cluster, board["id"]) - before == 40
