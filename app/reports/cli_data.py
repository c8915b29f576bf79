"""`liangnuo export …`, `liangnuo backup` and `liangnuo restore`: data out and backups."""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

export_app = typer.Typer(help="导出台账、花名册和档案", no_args_is_help=True)
console = Console()

_UNIT = typer.Option("--unit", help="组织编号、名称或完整路径（如 平山镇党委/大洼社区党支部）；默认整个组织")
_OUT = typer.Option("--out", help="输出文件：.xlsx 或 .csv", dir_okay=False, writable=True)


def _format(out: Path) -> str:
    suffix = out.suffix.lower().lstrip(".")
    if suffix not in ("xlsx", "csv"):
        console.print(f"[bold red]错误：[/]输出文件应以 .xlsx 或 .csv 结尾：{escape(str(out))}")
        raise typer.Exit(2)
    return suffix


def _counted(rows: Iterable[Any], total: int | None, label: str) -> Iterator[Any]:
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(label, total=total)
        for n, row in enumerate(rows, start=1):
            yield row
            if n % 500 == 0:
                bar.update(task, completed=n)
        bar.update(task, completed=total or 0)


def _write(out: Path, handle: Any) -> None:
    from app.reports.sheets import file_chunks

    tmp = out.with_name(out.name + ".part")
    with tmp.open("wb") as f:
        for block in file_chunks(handle):
            f.write(block)
    tmp.replace(out)


def _unit_id(unit: str | None) -> int | None:
    from app.reports.cli_imports import _unit_id as resolve

    return resolve(unit)


@export_app.command("ledger")
def export_ledger(
    out: Annotated[Path, _OUT],
    unit: Annotated[str | None, _UNIT] = None,
    year: Annotated[int | None, typer.Option("--year", help="年度，默认今年")] = None,
    period: Annotated[str | None, typer.Option("--period", help="季度，如 2026Q3（代替 --year）")] = None,
) -> None:
    """导出承诺台账：每项承诺一行（承诺人、党小组、党支部、类别、岗位、各步时间、状态、结果、进展、群众测评）。"""
    from app.core.db import new_session
    from app.core.errors import AppError
    from app.core.permissions import SYSTEM
    from app.reports import ledger, sheets

    fmt = _format(out)
    unit_id = _unit_id(unit)
    try:
        with new_session(read_only=True) as session:
            root, sel = ledger.selection(session, actor=SYSTEM, unit_id=unit_id, year=year, period=period)
            total = ledger.count(session, sel)
            rows = _counted(ledger.rows(session, sel), total, "导出承诺台账")
            _write(out, sheets.write(fmt, "承诺台账", ledger.HEADER, rows, ledger.WIDTHS))  # type: ignore[arg-type]
    except (AppError, ValueError) as exc:
        console.print(f"[bold red]错误：[/]{escape(str(getattr(exc, 'detail', exc)))}")
        raise typer.Exit(1) from exc
    console.print(f"[green]已导出[/] {root.name} {sel.period or sel.year} 的承诺台账 {total} 行 → {escape(str(out))}")


@export_app.command("roster")
def export_roster(out: Annotated[Path, _OUT], unit: Annotated[str | None, _UNIT] = None) -> None:
    """导出党员花名册（与导入模板同样的列，含手机号：命令行以系统身份运行）。"""
    from app.core.db import new_session
    from app.core.errors import AppError
    from app.core.permissions import SYSTEM
    from app.reports import roster, sheets

    fmt = _format(out)
    unit_id = _unit_id(unit)
    try:
        with new_session(read_only=True) as session:
            root, paths = roster.unit_for(session, actor=SYSTEM, unit_id=unit_id)
            rows = _counted(roster.rows(session, actor=SYSTEM, paths=paths), None, "导出党员花名册")
            _write(out, sheets.write(fmt, "党员花名册", roster.HEADER, rows, roster.WIDTHS))  # type: ignore[arg-type]
    except AppError as exc:
        console.print(f"[bold red]错误：[/]{escape(str(exc.detail))}")
        raise typer.Exit(1) from exc
    console.print(f"[green]已导出[/] {root.name} 的党员花名册 → {escape(str(out))}")


def backup_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="备份放在哪个目录下，默认 var/backups", file_okay=False)
    ] = None,
) -> None:
    """备份数据库和上传文件（SQLite 用在线备份，PostgreSQL 用 pg_dump），附清单：行数、校验值。"""
    from app.core.config import settings
    from app.reports import backup

    root = out or settings.var_dir / "backups"
    folder = backup.new_folder(root)
    columns = (TextColumn("复制上传文件"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("uploads", total=None)

            def step(_rel: str) -> None:
                bar.advance(task)

            if settings.is_sqlite:
                manifest = backup.backup_sqlite(_sqlite_path(), settings.uploads_dir, folder, step)
            else:
                manifest = backup.backup_postgres(settings.sqlalchemy_url, settings.uploads_dir, folder, step)
    except backup.BackupError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        console.print(f"[bold red]备份失败：[/]{escape(str(exc))}")
        raise typer.Exit(2) from exc
    rows = sum(t["rows"] for t in manifest.tables.values())
    console.print(
        f"[green]已备份[/] → {escape(str(folder))}\n"
        f"  {len(manifest.tables)} 张表共 {rows} 行，{len(manifest.files)} 个上传文件；检查：{manifest.integrity}"
    )


def restore_command(
    folder: Annotated[Path, typer.Argument(help="备份目录（liangnuo backup 生成的）", exists=True, file_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="目标已有数据时也覆盖")] = False,
) -> None:
    """从备份恢复到空的数据库和上传目录（已有数据时不覆盖，除非 --force），并按清单核对。"""
    from app.core.config import settings
    from app.reports import backup

    try:
        if settings.is_sqlite:
            manifest = backup.restore_sqlite(folder, _sqlite_path(), settings.uploads_dir, force=force)
        else:
            manifest = backup.restore_postgres(folder, settings.sqlalchemy_url, settings.uploads_dir, force=force)
    except backup.BackupError as exc:
        console.print(f"[bold red]恢复失败：[/]{escape(str(exc))}")
        raise typer.Exit(2) from exc
    rows = sum(t["rows"] for t in manifest.tables.values())
    console.print(
        f"[green]已恢复[/] {escape(str(folder))}：{len(manifest.tables)} 张表共 {rows} 行、"
        f"{len(manifest.files)} 个上传文件，与备份清单一致。"
    )


def _sqlite_path() -> Path:
    from sqlalchemy.engine import make_url

    from app.core.config import settings

    return Path(make_url(settings.sqlalchemy_url).database or "")


def _file_name(text: str) -> str:
    return "".join("_" if c in '/\\:*?"<>|' else c for c in text).strip() or "档案"


@export_app.command("dossier")
def export_dossier(
    out: Annotated[
        Path, typer.Option("--out", help="输出目录（党支部：支部档案和每名党员的档案）或 .pdf 文件（单名党员）")
    ],
    unit: Annotated[
        str | None, typer.Option("--unit", help="党支部：编号、名称或完整路径（如 平山镇党委/大洼社区党支部）")
    ] = None,
    member: Annotated[str | None, typer.Option("--member", help="单名党员：党员编号或手机号（代替 --unit）")] = None,
    year: Annotated[int | None, typer.Option("--year", help="年度，默认今年")] = None,
    members: Annotated[bool, typer.Option("--members/--branch-only", help="党支部时是否连同每名党员的档案")] = True,
) -> None:
    """导出年度承诺档案（A4 PDF，建档销号）：一个党支部（支部档案，和每名在册党员的档案）或单名党员。"""
    from sqlalchemy import select
    from sqlmodel import col

    from app.core.db import new_session
    from app.core.errors import AppError
    from app.core.permissions import SYSTEM
    from app.core.time import today_local
    from app.members.models import Member, MemberStatus
    from app.members.service import in_subtrees_sql
    from app.reports import dossier, dossier_branch

    if (unit is None) == (member is None):
        console.print("[bold red]错误：[/]请给出 --unit（党支部）或 --member（党员）之一")
        raise typer.Exit(2)
    year = year or today_local().year
    written: list[Path] = []

    def save(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        written.append(path)

    try:
        with new_session(read_only=True) as session:
            if member is not None:
                key = member.strip()
                by = col(Member.id) == int(key) if key.isdigit() and len(key) < 11 else col(Member.phone) == key
                found = session.execute(select(col(Member.id)).where(by)).scalars().all()
                if len(found) != 1:
                    console.print(f"[bold red]错误：[/]找不到党员“{escape(key)}”（党员编号或手机号）")
                    raise typer.Exit(2)
                title, data = dossier.member_pdf(session, actor=SYSTEM, member_id=int(found[0]), year=year)
                save(out / f"{_file_name(title)}.pdf" if out.suffix.lower() != ".pdf" else out, data)
            else:
                unit_id = _unit_id(unit)
                assert unit_id is not None
                branch = dossier_branch.branch_of_dossier(session, SYSTEM, unit_id)
                people = (
                    session.execute(
                        select(col(Member.id), col(Member.name))
                        .where(in_subtrees_sql(session, [branch.path]), col(Member.status) == MemberStatus.active.value)
                        .order_by(col(Member.name), col(Member.id))
                    ).all()
                    if members
                    else []
                )
                columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
                with Progress(*columns, console=console) as bar:
                    task = bar.add_task(f"{branch.name} 档案", total=1 + len(people))
                    title, data = dossier_branch.branch_pdf(session, actor=SYSTEM, unit_id=unit_id, year=year)
                    save(out / f"{_file_name(title)}.pdf", data)
                    bar.advance(task)
                    for member_id, name in people:
                        bar.update(task, description=f"{branch.name} · {name}")
                        _title, data = dossier.member_pdf(session, actor=SYSTEM, member_id=int(member_id), year=year)
                        save(out / "党员" / f"{_file_name(str(name))}-{member_id}-{year}.pdf", data)
                        bar.advance(task)
    except AppError as exc:
        console.print(f"[bold red]错误：[/]{escape(str(exc.detail))}")
        raise typer.Exit(1) from exc
    console.print(f"[green]已导出[/] {year} 年度档案 {len(written)} 份 → {escape(str(out))}")
