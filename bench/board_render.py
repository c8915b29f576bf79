"""Every demo board rendered cold, from the cache and as a 304: queries, time, gzipped size."""

from __future__ import annotations

import argparse
import gzip
import statistics
import time

from _setup import percentile, prepare_environment

prepare_environment()

from fastapi.testclient import TestClient  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from app import demo  # noqa: E402
from app.boards import public  # noqa: E402
from app.boards.models import Board, BoardKind  # noqa: E402
from app.boards.service import PUBLIC_PREFIX  # noqa: E402
from app.core import db  # noqa: E402
from app.core.config import settings  # noqa: E402
from app.core.schema import upgrade  # noqa: E402
from app.main import create_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--boards", type=int, default=0, help="render only the first N boards (0: all)")
    args = parser.parse_args()
    console = Console()
    upgrade(settings.sqlalchemy_url)
    started = time.perf_counter()
    with db.new_session() as session:
        demo.seed(session)
        session.commit()
        found = session.execute(select(Board.kind, Board.token).where(Board.archived_at.is_(None))).all()  # type: ignore[union-attr]
    # a pledge board answers at /b/, a star board at /s/
    tokens = [f"{PUBLIC_PREFIX[BoardKind(kind)]}/{token}" for kind, token in found]
    tokens = tokens[: args.boards] if args.boards > 0 else tokens
    seeded = time.perf_counter() - started
    console.print(f"demo town seeded in {seeded:.1f} s on {db.engine.dialect.name}; {len(tokens)} boards")

    statements: list[int] = [0]

    def count(*_args: object) -> None:
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    client = TestClient(create_app(check_schema_on_start=False))
    cold_ms, cold_q, warm_ms, warm_q, etag_ms, sizes, raw = [], [], [], [], [], [], []
    for token in tokens:
        public.clear_caches()
        statements[0] = 0
        t = time.perf_counter()
        r = client.get(f"/{token}")
        cold_ms.append((time.perf_counter() - t) * 1000)
        cold_q.append(statements[0])
        assert r.status_code == 200, r.status_code
        raw.append(len(r.content))
        sizes.append(len(gzip.compress(r.content)))
        statements[0] = 0
        t = time.perf_counter()
        r2 = client.get(f"/{token}")
        warm_ms.append((time.perf_counter() - t) * 1000)
        warm_q.append(statements[0])
        t = time.perf_counter()
        r3 = client.get(f"/{token}", headers={"If-None-Match": r2.headers["etag"]})
        etag_ms.append((time.perf_counter() - t) * 1000)
        assert r3.status_code == 304
    event.remove(db.engine, "before_cursor_execute", count)

    table = Table(title=f"公示牌渲染（{len(tokens)} 块，{db.engine.dialect.name}）")
    for c in ("measure", "min", "median", "p95", "max"):
        table.add_column(c, justify="right")

    def row(name: str, values: list[float], fmt: str = "{:.1f}") -> None:
        table.add_row(
            name,
            fmt.format(min(values)),
            fmt.format(statistics.median(values)),
            fmt.format(percentile(values, 95)),
            fmt.format(max(values)),
        )

    row("cold render, ms", cold_ms)
    row("cold render, SQL statements", [float(q) for q in cold_q], "{:.0f}")
    row("cached, ms", warm_ms)
    row("cached, SQL statements", [float(q) for q in warm_q], "{:.0f}")
    row("304 revalidation, ms", etag_ms)
    row("page HTML, KB raw", [b / 1024 for b in raw])
    row("page HTML, KB gzipped", [b / 1024 for b in sizes], "{:.2f}")
    console.print(table)


if __name__ == "__main__":
    main()
