"""Lighthouse (mobile, the default simulated slow 4G and CPU slowdown) for the app shell and the
public pages, on a real `liangnuo serve` with the demo town: performance and accessibility scores,
first contentful paint, largest contentful paint, total blocking time and bytes on the wire.

Uses the project's Lighthouse (frontend/node_modules, `npm ci` in frontend/) and the system
Chromium (CHROME_PATH, default /usr/bin/chromium); the PWA must be built (`cd frontend && npm run
build`). Each page is audited --runs times (bounded) and the median score is printed.

    .venv/bin/python bench/lighthouse.py
    .venv/bin/python bench/lighthouse.py --runs 3 --json var/lighthouse.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from _setup import ROOT, prepare_environment
from rich.console import Console
from rich.table import Table

LIGHTHOUSE = ROOT / "frontend" / "node_modules" / "lighthouse" / "cli" / "index.js"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
    "--disable-component-update --disable-sync --disable-dev-shm-usage"
)


def audit(url: str, chrome: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="liangnuo-lh-") as tmp:
        out = Path(tmp) / "report.json"
        env = os.environ | {"CHROME_PATH": chrome}
        cmd = [
            "node",
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={out}",
            "--only-categories=performance,accessibility",
            f"--chrome-flags={CHROME_FLAGS} --user-data-dir={tmp}/profile",
            "--max-wait-for-load=60000",
        ]
        subprocess.run(cmd, env=env, check=True, timeout=240, capture_output=True)
        report = json.loads(out.read_text(encoding="utf-8"))
    audits = report["audits"]
    return {
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "wire_kb": audits["total-byte-weight"]["numericValue"] / 1024,
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1, help="audits per page (1–5); the median is printed")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    runs = min(max(args.runs, 1), 5)
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is not installed: cd frontend && npm ci")
    if not (ROOT / "frontend" / "dist" / "index.html").exists():
        raise SystemExit("the PWA is not built: cd frontend && npm run build")
    console = Console()
    env = prepare_environment()
    sys.path.insert(0, str(ROOT))
    from board import pick_board

    from tests.live import live_server

    production = {"LIANGNUO_LOG_LEVEL": "WARNING", "LIANGNUO_DOCS_ENABLED": "false"}
    console.print("[dim]migrating and seeding the demo town…[/]")
    with live_server(extra_env=env | production) as server:
        token, members, star = pick_board(env["LIANGNUO_DATABASE_URL"], 40)
        html = httpx.get(f"{server.base_url}/b/{token}", timeout=30).text
        pledge = html.split(f"/b/{token}/p/", 1)[1].split('"', 1)[0] if f"/b/{token}/p/" in html else None
        pages = [("app shell (sign-in)", "/"), (f"board ({members} members)", f"/b/{token}")]
        if pledge:
            pages.append(("pledge page", f"/b/{token}/p/{pledge}"))
        if star:
            pages.append(("star board", f"/s/{star}"))
        results: dict[str, dict[str, float]] = {}
        for name, path in pages:
            console.print(f"[dim]auditing {name}…[/]")
            results[name] = median_of([audit(f"{server.base_url}{path}", chrome) for _ in range(runs)])

    table = Table(title=f"Lighthouse {runs} run(s) per page, mobile (simulated slow 4G, 4× CPU)")
    for column in ("page", "performance", "accessibility", "FCP ms", "LCP ms", "TBT ms", "CLS", "wire KB"):
        table.add_column(column, justify="left" if column == "page" else "right")
    for name, r in results.items():
        table.add_row(
            name,
            f"{r['performance']:.0f}",
            f"{r['accessibility']:.0f}",
            f"{r['fcp_ms']:.0f}",
            f"{r['lcp_ms']:.0f}",
            f"{r['tbt_ms']:.0f}",
            f"{r['cls']:.3f}",
            f"{r['wire_kb']:.1f}",
        )
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
