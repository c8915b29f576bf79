"""Deterministic synthetic data, written in bulk into the real (migrated) schema of the database
named by LIANGNUO_DATABASE_URL: an org tree, members, pledges with their lifecycle events (hash
chained as the service chains them) and progress reports, boards (a pledge board per group and per
branch, a star board at the root), villager ratings, and one quarter being assessed with its peer
reviews and assessments — ready for `compute`, `verify` and the live server.

    LIANGNUO_DATABASE_URL=sqlite:///var/bench.db .venv/bin/python bench/generate.py --scale town
    LIANGNUO_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/generate.py --scale county
    .venv/bin/python bench/generate.py --scale province-sample --db 'postgresql+psycopg://…'

| scale  | committees | branches | groups | members | pledges | peer reviews | villager ratings |
| ------ | ---------- | -------- | ------ | ------- | ------- | ------------ | ---------------- |
| town   | 1          | 37       | 74     | 1,462   | ~5,900  | ~14,600      | ~29,000          |
| county | 1 + 30     | 1,500    | 3,000  | 50,000  | 200,000 | 500,000      | 1,000,000        |
| province-sample | 1 + 60 | 3,000 | 6,000 | 100,000 | 400,000 | 1,000,000    | 2,000,000        |

Per pledge ~4.6 events (create, submit, approve, publish; request_close and close when closed) and
~1.4 progress reports; boards: groups + branches + 1 (111 town, 4,501 county, 9,001 province-sample).

Rows go in with COPY on PostgreSQL and executemany on SQLite (ids assigned here, sequences set
after). The database must be empty (a fresh schema or file); the migrations are run first. The
events, progress and boards draw from random streams of their own, so the rating data of a seed is
the same as before they existed. `lifecycle_events()` is how bench/verify.py gives events to a
database generated without them.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass(frozen=True)
class Scale:
    towns: int  # committees under the root (0: the root is the town)
    branches: int
    members: int
    pledges_per_member: int
    reviews_per_member: int
    ratings_per_member: int


SCALES = {
    "town": Scale(
        towns=0, branches=37, members=1462, pledges_per_member=4, reviews_per_member=10, ratings_per_member=20
    ),
    "county": Scale(
        towns=30, branches=1500, members=50_000, pledges_per_member=4, reviews_per_member=10, ratings_per_member=20
    ),
    "province-sample": Scale(
        towns=60, branches=3000, members=100_000, pledges_per_member=4, reviews_per_member=10, ratings_per_member=20
    ),
}
YEAR, QUARTER = 2026, 3
STARTS, ENDS = date(2026, 7, 1), date(2026, 9, 30)
NOW = datetime(2026, 10, 8, 2, 0, tzinfo=UTC)
RUBRIC = {"political": 20, "pledges": 30, "role": 30, "reputation": 20}
CHOICES = ["satisfied"] * 6 + ["basic"] * 3 + ["unsatisfied"]


class Writer:
    """Bulk rows into a table: COPY on PostgreSQL, executemany on SQLite (values adapted here)."""

    def __init__(self, connection: Any, dialect: str) -> None:
        self.raw = connection
        self.pg = dialect == "postgresql"

    def _sqlite_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return value

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        n = 0
        cur = self.raw.cursor()
        if self.pg:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(
                        [json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in row]
                    )
                    n += 1
        else:
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append([self._sqlite_value(v) for v in row])
                n += 1
                if len(batch) >= 20_000:
                    cur.executemany(sql, batch)
                    batch.clear()
            if batch:
                cur.executemany(sql, batch)
        cur.close()
        return n


def _at(rng: random.Random, start: date, end: date) -> datetime:
    day = start + timedelta(days=rng.randint(0, (end - start).days))
    return datetime(day.year, day.month, day.day, rng.randint(0, 15), rng.randint(0, 59), tzinfo=UTC)


def lifecycle_events(pledge_id: int, status: str, start: datetime, closed_at: datetime | None) -> list[dict[str, Any]]:
    """The event rows (unchained: no seq, no hash) of a pledge's way from draft to `status`
    (published or closed) through the lifecycle table, one day apart from `start`, the close at
    `closed_at`; chain them with app.pledges.history.link_rows (or chain.link_rows on new chains)."""
    from app.pledges.models import PledgeStatus
    from app.pledges.states import TABLE

    steps = [("create", None, PledgeStatus.draft)] + [
        (r.action.value, r.source, r.target) for r in TABLE.path(PledgeStatus.draft, PledgeStatus(status))
    ]
    rows = []
    for i, (action, source, target) in enumerate(steps):
        closing = action == "close"
        rows.append(
            {
                "pledge_id": pledge_id,
                "action": action,
                "from_status": source.value if source else None,
                "to_status": target.value,
                "actor_account_id": None,
                "actor_name": "系统",
                "reason": "经核实已兑现" if closing else None,
                "data": {"outcome": "kept"} if closing else None,
                "at": closed_at if closing and closed_at else start + timedelta(days=i),
            }
        )
    return rows


EVENT_COLUMNS = (
    "id",
    "pledge_id",
    "seq",
    "hash",
    "action",
    "from_status",
    "to_status",
    "actor_account_id",
    "actor_name",
    "reason",
    "data",
    "at",
)


BOARD_COLUMNS = ("id", "kind", "unit_id", "title", "note", "token", "selected_members", "version")
BOARD_COLUMNS += ("created_at", "updated_at")


def _token(rng: random.Random) -> str:
    """192 bits, URL-safe, as app.boards.service.new_token makes them (but from the seed)."""
    return base64.urlsafe_b64encode(rng.getrandbits(192).to_bytes(24, "big")).decode()


def generate(scale_name: str, seed: int = 8) -> dict[str, int]:
    from sqlalchemy import text

    from app.core.config import settings
    from app.core.db import engine
    from app.core.schema import upgrade
    from app.ratings.rules import PolicyRules

    upgrade(settings.sqlalchemy_url)
    scale = SCALES[scale_name]
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        dialect = conn.dialect.name
        raw = conn.connection.dbapi_connection
        w = Writer(raw, dialect)
        if conn.execute(text("SELECT count(*) FROM org_unit")).scalar():
            raise SystemExit("the database is not empty: generate into a fresh file or schema")
        # PostgreSQL checks a foreign key per row (a trigger each) after a COPY: ~900 k event rows took
        # minutes. Bulk loads drop them and add them back at the end, as pg_restore does: each is then
        # checked once, by one join. (SQLite's bench connections check none: they are the app's own.)
        foreign_keys: list[tuple[str, str, str]] = []
        if dialect == "postgresql":
            foreign_keys = [
                (str(t), str(n), str(d))
                for t, n, d in conn.execute(
                    text(
                        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
                        "FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace "
                        "WHERE c.contype = 'f' AND s.nspname = current_schema()"
                    )
                )
            ]
            for table, name, _definition in foreign_keys:
                conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))

        # the tree: a root committee (the county, or the town), towns, branches, two groups each
        units: list[tuple[Any, ...]] = []
        next_id = 1

        def unit(kind: str, name: str, parent: tuple[int, str] | None) -> tuple[int, str]:
            nonlocal next_id
            uid = next_id
            next_id += 1
            path = f"{parent[1] if parent else '/'}{uid}/"
            units.append((uid, kind, parent[0] if parent else None, name, path, uid % 100, 1, NOW, NOW))
            return uid, path

        root = unit("committee", "游仙区委" if scale.towns else "平山镇党委", None)
        towns = [unit("committee", f"第{i + 1}镇党委", root) for i in range(scale.towns)] or [root]
        branches = [unit("branch", f"第{i + 1}党支部", towns[i % len(towns)]) for i in range(scale.branches)]
        groups = {b[0]: [unit("group", f"第{b[0]}-{j + 1}党小组", b) for j in range(2)] for b in branches}
        counts["org_unit"] = w.write(
            "org_unit",
            ["id", "kind", "parent_id", "name", "path", "sort_order", "content_version", "created_at", "updated_at"],
            units,
        )

        # members, spread evenly; their pledges (four each) and each group's collective pledge
        members: list[tuple[int, int, int]] = []  # id, branch, group
        member_rows = []
        for i in range(scale.members):
            b = branches[i % len(branches)][0]
            g = groups[b][i // len(branches) % 2][0]
            mid = i + 1
            members.append((mid, b, g))
            member_rows.append((mid, f"党员{mid}", b, g, "", "", "active", True, 1, NOW, NOW))
        counts["member"] = w.write(
            "member",
            [
                "id",
                "name",
                "branch_id",
                "group_id",
                "post",
                "public_title",
                "status",
                "board_consent",
                "version",
                "created_at",
                "updated_at",
            ],
            member_rows,
        )
        pledges: list[tuple[int, int | None, int, int]] = []  # id, member, branch, unit
        pid = 0
        for mid, b, g in members:
            for _ in range(scale.pledges_per_member):
                pid += 1
                pledges.append((pid, mid, b, g))
        for b, gs in groups.items():
            for g, _path in gs:
                pid += 1
                pledges.append((pid, None, b, g))

        # events, progress and boards from streams of their own: the rating data stays what it was
        side = random.Random(seed * 1_000_003 + 1)
        # when each pledge was drafted (its events one day apart from then): a stream of its own too, so
        # submitted_at / published_at agree with the events and the statistics' medians have data
        drafted = random.Random(seed * 1_000_003 + 2)
        day_of = {
            status: {row["action"]: i for i, row in enumerate(lifecycle_events(0, status, NOW, None))}
            for status in ("published", "closed")
        }
        # id, status, drafted at, closed at, progress reports
        fates: list[tuple[int, str, datetime, datetime | None, int]] = []

        def pledge_rows() -> Iterable[tuple[Any, ...]]:
            for p, mid, b, g in pledges:
                closed = mid is not None and rng.random() < 0.3
                reports = side.choice((0, 1, 1, 2, 3))
                percent = 100 if closed else min(90, 30 * reports) if reports else None
                outcome = rng.choice(["kept", "kept", "partly_kept", "not_kept"]) if closed else None
                closed_at = _at(rng, STARTS, ENDS) if closed else None  # drawn in the order they were
                status = "closed" if closed else "published"
                start = _at(drafted, date(YEAR, 1, 2), date(YEAR, 3, 31))
                fates.append((p, status, start, closed_at, reports))
                steps = day_of[status]
                yield (
                    p,
                    "member" if mid else "unit",
                    mid,
                    g,
                    b,
                    f"承诺{p}",
                    "每月至少两次，做到群众满意。",
                    "public_service" if mid else "collective",
                    "",
                    YEAR,
                    date(YEAR, 12, 31),
                    status,
                    outcome,
                    reports,
                    percent,
                    NOW - timedelta(days=10) if reports else None,
                    0,
                    3,
                    NOW,
                    NOW,
                    NOW,
                    start + timedelta(days=steps["submit"]),
                    start + timedelta(days=steps["publish"]),
                    closed_at,
                )

        counts["pledge"] = w.write(
            "pledge",
            [
                "id",
                "owner_kind",
                "member_id",
                "unit_id",
                "branch_id",
                "title",
                "content",
                "category",
                "post",
                "year",
                "due_date",
                "status",
                "outcome",
                "progress_count",
                "percent",
                "last_progress_at",
                "revision_count",
                "version",
                "created_at",
                "updated_at",
                "status_changed_at",
                "submitted_at",
                "published_at",
                "closed_at",
            ],
            pledge_rows(),
        )

        # each pledge's lifecycle events, chained as the service chains them (new chains: no heads)
        from app.core import chain
        from app.pledges import history

        def event_rows() -> Iterable[tuple[Any, ...]]:
            event_id = 0
            for p, status, start, closed_at, _reports in fates:
                rows = lifecycle_events(p, status, start, closed_at)
                chain.link_rows(rows, history.PLEDGE, {})
                for row in rows:
                    event_id += 1
                    yield (event_id, *(row[c] for c in EVENT_COLUMNS[1:]))

        counts["pledge_event"] = w.write("pledge_event", EVENT_COLUMNS, event_rows())

        def progress_rows() -> Iterable[tuple[Any, ...]]:
            progress_id = 0
            for p, _status, _start, _closed_at, reports in fates:
                for k in range(reports):
                    progress_id += 1
                    when = _at(side, STARTS, ENDS)
                    text_ = f"第{k + 1}次践诺：走访群众，解决实际问题。"
                    yield (progress_id, p, None, "系统", text_, min(90, 30 * (k + 1)), 0, when)

        counts["pledge_progress"] = w.write(
            "pledge_progress",
            ["id", "pledge_id", "author_account_id", "author_name", "text", "percent", "photo_count", "created_at"],
            progress_rows(),
        )

        # boards: a pledge board per group and per branch, the root's star board (as the demo has them)
        names = {u[0]: u[3] for u in units}

        def board_rows() -> Iterable[tuple[Any, ...]]:
            board_id = 0
            for b, _path in branches:
                for unit_id in (b, *(g for g, _p in groups[b])):
                    board_id += 1
                    title = f"{names[unit_id]}党员公开承诺公示牌"[:60]
                    yield (board_id, "pledges", unit_id, title, "", _token(side), False, 1, NOW, NOW)
            yield (board_id + 1, "stars", root[0], f"{names[root[0]]}创星榜", "", _token(side), False, 1, NOW, NOW)

        counts["board"] = w.write(
            "board",
            BOARD_COLUMNS,
            board_rows(),
        )

        # villager ratings: per member on average ratings_per_member over their pledges, plus the groups'
        per_pledge = scale.ratings_per_member / scale.pledges_per_member

        def rating_rows() -> Iterable[tuple[Any, ...]]:
            device = 0
            for p, mid, b, g in pledges:
                n = int(per_pledge) + (1 if rng.random() < per_pledge % 1 else 0)
                for _ in range(n):
                    device += 1
                    when = _at(rng, STARTS, ENDS + timedelta(days=20))  # some fall after the quarter
                    status = "flagged" if rng.random() < 0.02 else "counted"
                    yield (
                        p,
                        b,
                        g,
                        mid,
                        f"{when.year}Q{(when.month - 1) // 3 + 1}",
                        rng.choice(CHOICES),
                        status,
                        f"dev{device}",
                        f"ip{device % 5000}",
                        when,
                        when,
                    )

        counts["public_rating"] = w.write(
            "public_rating",
            [
                "pledge_id",
                "branch_id",
                "unit_id",
                "member_id",
                "period",
                "choice",
                "status",
                "device_hash",
                "ip_hash",
                "created_at",
                "updated_at",
            ],
            rating_rows(),
        )

        # the quarter being assessed: its policy frozen, a progress row per branch
        rules = PolicyRules().model_dump(mode="json")
        w.write(
            "rating_period",
            [
                "id",
                "unit_id",
                "kind",
                "year",
                "quarter",
                "title",
                "starts_on",
                "ends_on",
                "status",
                "policy_unit_id",
                "policy_snapshot",
                "version",
                "created_at",
                "updated_at",
                "status_changed_at",
                "opened_at",
            ],
            [
                (
                    1,
                    root[0],
                    "quarter",
                    YEAR,
                    QUARTER,
                    f"{YEAR}年第三季度",
                    STARTS,
                    ENDS,
                    "assessing",
                    root[0],
                    rules,
                    3,
                    NOW,
                    NOW,
                    NOW,
                    NOW,
                )
            ],
        )
        w.write(
            "rating_branch_status",
            ["period_id", "branch_id", "updated_at"],
            [(1, b[0], NOW) for b in branches],
        )

        # peer reviews: each member scores the next reviews_per_member members of their branch
        by_branch: dict[int, list[int]] = {}
        for mid, b, _g in members:
            by_branch.setdefault(b, []).append(mid)

        def review_rows() -> Iterable[tuple[Any, ...]]:
            for b, ids in by_branch.items():
                k = min(scale.reviews_per_member, len(ids) - 1)
                for i, reviewer in enumerate(ids):
                    for step in range(1, k + 1):
                        reviewee = ids[(i + step) % len(ids)]
                        stars = rng.choice([3, 4, 4, 4, 5, 5])
                        discarded = NOW if rng.random() < 0.01 else None
                        yield (1, b, reviewer, reviewee, (stars - 1) * 25, stars, NOW, NOW, discarded)

        counts["peer_review"] = w.write(
            "peer_review",
            [
                "period_id",
                "branch_id",
                "reviewer_member_id",
                "reviewee_member_id",
                "score",
                "stars",
                "created_at",
                "updated_at",
                "discarded_at",
            ],
            review_rows(),
        )

        # assessments: every member by their secretary (a few left unscored), every branch by the committee
        def assessment_rows() -> Iterable[tuple[Any, ...]]:
            for mid, b, _g in members:
                if rng.random() < 0.03:
                    continue
                items = {k: rng.randint(m * 6 // 10, m) for k, m in RUBRIC.items()}
                yield (1, "member", mid, b, items, {}, {}, float(sum(items.values())), 100.0, True, 1, NOW, NOW)
            for b, _path in branches:
                items = {k: rng.randint(15, 25) for k in ("team", "pledges", "work", "reputation")}
                yield (1, "branch", b, b, items, {}, {}, float(sum(items.values())), 100.0, True, 1, NOW, NOW)

        counts["assessment"] = w.write(
            "assessment",
            [
                "period_id",
                "subject_kind",
                "subject_id",
                "branch_id",
                "items",
                "auto_items",
                "overrides",
                "points",
                "max_points",
                "complete",
                "version",
                "created_at",
                "updated_at",
            ],
            assessment_rows(),
        )
        if dialect == "postgresql":
            for table in ("org_unit", "member", "pledge", "pledge_event", "pledge_progress", "board", "rating_period"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
                )
            for table, name, definition in foreign_keys:
                conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
            # this schema's tables only: a bare ANALYZE in a transaction locks every table of the database
            # (other schemas' too) and deadlocks with another one running beside it
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
            conn.execute(text(f"ANALYZE {', '.join(str(t) for (t,) in tables)}"))
        else:
            conn.execute(text("ANALYZE"))
        conn.commit()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="town")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--db", help="the database URL (default: LIANGNUO_DATABASE_URL)")
    args = parser.parse_args()
    if args.db:
        os.environ["LIANGNUO_DATABASE_URL"] = args.db  # before the app (and its engine) is imported
    started = time.perf_counter()
    counts = generate(args.scale, args.seed)
    took = time.perf_counter() - started
    print(
        f"generated {args.scale} in {took:.1f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + f"; database {database_mb():,.0f} MB"
    )


def database_mb() -> float:
    """The database's size on disk with indexes: the file on SQLite, the schema's relations on
    PostgreSQL (what a sizing estimate scales up)."""
    from sqlalchemy import text

    from app.core.db import engine

    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            size = conn.execute(
                text(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
                )
            ).scalar_one()
        else:
            pages = conn.execute(text("PRAGMA page_count")).scalar_one()
            size = pages * conn.execute(text("PRAGMA page_size")).scalar_one()
    return int(size) / 1024 / 1024


if __name__ == "__main__":
    main()
