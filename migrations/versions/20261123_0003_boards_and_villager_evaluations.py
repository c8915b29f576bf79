"""boards and villager evaluations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 05:43:39.727259

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "board",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("selected_members", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_account_id"], ["account.id"], name=op.f("fk_board_created_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_board_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board")),
        sa.UniqueConstraint("token", name=op.f("uq_board_token")),
    )
    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "board_member",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["board.id"], name=op.f("fk_board_member_board_id_board")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_board_member_member_id_member")),
        sa.PrimaryKeyConstraint("board_id", "member_id", name=op.f("pk_board_member")),
    )
    with op.batch_alter_table("board_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_member_member_id"), ["member_id"], unique=False)

    op.create_table(
        "board_view_day",
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["board.id"], name=op.f("fk_board_view_day_board_id_board")),
        sa.PrimaryKeyConstraint("board_id", "day", name=op.f("pk_board_view_day")),
    )
    with op.batch_alter_table("board_view_day", schema=None) as batch_op:
        batch_op.create_index("ix_board_view_day_day", ["day"], unique=False)

    op.create_table(
        "retired_board_token",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["board.id"], name=op.f("fk_retired_board_token_board_id_board")),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_retired_board_token")),
    )
    with op.batch_alter_table("retired_board_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retired_board_token_board_id"), ["board_id"], unique=False)

    op.create_table(
        "public_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("choice", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_account_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_public_rating_branch_id_org_unit")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_public_rating_member_id_member")),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_public_rating_pledge_id_pledge")),
        sa.ForeignKeyConstraint(
            ["reviewed_by_account_id"], ["account.id"], name=op.f("fk_public_rating_reviewed_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_public_rating_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_rating")),
        sa.UniqueConstraint(
            "pledge_id", "device_hash", "period", name=op.f("uq_public_rating_pledge_id_device_hash_period")
        ),
    )
    with op.batch_alter_table("public_rating", schema=None) as batch_op:
        batch_op.create_index("ix_public_rating_branch_id_status", ["branch_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_public_rating_ip_hash"), ["ip_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_public_rating_member_id"), ["member_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_public_rating_period"), ["period"], unique=False)
        batch_op.create_index("ix_public_rating_pledge_id_created_at", ["pledge_id", "created_at"], unique=False)

    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("public_text", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("device_hash", sa.String(length=64), nullable=False),
        sa.Column("ip_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderated_by_account_id", sa.Integer(), nullable=True),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_suggestion_branch_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["moderated_by_account_id"], ["account.id"], name=op.f("fk_suggestion_moderated_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_suggestion_pledge_id_pledge")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_suggestion_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion")),
    )
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.create_index("ix_suggestion_branch_id_status", ["branch_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_suggestion_pledge_id"), ["pledge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_suggestion_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_suggestion_unit_id"))
        batch_op.drop_index(batch_op.f("ix_suggestion_pledge_id"))
        batch_op.drop_index("ix_suggestion_branch_id_status")

    op.drop_table("suggestion")
    with op.batch_alter_table("public_rating", schema=None) as batch_op:
        batch_op.drop_index("ix_public_rating_pledge_id_created_at")
        batch_op.drop_index(batch_op.f("ix_public_rating_period"))
        batch_op.drop_index(batch_op.f("ix_public_rating_member_id"))
        batch_op.drop_index(batch_op.f("ix_public_rating_ip_hash"))
        batch_op.drop_index("ix_public_rating_branch_id_status")

    op.drop_table("public_rating")
    with op.batch_alter_table("retired_board_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retired_board_token_board_id"))

    op.drop_table("retired_board_token")
    with op.batch_alter_table("board_view_day", schema=None) as batch_op:
        batch_op.drop_index("ix_board_view_day_day")

    op.drop_table("board_view_day")
    with op.batch_alter_table("board_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_member_member_id"))

    op.drop_table("board_member")
    with op.batch_alter_table("board", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_unit_id"))

    op.drop_table("board")
