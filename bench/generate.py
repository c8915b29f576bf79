"""Deterministic synthetic rating data, written in bulk into the real (migrated) schema of the
database named by LIANGNUO_DATABASE_URL: an org tree, members, pledges, villager ratings, and one
quarter being assessed with its peer reviews and assessments — ready for `compute`.

    LIANGNUO_DATABASE_URL=sqlite:///var/bench.db .venv/bin/python bench/generate.py --scale town
    LIANGNUO_DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/generate.py --scale county

| scale  | committees | branches | groups | members | pledges | peer reviews | villager ratings |
| ------ | ---------- | -------- | ------ | ------- | ------- | ------------ | ---------------- |
| town   | 1          | 37       | 74     | 1,462   | ~5,900  | ~14,600      | ~29,000          |
| county | 1 + 30     | 1,500    | 3,000  | 50,000  | 200,000 | 500,000      | 1,000,000        |

Rows go in with COPY on PostgreSQL and executemany on SQLite (ids assigned here, sequences set
after). The database must be empty (a fresh schema or file); the migrations are run first.
"""

from __future__ import annotations

import argparse
import json
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

        def pledge_rows() -> Iterable[tuple[Any, ...]]:
            for p, mid, b, g in pledges:
                closed = mid is not None and rng.random() < 0.3
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
                    "closed" if closed else "published",
                    rng.choice(["kept", "kept", "partly_kept", "not_kept"]) if closed else None,
                    0,
                    0,
                    3,
                    NOW,
                    NOW,
                    NOW,
                    _at(rng, STARTS, ENDS) if closed else None,
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
                "revision_count",
                "version",
                "created_at",
                "updated_at",
                "status_changed_at",
                "closed_at",
            ],
            pledge_rows(),
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
            for table in ("org_unit", "member", "pledge", "rating_period"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
                )
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
        conn.commit()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="town")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    started = time.perf_counter()
    counts = generate(args.scale, args.seed)
    took = time.perf_counter() - started
    print(f"generated {args.scale} in {took:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
