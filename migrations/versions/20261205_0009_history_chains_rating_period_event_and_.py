"""history chains: rating_period_event and rating_decision seq and hash

Every rating period's events form a hash chain per period and every result's decisions one per
result (docs/history.md), like the pledges' events (0008): each row gets its place in its chain
(`seq`) and its hash. The rows written before this migration are hashed here, in order (by period or
result, then id), in batches, so every chain starts at its first row, by app.core.chain_backfill
(the service's own linking, canonical form version 1, which never changes) over the fields
app.ratings.history names. The daily digests cover these chains from now on: `history_digest.upto`
keeps the last period event and decision ids a digest fixed (None on the digests made before: their
roots cover pledges only).

(Numbered 0009, applied after 0011: 0010 and 0011 landed first; the chain of revisions is linear.)

Revision ID: 0009
Revises: 0011
Create Date: 2026-12-05 08:10:15.927507

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

from app.core import chain, chain_backfill
from app.core.db import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("history_digest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("upto", sa.JSON(), nullable=True))
    for table in ("rating_decision", "rating_period_event"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("seq", sa.Integer(), server_default="0", nullable=False))
            batch_op.add_column(sa.Column("hash", sa.String(length=64), server_default="", nullable=False))
    bind = op.get_bind()
    events = chain_backfill.event_table("rating_period_event", "period_id")
    chain_backfill.backfill(bind, events, chain.Spec.lifecycle("period", "period_id"))
    chain_backfill.backfill(bind, _DECISION, chain.Spec("result", "result_id", _DECISION_HASHED))
    with op.batch_alter_table("rating_decision", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_rating_decision_result_id_seq", ["result_id", "seq"])
    with op.batch_alter_table("rating_period_event", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_rating_period_event_period_id_seq", ["period_id", "seq"])


# the decisions' hashed fields as of this migration (app.ratings.history's RESULT); the period events
# are a lifecycle's (app.core.chain.LIFECYCLE_FIELDS)
_DECISION_HASHED = ("result_id", "seq", "kind", "from_stars", "stars", "reason", "by_account_id", "by_name", "at")
_DECISION = sa.table(
    "rating_decision",
    sa.column("id", sa.Integer()),
    sa.column("result_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("from_stars", sa.Integer()),
    sa.column("stars", sa.Integer()),
    sa.column("reason", sa.String()),
    sa.column("by_account_id", sa.Integer()),
    sa.column("by_name", sa.String()),
    sa.column("at", UTCDateTime()),
    sa.column("seq", sa.Integer()),
    sa.column("hash", sa.String()),
)


def downgrade() -> None:
    with op.batch_alter_table("rating_period_event", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rating_period_event_period_id_seq", type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("seq")
    with op.batch_alter_table("rating_decision", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rating_decision_result_id_seq", type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("seq")
    with op.batch_alter_table("history_digest", schema=None) as batch_op:
        batch_op.drop_column("upto")
