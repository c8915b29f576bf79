"""nginx serving boards as static files (LIANGNUO_STATIC_BOARDS_DIR) against nginx serving a plain file,
in one run: the static board's location (try_files, the 410 check, the public headers, gzip_static)
should cost little over a bare file (target ≥ 80 %).

Seeds the demo town into a fresh database (BENCH_DATABASE_URL for PostgreSQL), writes every board with
`liangnuo render-static --all`, starts nginx (installed with apt-get when missing) on 127.0.0.1 with the
location from docs/operations.md, and measures with wrk (gzip asked for, as phones do), alternating
--rounds times; prints medians and the ratio.

    .venv/bin/python bench/static.py                  # 3 rounds, 3 s per run, 64 connections
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _setup import ROOT, prepare_environment

NGINX_CONF = """
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
    map $arg_big $liangnuo_page {{ "1" big.html; default index.html; }}
    server {{
        listen 127.0.0.1:{port};
        root {static};
        location = /plain.html {{ gzip_static on; }}
        location ~ "^/(?<kind>[bs])/(?<token>[A-Za-z0-9_-]{{20,64}})$" {{
            gzip_static on;
            default_type "text/html; charset=utf-8";
            include {static}/_headers.conf;
            add_header Cache-Control "public, max-age=60" always;
            add_header Vary "Accept-Encoding" always;
            error_page 410 /$kind/$token/gone.html;
            if (-f $document_root/$kind/$token/gone.html) {{ return 410; }}
            try_files /$kind/$token/$liangnuo_page @app;
        }}
        location ~ ^/[bs]/[A-Za-z0-9_-]+/gone\\.html$ {{
            internal;
            gzip_static on;
            default_type "text/html; charset=utf-8";
            include {static}/_headers.conf;
            add_header Cache-Control "no-store" always;
        }}
        location @app {{ return 502; }}
    }}
}}
"""


def wrk(url: str, duration: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-H", "Accept-Encoding: gzip", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port", type=int, default=0, help="nginx's port on 127.0.0.1 (0: a free one)")
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            subprocess.run(["apt-get", "install", "-y", tool], check=True, capture_output=True)
    if not args.port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]
    prepare_environment()
    work = Path(tempfile.mkdtemp(prefix="liangnuo-static-"))
    static = work / "static"
    cli = [sys.executable, "-m", "app.cli"]
    for step in (["migrate"], ["seed-demo"], ["render-static", "--all", "--dir", str(static)]):
        subprocess.run(cli + step, cwd=ROOT, check=True, capture_output=True, env=os.environ)
    board = max((static / "b").iterdir(), key=lambda d: (d / "index.html").stat().st_size)
    for suffix in ("", ".gz"):
        shutil.copyfile(board / f"index.html{suffix}", static / f"plain.html{suffix}")
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=work, port=args.port, static=static))
    subprocess.run(["nginx", "-t", "-q", "-c", str(conf)], check=True)
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"])
    try:
        time.sleep(0.5)
        base = f"http://127.0.0.1:{args.port}"
        plain, boards = [], []
        for _ in range(args.rounds):
            plain.append(wrk(f"{base}/plain.html", args.duration, args.connections))
            boards.append(wrk(f"{base}/b/{board.name}", args.duration, args.connections))
        size = (board / "index.html.gz").stat().st_size
        p, b = statistics.median(plain), statistics.median(boards)
        print(f"board page {size} B gzipped, {args.rounds} rounds x {args.duration} s, {args.connections} connections")
        print(f"nginx plain file      {p:10.0f} req/s")
        print(f"nginx static board    {b:10.0f} req/s   {b / p:.0%} of the plain file")
    finally:
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
