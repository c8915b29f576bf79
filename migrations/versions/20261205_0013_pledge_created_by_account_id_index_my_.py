"""pledge.created_by_account_id indexed: "my pledges" (the member's own, and the collective ones they
drafted) is two indexed equalities, not a scan of the county's pledges; pledge (status_changed_at, id):
the lists' order, so a county-wide page stops at its twenty rows

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 12:25:27.735159

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledge_created_by_account_id"), ["created_by_account_id"], unique=False)
        batch_op.create_index("ix_pledge_status_changed_at_id", ["status_changed_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.drop_index("ix_pledge_status_changed_at_id")
        batch_op.drop_index(batch_op.f("ix_pledge_created_by_account_id"))
