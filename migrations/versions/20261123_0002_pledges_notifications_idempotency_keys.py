"""pledges, notifications, idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:43:03.658519

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_key")),
        sa.UniqueConstraint("account_id", "key", name=op.f("uq_idempotency_key_account_id_key")),
    )
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_key_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.String(length=300), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_notification_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_dedupe_key")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index("ix_notification_account_id_read_at", ["account_id", "read_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_created_at"), ["created_at"], unique=False)

    op.create_table(
        "pledge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(length=10), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("content", sa.String(length=1000), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("post", sa.String(length=60), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_comment", sa.String(length=500), nullable=True),
        sa.Column("helped_household", sa.String(length=40), nullable=True),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("progress_count", sa.Integer(), nullable=False),
        sa.Column("last_progress_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        sa.Column("revised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_pledge_branch_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["created_by_account_id"], ["account.id"], name=op.f("fk_pledge_created_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_pledge_member_id_member")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_pledge_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge")),
    )
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.create_index("ix_pledge_branch_id_status", ["branch_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledge_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledge_due_date"), ["due_date"], unique=False)
        batch_op.create_index("ix_pledge_member_id_year", ["member_id", "year"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledge_status"), ["status"], unique=False)
        batch_op.create_index("ix_pledge_unit_id_year", ["unit_id", "year"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledge_year"), ["year"], unique=False)

    op.create_table(
        "pledge_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_account_id"], ["account.id"], name=op.f("fk_pledge_event_actor_account_id_account")
        ),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_pledge_event_pledge_id_pledge")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_event")),
    )
    with op.batch_alter_table("pledge_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledge_event_pledge_id"), ["pledge_id"], unique=False)

    op.create_table(
        "pledge_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("author_account_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_account_id"], ["account.id"], name=op.f("fk_pledge_note_author_account_id_account")
        ),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_pledge_note_pledge_id_pledge")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_note")),
    )
    with op.batch_alter_table("pledge_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledge_note_pledge_id"), ["pledge_id"], unique=False)

    op.create_table(
        "pledge_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("author_account_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("photo_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_account_id"], ["account.id"], name=op.f("fk_pledge_progress_author_account_id_account")
        ),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_pledge_progress_pledge_id_pledge")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_progress")),
    )
    with op.batch_alter_table("pledge_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledge_progress_pledge_id"), ["pledge_id"], unique=False)

    op.create_table(
        "pledge_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("created_by_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_account_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_account_id"], ["account.id"], name=op.f("fk_pledge_revision_created_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_account_id"], ["account.id"], name=op.f("fk_pledge_revision_decided_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_pledge_revision_pledge_id_pledge")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_revision")),
    )
    with op.batch_alter_table("pledge_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledge_revision_pledge_id"), ["pledge_id"], unique=False)

    op.create_table(
        "pledge_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("progress_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("thumb_key", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=30), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumb_width", sa.Integer(), nullable=False),
        sa.Column("thumb_height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_pledge_photo_pledge_id_pledge")),
        sa.ForeignKeyConstraint(
            ["progress_id"], ["pledge_progress.id"], name=op.f("fk_pledge_photo_progress_id_pledge_progress")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_photo")),
    )
    with op.batch_alter_table("pledge_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pledge_photo_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledge_photo_pledge_id"), ["pledge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledge_photo_progress_id"), ["progress_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledge_photo_thumb_key"), ["thumb_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pledge_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledge_photo_thumb_key"))
        batch_op.drop_index(batch_op.f("ix_pledge_photo_progress_id"))
        batch_op.drop_index(batch_op.f("ix_pledge_photo_pledge_id"))
        batch_op.drop_index(batch_op.f("ix_pledge_photo_key"))

    op.drop_table("pledge_photo")
    with op.batch_alter_table("pledge_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledge_revision_pledge_id"))

    op.drop_table("pledge_revision")
    with op.batch_alter_table("pledge_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledge_progress_pledge_id"))

    op.drop_table("pledge_progress")
    with op.batch_alter_table("pledge_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledge_note_pledge_id"))

    op.drop_table("pledge_note")
    with op.batch_alter_table("pledge_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledge_event_pledge_id"))

    op.drop_table("pledge_event")
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledge_year"))
        batch_op.drop_index("ix_pledge_unit_id_year")
        batch_op.drop_index(batch_op.f("ix_pledge_status"))
        batch_op.drop_index("ix_pledge_member_id_year")
        batch_op.drop_index(batch_op.f("ix_pledge_due_date"))
        batch_op.drop_index(batch_op.f("ix_pledge_category"))
        batch_op.drop_index("ix_pledge_branch_id_status")

    op.drop_table("pledge")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_created_at"))
        batch_op.drop_index("ix_notification_account_id_read_at")

    op.drop_table("notification")
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_key_expires_at"))

    op.drop_table("idempotency_key")
