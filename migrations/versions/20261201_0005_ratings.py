"""ratings: policies, periods, reviews, assessments, results, decisions, honours

The star ratings (三评定星, app/ratings): rating_policy (per unit, inherited), rating_period with its
events and per-branch progress, self statements, peer reviews and their 人情分 flags, assessments,
one result per member and branch with the history of level decisions, and the year's 十佳 honours.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:46:51.008818

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rating_period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("assessment_due", sa.Date(), nullable=True),
        sa.Column("approval_due", sa.Date(), nullable=True),
        sa.Column("policy_unit_id", sa.Integer(), nullable=True),
        sa.Column("policy_snapshot", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'quarter' AND quarter >= 1 AND quarter <= 4) OR (kind = 'year' AND quarter IS NULL)",
            name=op.f("ck_rating_period_quarter_of_kind"),
        ),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_rating_period_dates_order")),
        sa.ForeignKeyConstraint(
            ["created_by_account_id"], ["account.id"], name=op.f("fk_rating_period_created_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["policy_unit_id"], ["org_unit.id"], name=op.f("fk_rating_period_policy_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_rating_period_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_period")),
    )
    with op.batch_alter_table("rating_period", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_period_status"), ["status"], unique=False)
        batch_op.create_index("ix_rating_period_unit_id_year", ["unit_id", "year"], unique=False)

    op.create_table(
        "rating_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_rating_policy_unit_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["updated_by_account_id"], ["account.id"], name=op.f("fk_rating_policy_updated_by_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_policy")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_rating_policy_unit_id")),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("auto_items", sa.JSON(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("scored_by_account_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_assessment_branch_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["period_id"], ["rating_period.id"], name=op.f("fk_assessment_period_id_rating_period")
        ),
        sa.ForeignKeyConstraint(
            ["scored_by_account_id"], ["account.id"], name=op.f("fk_assessment_scored_by_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint(
            "period_id", "subject_kind", "subject_id", name=op.f("uq_assessment_period_id_subject_kind_subject_id")
        ),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_period_id_branch_id", ["period_id", "branch_id"], unique=False)

    op.create_table(
        "peer_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("reviewer_member_id", sa.Integer(), nullable=False),
        sa.Column("partner_member_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discarded_by_account_id", sa.Integer(), nullable=True),
        sa.Column("discard_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_peer_flag_branch_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["discarded_by_account_id"], ["account.id"], name=op.f("fk_peer_flag_discarded_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["partner_member_id"], ["member.id"], name=op.f("fk_peer_flag_partner_member_id_member")
        ),
        sa.ForeignKeyConstraint(["period_id"], ["rating_period.id"], name=op.f("fk_peer_flag_period_id_rating_period")),
        sa.ForeignKeyConstraint(
            ["reviewer_member_id"], ["member.id"], name=op.f("fk_peer_flag_reviewer_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_flag")),
    )
    with op.batch_alter_table("peer_flag", schema=None) as batch_op:
        batch_op.create_index("ix_peer_flag_period_id_branch_id", ["period_id", "branch_id"], unique=False)

    op.create_table(
        "peer_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_member_id", sa.Integer(), nullable=False),
        sa.Column("reviewee_member_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("discarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("reviewer_member_id <> reviewee_member_id", name=op.f("ck_peer_review_not_self")),
        sa.CheckConstraint("score >= 0 AND score <= 100", name=op.f("ck_peer_review_score_range")),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_peer_review_branch_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["period_id"], ["rating_period.id"], name=op.f("fk_peer_review_period_id_rating_period")
        ),
        sa.ForeignKeyConstraint(
            ["reviewee_member_id"], ["member.id"], name=op.f("fk_peer_review_reviewee_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_member_id"], ["member.id"], name=op.f("fk_peer_review_reviewer_member_id_member")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_review")),
        sa.UniqueConstraint(
            "period_id",
            "reviewer_member_id",
            "reviewee_member_id",
            name=op.f("uq_peer_review_period_id_reviewer_member_id_reviewee_member_id"),
        ),
    )
    with op.batch_alter_table("peer_review", schema=None) as batch_op:
        batch_op.create_index("ix_peer_review_period_id_branch_id", ["period_id", "branch_id"], unique=False)
        batch_op.create_index(
            "ix_peer_review_period_id_reviewee_member_id", ["period_id", "reviewee_member_id"], unique=False
        )

    op.create_table(
        "rating_branch_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("members_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("members_approved_by_account_id", sa.Integer(), nullable=True),
        sa.Column("branch_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("branch_approved_by_account_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by_account_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["branch_approved_by_account_id"],
            ["account.id"],
            name=op.f("fk_rating_branch_status_branch_approved_by_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["branch_id"], ["org_unit.id"], name=op.f("fk_rating_branch_status_branch_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["members_approved_by_account_id"],
            ["account.id"],
            name=op.f("fk_rating_branch_status_members_approved_by_account_id_account"),
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["rating_period.id"], name=op.f("fk_rating_branch_status_period_id_rating_period")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_account_id"],
            ["account.id"],
            name=op.f("fk_rating_branch_status_published_by_account_id_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_branch_status")),
        sa.UniqueConstraint("period_id", "branch_id", name=op.f("uq_rating_branch_status_period_id_branch_id")),
    )
    with op.batch_alter_table("rating_branch_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_branch_status_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "rating_period_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("actor_account_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_account_id"], ["account.id"], name=op.f("fk_rating_period_event_actor_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"], ["rating_period.id"], name=op.f("fk_rating_period_event_period_id_rating_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_period_event")),
    )
    with op.batch_alter_table("rating_period_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_period_event_period_id"), ["period_id"], unique=False)

    op.create_table(
        "rating_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("peer_raw", sa.Float(), nullable=True),
        sa.Column("peer_count", sa.Integer(), nullable=False),
        sa.Column("peer_weight", sa.Float(), nullable=False),
        sa.Column("peer_score", sa.Float(), nullable=False),
        sa.Column("villager_raw", sa.Float(), nullable=True),
        sa.Column("villager_count", sa.Integer(), nullable=False),
        sa.Column("villager_weight", sa.Float(), nullable=False),
        sa.Column("villager_score", sa.Float(), nullable=False),
        sa.Column("assessment_raw", sa.Float(), nullable=True),
        sa.Column("assessment_count", sa.Integer(), nullable=False),
        sa.Column("assessment_weight", sa.Float(), nullable=False),
        sa.Column("assessment_score", sa.Float(), nullable=False),
        sa.Column("members_raw", sa.Float(), nullable=True),
        sa.Column("members_count", sa.Integer(), nullable=False),
        sa.Column("members_weight", sa.Float(), nullable=False),
        sa.Column("members_score", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("proposed_stars", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("previous_stars", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "proposed_stars >= 1 AND proposed_stars <= 5", name=op.f("ck_rating_result_proposed_stars_range")
        ),
        sa.CheckConstraint("stars IS NULL OR (stars >= 1 AND stars <= 5)", name=op.f("ck_rating_result_stars_range")),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_rating_result_branch_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["period_id"], ["rating_period.id"], name=op.f("fk_rating_result_period_id_rating_period")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_rating_result_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_result")),
        sa.UniqueConstraint(
            "period_id", "subject_kind", "subject_id", name=op.f("uq_rating_result_period_id_subject_kind_subject_id")
        ),
    )
    with op.batch_alter_table("rating_result", schema=None) as batch_op:
        batch_op.create_index("ix_rating_result_period_id_branch_id", ["period_id", "branch_id"], unique=False)
        batch_op.create_index("ix_rating_result_subject_kind_subject_id", ["subject_kind", "subject_id"], unique=False)

    op.create_table(
        "self_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_self_statement_branch_id_org_unit")),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_self_statement_member_id_member")),
        sa.ForeignKeyConstraint(
            ["period_id"], ["rating_period.id"], name=op.f("fk_self_statement_period_id_rating_period")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_statement")),
        sa.UniqueConstraint("period_id", "member_id", name=op.f("uq_self_statement_period_id_member_id")),
    )
    with op.batch_alter_table("self_statement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_self_statement_member_id"), ["member_id"], unique=False)

    op.create_table(
        "honour",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=14), nullable=False),
        sa.Column("pledge_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("nominated_by_account_id", sa.Integer(), nullable=True),
        sa.Column("nominated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nomination_reason", sa.String(length=500), nullable=True),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("selected_by_account_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["branch_id"], ["org_unit.id"], name=op.f("fk_honour_branch_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["nominated_by_account_id"], ["account.id"], name=op.f("fk_honour_nominated_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(["pledge_id"], ["pledge.id"], name=op.f("fk_honour_pledge_id_pledge")),
        sa.ForeignKeyConstraint(
            ["selected_by_account_id"], ["account.id"], name=op.f("fk_honour_selected_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_honour_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_honour")),
        sa.UniqueConstraint("year", "kind", "pledge_id", name=op.f("uq_honour_year_kind_pledge_id")),
    )
    with op.batch_alter_table("honour", schema=None) as batch_op:
        batch_op.create_index("ix_honour_unit_id_year", ["unit_id", "year"], unique=False)

    op.create_table(
        "rating_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("from_stars", sa.Integer(), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("by_account_id", sa.Integer(), nullable=True),
        sa.Column("by_name", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stars >= 1 AND stars <= 5", name=op.f("ck_rating_decision_stars_range")),
        sa.ForeignKeyConstraint(
            ["by_account_id"], ["account.id"], name=op.f("fk_rating_decision_by_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["result_id"], ["rating_result.id"], name=op.f("fk_rating_decision_result_id_rating_result")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_decision")),
    )
    with op.batch_alter_table("rating_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_decision_result_id"), ["result_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rating_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_decision_result_id"))

    op.drop_table("rating_decision")
    with op.batch_alter_table("honour", schema=None) as batch_op:
        batch_op.drop_index("ix_honour_unit_id_year")

    op.drop_table("honour")
    with op.batch_alter_table("self_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_self_statement_member_id"))

    op.drop_table("self_statement")
    with op.batch_alter_table("rating_result", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_result_subject_kind_subject_id")
        batch_op.drop_index("ix_rating_result_period_id_branch_id")

    op.drop_table("rating_result")
    with op.batch_alter_table("rating_period_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_period_event_period_id"))

    op.drop_table("rating_period_event")
    with op.batch_alter_table("rating_branch_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_branch_status_branch_id"))

    op.drop_table("rating_branch_status")
    with op.batch_alter_table("peer_review", schema=None) as batch_op:
        batch_op.drop_index("ix_peer_review_period_id_reviewee_member_id")
        batch_op.drop_index("ix_peer_review_period_id_branch_id")

    op.drop_table("peer_review")
    with op.batch_alter_table("peer_flag", schema=None) as batch_op:
        batch_op.drop_index("ix_peer_flag_period_id_branch_id")

    op.drop_table("peer_flag")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_period_id_branch_id")

    op.drop_table("assessment")
    op.drop_table("rating_policy")
    with op.batch_alter_table("rating_period", schema=None) as batch_op:
        batch_op.drop_index("ix_rating_period_unit_id_year")
        batch_op.drop_index(batch_op.f("ix_rating_period_status"))

    op.drop_table("rating_period")
