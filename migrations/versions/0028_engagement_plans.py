"""Engagement plans agreed with partners and their steps, and an outreach session's cancellation (when, by whom,
why). Schema only: new tables, and new columns empty on every session before this revision (all planned).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 05:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outreach_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outreach_sessions_cancelled_by_users'), 'users',
                                    ['cancelled_by'], ['id'])
        batch_op.create_check_constraint(
            'cancelled_with_reason',
            "(status = 'cancelled') = (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL)")

    op.create_table('engagement_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('agreed_on', sa.Date(), nullable=False),
    sa.Column('agreed_by', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_engagement_plans_partner_id_partners')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_engagement_plans_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_engagement_plans_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_plans'))
    )
    with op.batch_alter_table('engagement_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_plans_partner_id'), ['partner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_plans_patient_id'), ['patient_id'], unique=False)

    op.create_table('engagement_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('owner', sa.String(length=8), nullable=False),
    sa.Column('owner_name', sa.String(length=120), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('done_by', sa.String(length=120), nullable=True),
    sa.Column('marked_by', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("owner IN ('service', 'partner')", name=op.f('ck_engagement_steps_owner')),
    sa.CheckConstraint('(done_on IS NULL) = (done_by IS NULL)', name=op.f('ck_engagement_steps_done_with_whom')),
    sa.CheckConstraint('(done_on IS NULL) = (marked_at IS NULL)',
                       name=op.f('ck_engagement_steps_done_when_marked')),
    sa.ForeignKeyConstraint(['marked_by'], ['users.id'], name=op.f('fk_engagement_steps_marked_by_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['engagement_plans.id'],
                            name=op.f('fk_engagement_steps_plan_id_engagement_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement_steps'))
    )
    with op.batch_alter_table('engagement_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_steps_plan_id'), ['plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('engagement_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_steps_plan_id'))

    op.drop_table('engagement_steps')
    with op.batch_alter_table('engagement_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_plans_patient_id'))
        batch_op.drop_index(batch_op.f('ix_engagement_plans_partner_id'))

    op.drop_table('engagement_plans')
    with op.batch_alter_table('outreach_sessions', schema=None) as batch_op:
        batch_op.drop_constraint('cancelled_with_reason', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_outreach_sessions_cancelled_by_users'), type_='foreignkey')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('cancelled_by')
