"""`liangnuo import …`: roster and org-unit import from the command line."""

from __future__ import annotations

import typer

app = typer.Typer(help="从 Excel/CSV 导入组织和党员（默认只检查，--commit 才写入）", no_args_is_help=True)
