"""Roster import at scale (issue 12): a 10,000-row xlsx checked and confirmed through the same code as
the API and `liangnuo import members` (app.reports.imports, as the SYSTEM actor), on SQLite and
PostgreSQL. Target: ≤ 10 s for the confirm of 10,000 new members with their accounts.

Each database gets a fresh schema with a town of `--branches` branches × 3 groups; the figures are
the file's size, reading it, checking it, confirming it (every member created through
members.service with an account, a slip password and, for some, a role), re-importing the same file
(nothing changes), and an edited file (10 % updated, 1 % moved to another branch), with the SQL
statements each ran. A measurement, not a test.

    .venv/bin/python bench/data_import.py                      # both databases, 10,000 rows
    .venv/bin/python bench/data_import.py --databases sqlite --rows 2000
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HEADERS = ["姓名", "性别", "手机号", "党支部", "党小组", "岗位", "公示职务", "入党日期", "角色", "同意公示", "状态"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "秀英国栋建华志强海燕丽娟德明春梅桂兰玉兰永红明亮"


def _roster(rows: int, branches: list[str], *, edited: bool = False) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("党员名册")
    sheet.append(HEADERS)
    for i in range(rows):
        branch_index = i % len(branches)
        post = "环境卫生监督岗" if i % 3 else "政策宣传岗"
        if edited and i % 10 == 0:
            post = "护河岗"
        if edited and i % 100 == 1:
            branch_index = (branch_index + 1) % len(branches)
        branch = branches[branch_index]
        group = f"{branch.split('/')[-1][:4]}第{i % 3 + 1}党小组"
        role = "党小组长" if i % 50 == 7 else ("监督小组成员" if i % 50 == 8 else "党员")
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13) % len(GIVEN)]
        joined = f"{1970 + i % 50}-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
        sheet.append(
            [name, "男" if i % 2 else "女", f"1{5 + i % 5}{i:09d}", branch, group, post, "", joined, role, "是", "在册"]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _run_one(rows: int, branch_count: int, profile: str | None = None) -> dict[str, Any]:
    """In a process whose environment names a fresh database: build the town, import, report figures."""
    sys.path.insert(0, str(ROOT / "bench"))
    from _setup import prepare_environment

    prepare_environment()
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import event, func, select

    from app.core import db
    from app.core.config import settings
    from app.core.permissions import SYSTEM
    from app.core.schema import upgrade
    from app.members.models import Member
    from app.org import service as org_service
    from app.org.models import UnitKind
    from app.reports import imports, imports_read
    from app.reports.schemas_imports import ImportKind

    upgrade(settings.sqlalchemy_url)
    with db.new_session() as session:
        town = org_service.create_root(session, name="平山镇党委")
        branches = []
        for b in range(branch_count):
            branch = org_service.create_unit(
                session, actor=SYSTEM, kind=UnitKind.branch, name=f"第{b + 1:02d}村党支部", parent_id=int(town.id or 0)
            )
            for g in range(3):
                org_service.create_unit(
                    session,
                    actor=SYSTEM,
                    kind=UnitKind.group,
                    name=f"{branch.name[:4]}第{g + 1}党小组",
                    parent_id=int(branch.id or 0),
                )
            branches.append(f"平山镇党委/{branch.name}")
        session.commit()
        town_id = int(town.id or 0)

    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine, "before_cursor_execute", count)
    out: dict[str, Any] = {"database": db.engine.dialect.name, "rows": rows}
    for label, edited in (("first import", False), ("same file again", False), ("edited file", True)):
        data = _roster(rows, branches, edited=edited)
        upload = imports.Upload(data=data, file_name="名册.xlsx")
        started = time.perf_counter()
        imports_read.read(data, file_name="名册.xlsx")
        read_s = time.perf_counter() - started
        statements = 0
        started = time.perf_counter()
        with db.new_session() as session:
            plan, report = imports.check(session, actor=SYSTEM, kind=ImportKind.members, unit_id=town_id, upload=upload)
        check_s, check_q = time.perf_counter() - started, statements
        assert plan.ok, report.problems[:5]
        statements = 0
        profiler = None
        if profile and label == "first import":
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.002)
            profiler.start()
        started = time.perf_counter()
        with db.new_session() as session:
            done = imports.confirm(session, actor=SYSTEM, kind=ImportKind.members, unit_id=town_id, upload=upload)
            session.commit()
        confirm_s, confirm_q = time.perf_counter() - started, statements
        if profiler is not None:
            profiler.stop()
            Path(profile).write_text(profiler.output_text(unicode=True, show_all=False))
        out[label] = {
            "file_kb": round(len(data) / 1024),
            "read_s": round(read_s, 2),
            "check_s": round(check_s, 2),
            "check_statements": check_q,
            "confirm_s": round(confirm_s, 2),
            "confirm_statements": confirm_q,
            "created": done.created,
            "updated": done.updated,
            "unchanged": done.unchanged,
            "accounts": done.accounts,
        }
    with db.new_session() as session:
        out["members"] = session.execute(select(func.count()).select_from(Member)).scalar_one()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--branches", type=int, default=40)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--profile", help="write a pyinstrument profile of the first confirm to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_run_one(args.rows, args.branches, args.profile), ensure_ascii=False))
        return
    results = []
    for database in args.databases.split(","):
        env = {**os.environ}
        env.pop("BENCH_DATABASE_URL", None)
        if database == "postgresql":
            env["BENCH_DATABASE_URL"] = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
        run = subprocess.run(
            [sys.executable, __file__, "--child", "--rows", str(args.rows), "--branches", str(args.branches)]
            + (["--profile", f"{args.profile}.{database}.txt"] if args.profile else []),
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            print(f"{database}: failed\n{run.stderr[-3000:]}")
            continue
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    print(f"\nRoster import, {args.rows:,} rows into {args.branches} branches (load {os.getloadavg()[0]:.1f})\n")
    print(f"{'database':<11}{'run':<17}{'file':>8}{'read':>7}{'check':>7}{'SQL':>7}{'confirm':>9}{'SQL':>8}  result")
    for r in results:
        for label in ("first import", "same file again", "edited file"):
            f = r[label]
            outcome = f"+{f['created']} ~{f['updated']} ={f['unchanged']}, {f['accounts']} accounts"
            print(
                f"{r['database']:<11}{label:<17}{f['file_kb']:>6}KB{f['read_s']:>6.2f}s{f['check_s']:>6.2f}s"
                f"{f['check_statements']:>7}{f['confirm_s']:>8.2f}s{f['confirm_statements']:>8}  {outcome}"
            )


if __name__ == "__main__":
    main()
