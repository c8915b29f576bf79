"""debrief rounds reports scores

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 23:51:48.922623

"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate may render sqlmodel types)
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('debrief_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('report_due', sa.Date(), nullable=False),
    sa.Column('session_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_place', sa.String(length=100), nullable=True),
    sa.Column('rubric', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_account_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_account_id'], ['account.id'], name=op.f('fk_debrief_round_created_by_account_id_account')),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], name=op.f('fk_debrief_round_unit_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debrief_round')),
    sa.UniqueConstraint('unit_id', 'year', 'kind', name=op.f('uq_debrief_round_unit_id_year_kind'))
    )
    with op.batch_alter_table('debrief_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_debrief_round_unit_id'), ['unit_id'], unique=False)
    op.create_table('debrief_round_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor_name', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('actor_account_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_account_id'], ['account.id'], name=op.f('fk_debrief_round_event_actor_account_id_account')),
    sa.ForeignKeyConstraint(['round_id'], ['debrief_round.id'], name=op.f('fk_debrief_round_event_round_id_debrief_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debrief_round_event')),
    sa.UniqueConstraint('round_id', 'seq', name='uq_debrief_round_event_round_id_seq')
    )
    with op.batch_alter_table('debrief_round_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_debrief_round_event_round_id'), ['round_id'], unique=False)
    op.create_table('debrief_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_account_id', sa.Integer(), nullable=True),
    sa.Column('author_member_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_account_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_account_id'], ['account.id'], name=op.f('fk_debrief_report_author_account_id_account')),
    sa.ForeignKeyConstraint(['author_member_id'], ['member.id'], name=op.f('fk_debrief_report_author_member_id_member')),
    sa.ForeignKeyConstraint(['branch_id'], ['org_unit.id'], name=op.f('fk_debrief_report_branch_id_org_unit')),
    sa.ForeignKeyConstraint(['published_by_account_id'], ['account.id'], name=op.f('fk_debrief_report_published_by_account_id_account')),
    sa.ForeignKeyConstraint(['round_id'], ['debrief_round.id'], name=op.f('fk_debrief_report_round_id_debrief_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debrief_report')),
    sa.UniqueConstraint('round_id', 'branch_id', name=op.f('uq_debrief_report_round_id_branch_id'))
    )
    with op.batch_alter_table('debrief_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_debrief_report_author_account_id'), ['author_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_debrief_report_author_member_id'), ['author_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_debrief_report_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_debrief_report_round_id'), ['round_id'], unique=False)
    op.create_table('debrief_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('thumb_key', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['debrief_report.id'], name=op.f('fk_debrief_attachment_report_id_debrief_report')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debrief_attachment'))
    )
    with op.batch_alter_table('debrief_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_debrief_attachment_report_id'), ['report_id'], unique=False)
    op.create_table('debrief_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('scorer_account_id', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('total >= 0 AND total <= 100', name=op.f('ck_debrief_score_total_range')),
    sa.ForeignKeyConstraint(['report_id'], ['debrief_report.id'], name=op.f('fk_debrief_score_report_id_debrief_report')),
    sa.ForeignKeyConstraint(['scorer_account_id'], ['account.id'], name=op.f('fk_debrief_score_scorer_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debrief_score')),
    sa.UniqueConstraint('report_id', 'scorer_account_id', name=op.f('uq_debrief_score_report_id_scorer_account_id'))
    )
    with op.batch_alter_table('debrief_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_debrief_score_report_id'), ['report_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('debrief_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_debrief_score_report_id'))
    op.drop_table('debrief_score')
    with op.batch_alter_table('debrief_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_debrief_attachment_report_id'))
    op.drop_table('debrief_attachment')
    with op.batch_alter_table('debrief_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_debrief_report_round_id'))
        batch_op.drop_index(batch_op.f('ix_debrief_report_branch_id'))
        batch_op.drop_index(batch_op.f('ix_debrief_report_author_member_id'))
        batch_op.drop_index(batch_op.f('ix_debrief_report_author_account_id'))
    op.drop_table('debrief_report')
    with op.batch_alter_table('debrief_round_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_debrief_round_event_round_id'))
    op.drop_table('debrief_round_event')
    with op.batch_alter_table('debrief_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_debrief_round_unit_id'))
    op.drop_table('debrief_round')
