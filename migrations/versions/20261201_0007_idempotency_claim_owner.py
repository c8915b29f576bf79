"""idempotency claims: the owner process of an in-flight claim

An in-flight Idempotency-Key claim names the process that holds it (host, boot id, pid and the
process's start time), so a restarted server takes over a claim whose owner is dead at once instead
of answering 409 until the 120 s lease ends.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:55:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.drop_column("owner")
