"""branch tiers: branch_tier.debrief_score and appraisal_score, the year's 述职评议 and the year appraisal score the proposal read its level from

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 04:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("branch_tier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("debrief_score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("appraisal_score", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("branch_tier", schema=None) as batch_op:
        batch_op.drop_column("appraisal_score")
        batch_op.drop_column("debrief_score")
