"""Posts (设岗定责: a branch's catalogue of posts, member.post_id, pledge.post_id) and the members'
yearly pledge documents (承诺书: the signature recorded, an optional private photo)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 23:48:42.080719

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("duties", sa.String(length=500), nullable=False),
        sa.Column("duties_public", sa.Boolean(), nullable=False),
        sa.Column("pioneer", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_post_branch_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
    )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "pledge_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_account_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("photo_key", sa.String(length=80), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_pledge_document_member_id_member")),
        sa.ForeignKeyConstraint(
            ["recorded_by_account_id"], ["account.id"], name=op.f("fk_pledge_document_recorded_by_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledge_document")),
        sa.UniqueConstraint("member_id", "year", name="uq_pledge_document_member_id_year"),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("post_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_member_post_id"), ["post_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_member_post_id_post"), "post", ["post_id"], ["id"])

    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.add_column(sa.Column("post_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_pledge_post_id"), ["post_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_pledge_post_id_post"), "post", ["post_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("pledge", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pledge_post_id_post"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_pledge_post_id"))
        batch_op.drop_column("post_id")

    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_member_post_id_post"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_member_post_id"))
        batch_op.drop_column("post_id")

    op.drop_table("pledge_document")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_branch_id"))

    op.drop_table("post")
