"""star boards: board.kind

A board is a pledge board (公示牌, /b/, every board so far) or a star board (创星榜, /s/) showing the
published star levels of its unit's subtree; both share tokens, rotation, view counts and posters.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:01:32.090359

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), server_default="pledges", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.drop_column("kind")
