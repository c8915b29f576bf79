"""What a secretary waits for: single-request latency of the lists they page through, at town or
county scale, on the real server — and the query plans of those lists.

1. A database: `bench/generate.py --scale …` into a fresh one (a temp SQLite file, or a PostgreSQL
   schema of its own with BENCH_DATABASE_URL), or an already generated one named by --existing.
2. Two logins added in bulk-free SQL through the services (as SYSTEM): the secretary of the largest
   branch and a committee admin at the root, with 300 notifications for the secretary.
3. `liangnuo serve` on 127.0.0.1; each list requested --requests times one after the other (one
   connection, keep-alive, gzip): p50 / p95 in ms at page size 20 and 100 (the figures must not grow
   with the page size nor with the scale).
4. The SQL each list runs (captured in-process through the app) with its plan: EXPLAIN on
   PostgreSQL, EXPLAIN QUERY PLAN on SQLite; a full scan of a large table is printed as such.

    .venv/bin/python bench/api.py --scale town
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/api.py --scale county
    .venv/bin/python bench/api.py --existing 'postgresql+psycopg://…?options=-csearch_path%3Dbench_county'

A measurement, not a test: nothing here fails. Targets (issue 11): p50 ≤ 10 ms, p95 ≤ 25 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _setup import ROOT, percentile, prepare_environment

LARGE = ("pledge", "pledge_event", "member", "public_rating", "peer_review", "notification", "pledge_progress")


def _database(args: argparse.Namespace) -> dict[str, str]:
    if args.existing:
        env = {
            "LIANGNUO_DATABASE_URL": args.existing,
            "LIANGNUO_VAR_DIR": tempfile.mkdtemp(prefix="liangnuo-bench-api-"),
            "LIANGNUO_SCHEDULER_ENABLED": "false",
            "LIANGNUO_LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        return env
    env = prepare_environment()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "bench/generate.py", "--scale", args.scale],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)
    print(f"{done.stdout.strip().splitlines()[-1]} ({time.perf_counter() - started:.0f} s)", flush=True)
    return env


def _personas() -> dict[str, Any]:
    """The largest branch's secretary and a committee admin at the root, with tokens."""
    from sqlalchemy import func, select, text
    from sqlmodel import col

    from app.auth import service as auth_service
    from app.core import db
    from app.core.permissions import SYSTEM, Role
    from app.core.security import create_access_token, hash_password
    from app.members import service as members_service
    from app.members.models import Member
    from app.org import service as org_service
    from app.org.models import OrgUnit

    with db.new_session() as session:
        branch_id, size = session.execute(
            select(col(Member.branch_id), func.count()).group_by(col(Member.branch_id)).order_by(func.count().desc())
        ).first()  # type: ignore[misc]
        root = session.execute(select(OrgUnit).where(col(OrgUnit.parent_id).is_(None))).scalars().first()
        assert root is not None
        chosen = session.execute(
            select(Member).where(col(Member.branch_id) == branch_id, col(Member.account_id).is_(None)).limit(2)
        ).scalars()
        secretary, admin = list(chosen)
        hashed = hash_password("Bench-Password-2026")
        tokens = {}
        for label, member, role, unit_id in (
            ("secretary", secretary, Role.secretary, branch_id),
            ("committee", admin, Role.committee_admin, root.id),
        ):
            member.phone = member.phone or f"19{member.id:09d}"  # generated members have no phone: the login
            members_service.open_account(
                session, actor=SYSTEM, member=member, password_hash=hashed, must_change_password=False
            )
            org_service.grant_role(session, actor=SYSTEM, account_id=member.account_id, role=role, unit_id=unit_id)
            version = auth_service.get_account(session, member.account_id).token_version
            tokens[label] = {"id": member.account_id, "member": member.id, "version": version}
        # news to page through (the generator writes none)
        session.execute(
            text(
                "INSERT INTO notification (account_id, kind, title, body, link, created_at) "
                "SELECT :a, 'reminder', '提醒', '承诺将到期', '', :at FROM pledge WHERE branch_id = :b LIMIT 300"
            ),
            {"a": tokens["secretary"]["id"], "at": time.strftime("%Y-%m-%d %H:%M:%S"), "b": branch_id},
        )
        session.commit()
        if db.engine.dialect.name == "postgresql":  # the planner's statistics, as autovacuum would gather them
            with db.engine.connect() as conn:
                for table in (*LARGE, "org_unit", "account"):  # this schema's tables only (a bare ANALYZE locks all)
                    conn.execute(text(f"ANALYZE {table}"))
                conn.commit()
        for who in tokens.values():
            who["headers"] = {"Authorization": f"Bearer {create_access_token(who['id'], who['version'])}"}
    return {"branch": branch_id, "branch_size": size, **tokens}


def _lists(p: dict[str, Any], size: int) -> list[tuple[str, str, dict[str, str]]]:
    s, c = p["secretary"]["headers"], p["committee"]["headers"]
    return [
        ("auth/me (secretary)", "/api/v1/auth/me", s),
        ("my pledges", f"/api/v1/pledges?mine=true&size={size}", s),
        ("branch pledges", f"/api/v1/pledges?unit_id={p['branch']}&size={size}", s),
        ("branch overdue", f"/api/v1/pledges?unit_id={p['branch']}&overdue=true&size={size}", s),
        ("review queue", f"/api/v1/review-queue?size={size}", s),
        ("members", f"/api/v1/members?unit_id={p['branch']}&size={size}", s),
        ("notifications", f"/api/v1/notifications?size={size}", s),
        ("county pledges (committee)", f"/api/v1/pledges?size={size}", c),
        ("county review queue (committee)", f"/api/v1/review-queue?size={size}", c),
    ]


def _serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **env, "LIANGNUO_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not become ready")


def _latency(base: str, personas: dict[str, Any], requests: int) -> None:
    print(f"\n{'list':34} {'size':>4} {'p50 ms':>7} {'p95 ms':>7} {'bytes':>7}")
    with httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}, timeout=30) as client:
        for size in (20, 100):
            for name, url, headers in _lists(personas, size):
                if size == 100 and name.startswith("auth/me"):
                    continue
                for _ in range(3):  # warm the connection and the server's caches
                    client.get(url, headers=headers)
                times = []
                length = 0
                for _ in range(requests):
                    started = time.perf_counter()
                    r = client.get(url, headers=headers)
                    times.append((time.perf_counter() - started) * 1000)
                    length = int(r.headers.get("content-length") or len(r.content))
                    if r.status_code != 200:
                        raise SystemExit(f"{url}: {r.status_code} {r.text[:200]}")
                print(
                    f"{name:34} {size:>4} {percentile(times, 50):7.1f} {percentile(times, 95):7.1f} {length:>7}",
                    flush=True,
                )


def _plans(personas: dict[str, Any]) -> None:
    """Each list once through the app in-process, its statements captured and explained."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from app.core import db
    from app.main import create_app

    captured: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((statement, parameters))

    postgres = db.engine.dialect.name == "postgresql"
    print(f"\nplans ({db.engine.dialect.name}): statements per list, and any full scan of a large table")
    with TestClient(create_app(check_schema_on_start=False)) as client:
        for name, url, headers in _lists(personas, 20):
            captured.clear()
            event.listen(db.engine, "before_cursor_execute", grab)
            client.get(url, headers=headers)
            event.remove(db.engine, "before_cursor_execute", grab)
            scans: list[str] = []
            with db.engine.connect() as conn:
                for statement, params in captured:
                    prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
                    rows = conn.exec_driver_sql(prefix + statement, params).all()
                    plan = "\n".join(str(r[0] if postgres else r[-1]) for r in rows)
                    for table in LARGE:
                        pattern = rf"Seq Scan on {table}\b" if postgres else rf"^SCAN {table}\b(?! USING)"
                        if re.search(pattern, plan, re.MULTILINE):
                            scans.append(table)
            verdict = "indexed" if not scans else "FULL SCAN of " + ", ".join(sorted(set(scans)))
            print(f"  {name:34} {len(captured):>2} statements  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--scale", default="town", choices=("town", "county"))
    parser.add_argument("--existing", help="an already generated database URL (used as it is)")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    env = _database(args)
    personas = _personas()
    print(f"branch {personas['branch']} with {personas['branch_size']} members; {args.requests} requests each")
    proc, base = _serve(env)
    try:
        _latency(base, personas, min(max(args.requests, 10), 2000))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    _plans(personas)
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(f"\nnote: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores — latencies are inflated")


if __name__ == "__main__":
    Path(ROOT / "var").mkdir(exist_ok=True)
    main()
