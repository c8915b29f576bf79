"""`liangnuo import …`: roster and org-unit import from the command line.

Dry run by default (the report only); `--commit` writes, in one transaction, as the SYSTEM actor
within `--unit`'s subtree, and writes the new accounts' slips to a PDF (mode 0600) for printing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.reports.schemas_imports import ImportKind, ImportReport

app = typer.Typer(help="从 Excel/CSV 导入组织和党员（默认只检查，--commit 才写入）", no_args_is_help=True)
console = Console()

_FILE = typer.Argument(help="Excel（.xlsx）或 CSV 文件", exists=True, dir_okay=False, readable=True)
_COMMIT = typer.Option("--commit", help="写入数据库（不给则只检查、不写入）")


def _unit_id(name_or_id: str | None) -> int | None:
    """--unit as an id, a name or a path (平山镇党委/大洼社区党支部): exactly one unit."""
    if name_or_id is None:
        return None
    from app.core.db import new_session
    from app.reports.imports_common import UnitIndex, split_path

    if name_or_id.isdigit():
        return int(name_or_id)
    with new_session(read_only=True) as session:
        found = UnitIndex(session, split_path(name_or_id)).matching(name_or_id)
    if len(found) != 1:
        console.print(
            f"[bold red]错误：[/]{'找不到' if not found else '有多个'}组织“{escape(name_or_id)}”，请写完整路径或编号"
        )
        raise typer.Exit(2)
    return int(found[0].id or 0)


def _run(kind: ImportKind, file: Path, unit: str | None, commit: bool, slips_path: Path | None) -> None:
    from app.core.db import new_session
    from app.core.errors import AppError
    from app.core.permissions import SYSTEM
    from app.reports import imports, slips

    unit_id = _unit_id(unit)
    if unit_id is None:
        from app.org import service as org_service

        with new_session(read_only=True) as session:
            root = org_service.first_root(session)
        unit_id = int(root.id or 0) if root else None
    if unit_id is None:
        console.print("[bold red]错误：[/]还没有任何组织，请先建立党委（liangnuo create-admin）")
        raise typer.Exit(2)
    upload = imports.Upload(data=file.read_bytes(), file_name=file.name)
    try:
        with new_session() as session:
            plan, report = imports.check(session, actor=SYSTEM, kind=kind, unit_id=unit_id, upload=upload)
            _print(report)
            if not plan.ok:
                raise typer.Exit(1)
            if not commit:
                console.print("[yellow]这是检查（没有写入）。确认无误后加 --commit 写入。[/]")
                return
            columns = (TextColumn("写入"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=console) as bar:
                task = bar.add_task("import", total=len(plan.rows))
                report = imports.confirm(
                    session,
                    actor=SYSTEM,
                    kind=kind,
                    unit_id=unit_id,
                    upload=upload,
                    progress=lambda n: bar.advance(task, n),
                )
            session.commit()
    except AppError as exc:
        console.print(f"[bold red]错误：[/]{escape(exc.detail)}")
        raise typer.Exit(1) from exc
    console.print(f"[green]{escape(report.message)}[/]")
    if report.slips:
        target = slips_path or Path(f"{file.stem}-初始密码凭条.pdf")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(slips.pdf(report.slips, title=f"{report.unit_name}登录凭条"))
        console.print(
            f"初始密码凭条（{len(report.slips)} 张）已写入 [bold]{escape(str(target))}[/]，打印后请删除该文件。"
        )


def _print(report: ImportReport) -> None:
    console.print(f"{escape(report.file_name)}：{report.rows} 行，导入到 {escape(report.unit_name)}")
    for note in report.notes:
        console.print(f"[dim]{escape(note)}[/]")
    if report.problems:
        table = Table("行", "列", "问题", title=f"{len(report.problems)} 处问题")
        for p in report.problems:
            table.add_row(str(p.row or ""), escape(p.column or ""), escape(p.message))
        console.print(table)
    else:
        changed = [i for i in report.items if i.changes]
        if changed:
            table = Table("行", "姓名/名称", "项目", "原来", "改为", title="将更新的内容")
            for item in changed[:200]:
                for change in item.changes:
                    table.add_row(
                        str(item.row), escape(item.name), change.field, escape(change.before), escape(change.after)
                    )
            console.print(table)
    console.print(escape(report.message))


@app.command("members")
def import_members(
    file: Annotated[Path, _FILE],
    unit: Annotated[str | None, typer.Option(help="导入到哪个组织（编号、名称或完整路径）；默认最顶层党委")] = None,
    commit: Annotated[bool, _COMMIT] = False,
    slips: Annotated[Path | None, typer.Option(help="初始密码凭条 PDF 的保存位置")] = None,
) -> None:
    """导入党员名册：按手机号识别同一人，新增或更新；新账号的初始密码凭条写成 PDF。"""
    _run(ImportKind.members, file, unit, commit, slips)


@app.command("units")
def import_units(
    file: Annotated[Path, _FILE],
    unit: Annotated[
        str | None, typer.Option(help="只允许建在这个组织之下（编号、名称或完整路径）；默认最顶层党委")
    ] = None,
    commit: Annotated[bool, _COMMIT] = False,
) -> None:
    """导入组织（党委、党总支、党支部、党小组）：上级按完整路径，已有的不重复建立。"""
    _run(ImportKind.units, file, unit, commit, None)


@app.command("template")
def write_template(
    kind: Annotated[ImportKind, typer.Argument(help="members 或 units")],
    out: Annotated[Path, typer.Argument(help="保存为（.xlsx）")],
) -> None:
    """写出空白导入模板（中文表头、示例行、下拉选项）。"""
    from app.reports.import_templates import template

    out.write_bytes(template(kind.value))
    console.print(f"模板已写入 {escape(str(out))}")
