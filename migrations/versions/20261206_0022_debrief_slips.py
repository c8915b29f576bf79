"""appraisal: slips of a 述职评议 round, the representatives' answers and their weight

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 03:34:53.327323

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as app.appraisal.models.PURPOSE_SCOPE: a month's slip or a round's, never both
PURPOSE_SCOPE = (
    "(purpose = 'month' AND year IS NOT NULL AND month IS NOT NULL AND round_id IS NULL)"
    " OR (purpose = 'debrief' AND round_id IS NOT NULL AND year IS NULL AND month IS NULL)"
)


def upgrade() -> None:
    op.create_table(
        "debrief_slip_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.CheckConstraint("total >= 0 AND total <= 100", name=op.f("ck_debrief_slip_answer_total_range")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["debrief_report.id"], name=op.f("fk_debrief_slip_answer_report_id_debrief_report")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["debrief_round.id"], name=op.f("fk_debrief_slip_answer_round_id_debrief_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debrief_slip_answer")),
    )
    with op.batch_alter_table("debrief_slip_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_debrief_slip_answer_report_id"), ["report_id"], unique=False)

    with op.batch_alter_table("appraisal_slip", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=10), server_default="month", nullable=False))
        batch_op.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
        batch_op.alter_column("year", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("month", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index("ix_appraisal_slip_round_branch", ["round_id", "branch_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_appraisal_slip_round_id_debrief_round"), "debrief_round", ["round_id"], ["id"]
        )
        batch_op.create_check_constraint(op.f("ck_appraisal_slip_purpose_scope"), PURPOSE_SCOPE)

    with op.batch_alter_table("appraisal_slip_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=10), server_default="month", nullable=False))
        batch_op.add_column(sa.Column("round_id", sa.Integer(), nullable=True))
        batch_op.alter_column("year", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("month", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_unique_constraint("uq_appraisal_slip_batch_round_live", ["round_id", "branch_id", "live"])
        batch_op.create_foreign_key(
            batch_op.f("fk_appraisal_slip_batch_round_id_debrief_round"), "debrief_round", ["round_id"], ["id"]
        )
        batch_op.create_check_constraint(op.f("ck_appraisal_slip_batch_purpose_scope"), PURPOSE_SCOPE)

    with op.batch_alter_table("debrief_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("representative_weight", sa.Integer(), server_default="30", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_debrief_round_weight_range"), "representative_weight >= 0 AND representative_weight <= 100"
        )


def downgrade() -> None:
    with op.batch_alter_table("debrief_round", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_debrief_round_weight_range"), type_="check")
        batch_op.drop_column("representative_weight")

    with op.batch_alter_table("appraisal_slip_batch", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_appraisal_slip_batch_purpose_scope"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_appraisal_slip_batch_round_id_debrief_round"), type_="foreignkey")
        batch_op.drop_constraint("uq_appraisal_slip_batch_round_live", type_="unique")
        batch_op.alter_column("month", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("year", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("round_id")
        batch_op.drop_column("purpose")

    with op.batch_alter_table("appraisal_slip", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_appraisal_slip_purpose_scope"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_appraisal_slip_round_id_debrief_round"), type_="foreignkey")
        batch_op.drop_index("ix_appraisal_slip_round_branch")
        batch_op.alter_column("month", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("year", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("round_id")
        batch_op.drop_column("purpose")

    with op.batch_alter_table("debrief_slip_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_debrief_slip_answer_report_id"))

    op.drop_table("debrief_slip_answer")
