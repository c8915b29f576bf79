"""change_event: the history of every change of members, accounts, grants, units, boards and rating
policies (app/core/changes.py); append-only, keyed by (kind, object_id). No backfill: the history of
an object starts with its first change after this migration (docs/history.md, *Changes*)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 23:55:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_event")),
    )
    with op.batch_alter_table("change_event", schema=None) as batch_op:
        batch_op.create_index("ix_change_event_kind_object", ["kind", "object_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("change_event", schema=None) as batch_op:
        batch_op.drop_index("ix_change_event_kind_object")
    op.drop_table("change_event")
