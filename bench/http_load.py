"""A live server on 127.0.0.1 with the demo town; bounded loops of real HTTP requests.

Prints requests per second and latency percentiles for what people wait on: the board a villager
opens (fresh and revalidated with If-None-Match), a pledge page, and the secretary's lists.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from _setup import ROOT, percentile, prepare_environment
from rich.console import Console
from rich.table import Table

Call = Callable[[httpx.Client], httpx.Response]


def run(base_url: str, call: Call, requests: int, concurrency: int) -> tuple[float, list[float], int]:
    """`requests` calls, `concurrency` at a time: (requests per second, latencies in ms, errors)."""
    latencies: list[float] = []
    errors = 0

    with httpx.Client(base_url=base_url, timeout=30) as client:

        def one(_i: int) -> None:
            nonlocal errors
            t = time.perf_counter()
            r = call(client)
            latencies.append((time.perf_counter() - t) * 1000)
            errors += r.status_code >= 400

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, range(requests)))
        elapsed = time.perf_counter() - started
    return requests / elapsed, latencies, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario (bounded)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    requests = max(1, min(args.requests, 20_000))
    console = Console()

    env = prepare_environment()
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.live import live_server

    with live_server(extra_env=env | {"LIANGNUO_PUBLIC_BASE_URL": "http://127.0.0.1"}) as server:
        secretary = server.account("secretary")
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            tokens = client.post(
                "/api/v1/auth/token", data={"username": secretary["phone"], "password": secretary["password"]}
            ).json()
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            boards = client.get("/api/v1/boards", params={"size": 100}, headers=auth).json()["items"]
            board_path = "/b/" + boards[0]["public_url"].rsplit("/b/", 1)[1]
            first = client.get(board_path)
            etag = first.headers["etag"]
            import re

            linked = re.search(r'href="(/b/[^"/]+/p/\d+)"', first.text)
            pledge_path = linked.group(1) if linked else board_path
            branch_id = next(g["unit_id"] for g in client.get("/api/v1/auth/me", headers=auth).json()["grants"])

        roll = f"/api/v1/members?unit_id={branch_id}&size=50"
        pledges = f"/api/v1/pledges?unit_id={branch_id}&size=20"
        scenarios: list[tuple[str, Call]] = [
            ("villager: board page", lambda c: c.get(board_path)),
            ("villager: board 304", lambda c: c.get(board_path, headers={"If-None-Match": etag})),
            ("villager: pledge page", lambda c: c.get(pledge_path)),
            ("secretary: pledges page 1", lambda c: c.get(pledges, headers=auth)),
            ("secretary: review queue", lambda c: c.get("/api/v1/review-queue?size=20", headers=auth)),
            ("secretary: member roll", lambda c: c.get(roll, headers=auth)),
        ]
        table = Table(title=f"HTTP on 127.0.0.1 ({requests} requests × {args.concurrency} in flight, one worker)")
        for col in ("scenario", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"):
            table.add_column(col, justify="right")
        for name, call in scenarios:
            rate, latencies, errors = run(server.base_url, call, requests, args.concurrency)
            table.add_row(
                name,
                f"{rate:.0f}",
                f"{statistics.median(latencies):.1f}",
                f"{percentile(latencies, 95):.1f}",
                f"{percentile(latencies, 99):.1f}",
                str(errors),
            )
        console.print(table)


if __name__ == "__main__":
    main()
