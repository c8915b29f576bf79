"""appraisal: the hash-chained events of the quarterly self-evaluations (submit, return)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 00:11:10.279182

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appraisal_self_evaluation_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_name", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("self_evaluation_id", sa.Integer(), nullable=False),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_account_id"],
            ["account.id"],
            name=op.f("fk_appraisal_self_evaluation_event_actor_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["self_evaluation_id"],
            ["appraisal_self_evaluation.id"],
            name=op.f("fk_appraisal_self_evaluation_event_self_evaluation_id_appraisal_self_evaluation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_self_evaluation_event")),
        sa.UniqueConstraint("self_evaluation_id", "seq", name="uq_appraisal_self_evaluation_event_seq"),
    )
    with op.batch_alter_table("appraisal_self_evaluation_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_self_evaluation_event_self_evaluation_id"), ["self_evaluation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("appraisal_self_evaluation_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_self_evaluation_event_self_evaluation_id"))

    op.drop_table("appraisal_self_evaluation_event")
