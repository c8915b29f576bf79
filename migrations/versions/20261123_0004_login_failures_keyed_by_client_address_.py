"""login failures keyed by client address too

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 07:44:24.267288

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ip_key", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_login_failure_ip_key"), ["ip_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failure_ip_key"))
        batch_op.drop_column("ip_key")
