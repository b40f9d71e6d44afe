"""Questionnaires due: an index on referrals by state and discharge time, so the worklist reads only those discharged
within its window (30 days), never every discharge there has been.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 02:40:00

"""

from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_referrals_state_discharged', 'referrals', ['state', 'discharged_at'])


def downgrade():
    op.drop_index('ix_referrals_state_discharged', table_name='referrals')
