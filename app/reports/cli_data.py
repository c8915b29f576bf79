"""`liangnuo export …`, `liangnuo backup` and `liangnuo restore`: data out and backups."""

from __future__ import annotations

import typer

export_app = typer.Typer(help="导出台账、花名册和档案", no_args_is_help=True)
