"""term pledges: pledge.reviewed_at, the last 回头看 (terms.review_window), filled from the pledges' review events

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 03:50:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE pledge SET reviewed_at = (SELECT max(e.at) FROM pledge_event e"
        " WHERE e.pledge_id = pledge.id AND e.action = 'review')"
        " WHERE kind = 'term'"
    )


def downgrade() -> None:
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.drop_column("reviewed_at")
