"""pledge flags: a supervisor's flag to the branch's secretary (提请书记关注), closed by the answer

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 08:06:50.830900

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pledge_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("raised_by_account_id", sa.Integer(), nullable=True),
        sa.Column("raised_by_name", sa.String(length=40), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.String(length=500), nullable=False),
        sa.Column("answered_by_account_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_name", sa.String(length=40), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_account_id"], ["account.id"], name=op.f("fk_pledge_flag_answered_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_pledge_flag_branch_id_org_unit")),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_pledge_flag_pledge_id_pledge")),
        sa.ForeignKeyConstraint(
            ["raised_by_account_id"], ["account.id"], name=op.f("fk_pledge_flag_raised_by_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_flag")),
    )
    with op.batch_alter_table("pledge_flag", schema=None) as batch_op:
        batch_op.create_index("ix_pledge_flag_branch_id_status", ["branch_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledge_flag_pledge_id"), ["pledge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledge_flag_raised_by_account_id"), ["raised_by_account_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pledge_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledge_flag_raised_by_account_id"))
        batch_op.drop_index(batch_op.f("ix_pledge_flag_pledge_id"))
        batch_op.drop_index("ix_pledge_flag_branch_id_status")

    op.drop_table("pledge_flag")
