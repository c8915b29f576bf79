"""term pledges (任期承诺): pledge.kind (year | term, existing rows are year pledges) and pledge.term_start
(the term's first day; its last is the due date)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 00:06:04.496102

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), server_default="year", nullable=False))
        batch_op.add_column(sa.Column("term_start", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.drop_column("term_start")
        batch_op.drop_column("kind")
