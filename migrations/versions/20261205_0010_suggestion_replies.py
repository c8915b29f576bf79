"""suggestion replies: the branch's answer (答复) to an approved villager suggestion

The reply as typed and its masked public copy (shown under the suggestion on the boards), who
replied and when.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-05 07:56:35.214372

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply", sa.String(length=500), server_default="", nullable=False))
        batch_op.add_column(sa.Column("public_reply", sa.String(length=500), server_default="", nullable=False))
        batch_op.add_column(sa.Column("replied_by_account_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_suggestion_replied_by_account_id_account"), "account", ["replied_by_account_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_suggestion_replied_by_account_id_account"), type_="foreignkey")
        batch_op.drop_column("replied_at")
        batch_op.drop_column("replied_by_account_id")
        batch_op.drop_column("public_reply")
        batch_op.drop_column("reply")
