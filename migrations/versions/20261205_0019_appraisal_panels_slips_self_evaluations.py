"""appraisal: representatives' panels, one-time slips and their anonymous answers, quarterly self-evaluations

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 23:50:24.535755

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appraisal_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_appraisal_answer_branch_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_answer")),
    )
    with op.batch_alter_table("appraisal_answer", schema=None) as batch_op:
        batch_op.create_index("ix_appraisal_answer_branch_month", ["branch_id", "year", "month"], unique=False)

    op.create_table(
        "appraisal_representative",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["org_unit.id"], name=op.f("fk_appraisal_representative_branch_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_representative")),
    )
    with op.batch_alter_table("appraisal_representative", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appraisal_representative_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "appraisal_self_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quarter >= 1 AND quarter <= 4", name=op.f("ck_appraisal_self_evaluation_quarter_range")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["org_unit.id"], name=op.f("fk_appraisal_self_evaluation_branch_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_account_id"],
            ["account.id"],
            name=op.f("fk_appraisal_self_evaluation_updated_by_account_id_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_self_evaluation")),
        sa.UniqueConstraint("branch_id", "year", "quarter", name="uq_appraisal_self_evaluation_branch_quarter"),
    )
    with op.batch_alter_table("appraisal_self_evaluation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appraisal_self_evaluation_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "appraisal_slip_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_account_id", sa.Integer(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("month >= 1 AND month <= 12", name=op.f("ck_appraisal_slip_batch_month_range")),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["org_unit.id"], name=op.f("fk_appraisal_slip_batch_branch_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_account_id"], ["account.id"], name=op.f("fk_appraisal_slip_batch_issued_by_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_slip_batch")),
        sa.UniqueConstraint("branch_id", "year", "month", "live", name="uq_appraisal_slip_batch_live"),
    )
    with op.batch_alter_table("appraisal_slip_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appraisal_slip_batch_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "appraisal_self_evaluation_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("self_evaluation_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=30), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("thumb_key", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=30), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumb_width", sa.Integer(), nullable=False),
        sa.Column("thumb_height", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["self_evaluation_id"],
            ["appraisal_self_evaluation.id"],
            name=op.f("fk_appraisal_self_evaluation_photo_self_evaluation_id_appraisal_self_evaluation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_self_evaluation_photo")),
    )
    with op.batch_alter_table("appraisal_self_evaluation_photo", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appraisal_self_evaluation_photo_self_evaluation_id"), ["self_evaluation_id"], unique=False
        )

    op.create_table(
        "appraisal_slip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["appraisal_slip_batch.id"], name=op.f("fk_appraisal_slip_batch_id_appraisal_slip_batch")
        ),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_appraisal_slip_branch_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_slip")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_appraisal_slip_code_hash")),
    )
    with op.batch_alter_table("appraisal_slip", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appraisal_slip_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_appraisal_slip_branch_month", ["branch_id", "year", "month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("appraisal_slip", schema=None) as batch_op:
        batch_op.drop_index("ix_appraisal_slip_branch_month")
        batch_op.drop_index(batch_op.f("ix_appraisal_slip_batch_id"))

    op.drop_table("appraisal_slip")
    with op.batch_alter_table("appraisal_self_evaluation_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_self_evaluation_photo_self_evaluation_id"))

    op.drop_table("appraisal_self_evaluation_photo")
    with op.batch_alter_table("appraisal_slip_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_slip_batch_branch_id"))

    op.drop_table("appraisal_slip_batch")
    with op.batch_alter_table("appraisal_self_evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_self_evaluation_branch_id"))

    op.drop_table("appraisal_self_evaluation")
    with op.batch_alter_table("appraisal_representative", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appraisal_representative_branch_id"))

    op.drop_table("appraisal_representative")
    with op.batch_alter_table("appraisal_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_appraisal_answer_branch_month")

    op.drop_table("appraisal_answer")
