"""`liangnuo` — run, migrate, seed and administer the service. Every command reads the same settings."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.core.config import settings

cli = typer.Typer(help="亮诺：党员公开承诺服务的命令行工具", no_args_is_help=True, add_completion=False)
console = Console()


def _fail(message: str, code: int = 1) -> None:
    # escaped: a message may quote user input, and "[…]" in it is not rich markup
    console.print(f"[bold red]错误：[/]{escape(message)}")
    raise typer.Exit(code)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="进程数（多于 1 需要 PostgreSQL，最好再加 Redis）")] = 1,
) -> None:
    """启动 Web 服务（数据库须已迁移到最新）。"""
    import uvicorn

    from app.core.server import HTTP_PROTOCOL, MAX_HEAD_BYTES
    from app.core.shared import workers_problem
    from app.main import SchemaNotReady, check_schema

    problem = workers_problem(workers)
    if problem:
        _fail(problem, code=2)

    try:
        check_schema()
    except SchemaNotReady as exc:
        _fail(str(exc))
    console.print(f"亮诺已启动：[bold]http://{host}:{port}/[/]  （接口文档 /api/docs）")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=",".join(settings.trusted_proxies) or "127.0.0.1",
        log_level=settings.log_level.lower(),
        server_header=False,
        # a request head over 32 KB is refused 431 as it streams in (app.core.server); h11's own
        # cap for a server run with --http h11
        http=HTTP_PROTOCOL,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
    )


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(help="目标版本")] = "head") -> None:
    """把数据库结构升级到最新（或指定版本）。"""
    from app.core.schema import upgrade

    upgrade(settings.sqlalchemy_url, revision)
    console.print("[green]数据库结构已是最新。[/]")


@cli.command("create-admin")
def create_admin(
    phone: Annotated[str, typer.Option(help="登录手机号")],
    name: Annotated[str, typer.Option(help="姓名")],
    password: Annotated[str | None, typer.Option(help="密码；不给则提示输入")] = None,
    unit_id: Annotated[int | None, typer.Option(help="管理的组织，默认最顶层党委")] = None,
) -> None:
    """创建党委管理员账号（没有组织时同时建立顶层党委）。"""
    from app.auth import service as auth_service
    from app.core.db import new_session, pk
    from app.core.errors import AppError
    from app.core.permissions import SYSTEM, Role
    from app.core.security import password_problem
    from app.core.validation import normalize_phone
    from app.org import service as org_service

    if password is None:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password, phone=normalize_phone(phone))
    if problem:
        _fail(problem)
    with new_session() as session:
        try:
            if unit_id is None:
                root = org_service.first_root(session)
                if root is None:
                    root = org_service.create_root(session, name=typer.prompt("顶层党委名称", default="镇党委"))
            else:
                root = org_service.get_unit(session, unit_id)
            account = auth_service.create_account(
                session, phone=phone, display_name=name, password=password, must_change_password=False
            )
            org_service.grant_role(
                session, actor=SYSTEM, account_id=pk(account), role=Role.committee_admin, unit_id=pk(root)
            )
            session.commit()
            root_name = root.name
        except AppError as exc:
            _fail(exc.detail)
            return
    console.print(f"[green]已创建党委管理员[/] {name}（{root_name}）")


@cli.command("seed-demo")
def seed_demo(
    accounts_json: Annotated[Path | None, typer.Option("--accounts-json", help="把演示账号写入这个 JSON 文件")] = None,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="数据库已有数据时静默跳过")] = False,
) -> None:
    """生成演示用的平山镇（1 个党委、1 个党总支、37 个党支部、52 个党小组、1462 名党员）。"""
    from app import demo
    from app.core.db import new_session

    with new_session() as session:
        if not demo.is_empty(session):
            if if_empty:
                console.print("数据库已有数据，跳过演示数据。")
                return
            _fail("数据库已有数据；演示数据只能装入空库。")
        total = demo.BRANCHES_TOTAL + demo.GROUPS_TOTAL + demo.MEMBERS_TOTAL
        columns = (TextColumn("生成演示镇"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("seed", total=total)
            accounts = demo.seed(session, progress=lambda n: bar.advance(task, n))
            bar.update(task, completed=total)
        session.commit()
    table = Table(title="演示账号（手机号 + 密码登录）")
    for col in ("角色", "姓名", "手机号", "密码", "组织"):
        table.add_column(col)
    for a in accounts:
        table.add_row(a.role, a.name, a.phone, a.password, a.unit)
    console.print(table)
    if accounts_json:
        accounts_json.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(accounts_json, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(demo.accounts_as_json(accounts), fh, ensure_ascii=False, indent=2)
        console.print(f"演示账号已写入 {accounts_json}")


@cli.command()
def check() -> None:
    """检查配置、数据库连接、结构版本和上传目录。"""
    from sqlalchemy import text

    from app.core.db import engine
    from app.core.schema import schema_state

    ok = True
    table = Table(title="亮诺自检")
    table.add_column("项目")
    table.add_column("结果", overflow="fold")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        table.add_row("数据库连接", f"[green]正常[/]（{engine.dialect.name}）")
        state = schema_state(engine)
        if state.at_head:
            table.add_row("数据库结构", f"[green]最新[/]（{state.current}）")
        else:
            ok = False
            table.add_row(
                "数据库结构", f"[red]需要迁移[/]（当前 {state.current}，应为 {state.head}）：liangnuo migrate"
            )
    except Exception as exc:
        ok = False
        table.add_row("数据库连接", f"[red]失败[/]：{type(exc).__name__}")
    try:
        settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.uploads_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
        table.add_row("上传目录", "[green]可写[/]")
    except OSError as exc:
        ok = False
        table.add_row("上传目录", f"[red]不可写[/]：{exc.strerror}")
    from app.boards.service import public_url_problem

    url_problem = public_url_problem()
    if url_problem is None:
        table.add_row("对外地址", escape(settings.public_base_url))
    else:  # a warning, not a failure: trying the system out on one computer is fine
        table.add_row("对外地址", f"[yellow]警告[/]：{escape(url_problem)}")
    proxies = ", ".join(settings.trusted_proxies)
    proxy_note = "未设置（直接对外服务时正常；经 nginx 等反向代理时必须设置，否则限流把所有村民算作一个地址）"
    table.add_row("可信代理", escape(proxies) if proxies else proxy_note)
    table.add_row("接口文档", "开启" if settings.docs_enabled else "关闭")
    console.print(table)
    if not ok:
        raise typer.Exit(1)


@cli.command()
def poster(
    branch: Annotated[str, typer.Option("--branch", help="党支部的名称或编号")],
    out: Annotated[Path, typer.Option("--out", help="输出的 PDF 文件")] = Path("posters.pdf"),
) -> None:
    """把一个党支部（含其党小组）的全部公示牌海报导出为一个 A4 PDF，可直接打印。"""
    from app.boards import poster as board_poster
    from app.boards import service as boards_service
    from app.core.db import new_session
    from app.org import service as org_service

    with new_session() as session:
        units = org_service.find_branches(session, branch)
        if len(units) != 1:
            _fail(f"找不到党支部“{branch}”" if not units else f"有 {len(units)} 个党支部叫“{branch}”，请用编号")
            return
        boards = boards_service.boards_under(session, units[0])
        if not boards:
            _fail(f"“{units[0].name}”还没有公示牌")
        data = board_poster.pdf(session, boards, title=f"{units[0].name}公示牌")
    out.write_bytes(data)
    console.print(f"[green]已导出[/] {len(boards)} 块公示牌的海报：{out}（{len(data) // 1024} KB）")


@cli.command()
def remind() -> None:
    """生成到期提醒：7 天内到期和已逾期的承诺，提醒承诺人和监督小组（可反复运行，不会重复提醒）。"""
    from app.appraisal import history as _appraisal_chains  # noqa: F401  (… and the appraisal chains)
    from app.pledges import jobs
    from app.ratings import history as _rating_chains  # noqa: F401  (the digests cover the rating chains)

    result = jobs.run_daily()
    console.print(
        f"[green]到期提醒已生成[/]：7 天内到期 {result.due_soon} 项，已逾期 {result.overdue} 项；"
        f"清理过期的幂等键 {result.purged_keys} 个；记录校验码 {result.digests} 个。"
    )


@cli.command()
def digest() -> None:
    """生成今天各党支部的记录校验码（每日任务也会生成；同一天反复运行不会重复）。"""
    from app.appraisal import history as _appraisal_chains  # noqa: F401  (… and the appraisal chains)
    from app.core.db import new_session
    from app.core.permissions import SYSTEM
    from app.pledges import history
    from app.ratings import history as _rating_chains  # noqa: F401  (the digests cover the rating chains)

    with new_session() as session:
        written = history.write_digests(session, actor=SYSTEM)
        session.commit()
    console.print(f"[green]记录校验码已生成[/]：{written} 个党支部。")


@cli.command()
def verify(
    unit: Annotated[int | None, typer.Option("--unit", help="只校验该组织（含下级）的承诺记录")] = None,
) -> None:
    """重新计算每条承诺记录链、每日记录校验码、测评记录链（周期事件、星级审定）和考评记录链（述职评议、支部分类、
    季度自评、排行榜），报告第一处被改动的记录。"""
    from app.appraisal import verification as appraisal_verification
    from app.core.db import new_session
    from app.core.errors import AppError
    from app.org import service as org_service
    from app.pledges import verification
    from app.ratings import verification as rating_verification

    with new_session() as session:
        try:
            scope = org_service.get_unit(session, unit) if unit is not None else None
        except AppError as exc:
            _fail(exc.detail)
            return
        with Progress(
            TextColumn("校验承诺记录"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task("verify", total=None)

            def advance(done: int, total: int) -> None:
                if done == 1 or done % 200 == 0 or done == total:
                    bar.update(task, completed=done, total=total)

            report = verification.verify(session, unit=scope, progress=advance)
            # the rating chains (periods' events, results' decisions) once the pledges' hold
            ratings = rating_verification.verify(session, unit=scope) if report.broken is None else None
            # then the appraisal chains (述职评议, tiers, self-evaluations, rankings)
            appraised = appraisal_verification.verify(session, unit=scope) if ratings and ratings.ok else None
    broken = report.broken.message if report.broken is not None else ratings.broken if ratings else None
    broken = broken or (appraised.broken if appraised else None)
    rated = ""
    if ratings and appraised:
        rated = (
            f"{ratings.periods} 个测评周期和 {ratings.results} 个星级结果的 {ratings.events} 条记录、"
            f"{appraised.chains} 条考评记录链的 {appraised.events} 条记录"
        )
    if broken is not None:
        console.print(f"[bold red]校验未通过[/]：{escape(broken)}")
        console.print(f"已校验 {report.pledges} 项承诺、{report.events} 条记录、{report.digests} 个记录校验码。")
        raise typer.Exit(1)
    console.print(
        f"[green]校验通过[/]：{report.pledges} 项承诺的 {report.events} 条记录、"
        f"{report.digests} 个记录校验码、{rated}均未被改动。"
    )


@cli.command("render-static")
def render_static(
    all_: Annotated[bool, typer.Option("--all", help="全部重写（不论是否改过）")] = False,
    out: Annotated[Path | None, typer.Option("--dir", help="静态文件目录，默认 LIANGNUO_STATIC_BOARDS_DIR")] = None,
) -> None:
    """把每块公示牌和创星榜写成静态文件（nginx 或 CDN 直接发送；见 docs/operations.md）。"""
    from app.boards import static_files
    from app.core.db import new_session

    root = out or settings.static_boards_dir
    if root is None:
        _fail("未设置静态文件目录：请设置 LIANGNUO_STATIC_BOARDS_DIR 或用 --dir。", code=2)
        return
    columns = (TextColumn("写公示牌静态文件"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with new_session(read_only=True) as session, Progress(*columns, console=console) as bar:
        task = bar.add_task("render", total=None)

        def advance(done: int, total: int) -> None:
            if done == 1 or done % 100 == 0 or done == total:
                bar.update(task, completed=done, total=total)

        done = static_files.render(session, root, force=all_, progress=advance)
    console.print(
        f"[green]已完成[/]：{done.boards} 块公示牌，写入 {done.written} 个页面，"
        f"{done.gone} 个旧地址换成 410 页面，删除 {done.removed} 个目录。"
    )


def _add_reports() -> None:
    # the reports domain's commands live in its package (app/reports/cli_*.py)
    from app.reports.cli_data import backup_command, export_app, restore_command
    from app.reports.cli_imports import app as import_app

    cli.add_typer(import_app, name="import")
    cli.add_typer(export_app, name="export")
    cli.command("backup")(backup_command)
    cli.command("restore")(restore_command)


_add_reports()


def main() -> None:
    cli(prog_name="liangnuo")


if __name__ == "__main__":
    main()
