"""shared state for several workers: rate_hit (the rate limiter's windows on PostgreSQL without Redis)
and the content_generation sequence (PostgreSQL only: what tells every worker its memoised pages are stale)

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-05 12:05:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_hit")),
    )
    with op.batch_alter_table("rate_hit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_hit_at"), ["at"], unique=False)
        batch_op.create_index("ix_rate_hit_bucket_at", ["bucket", "at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # not in the metadata (Alembic compares no sequences): moved by nextval after every commit
        # that wrote, read by every worker per public page (app/core/generation.py)
        op.execute("CREATE SEQUENCE content_generation")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE content_generation")
    with op.batch_alter_table("rate_hit", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_hit_bucket_at")
        batch_op.drop_index(batch_op.f("ix_rate_hit_at"))
    op.drop_table("rate_hit")
