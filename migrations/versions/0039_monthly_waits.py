"""Closed months' referral-to-first-contact figures (count, median, the gap interval's order statistics) per month
of first contact, pathway ("" for all) and IMD quintile (0 for everyone), stored by the equity sweep so the KPI's
charts stop reading every month's waits. Schema only: the sweep fills it.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06 21:40:00

"""

import sqlalchemy as sa
from alembic import op

revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'monthly_waits',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('pathway', sa.String(length=32), nullable=False),
        sa.Column('quintile', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('median', sa.Double(), nullable=True),
        sa.Column('lower', sa.Double(), nullable=True),
        sa.Column('upper', sa.Double(), nullable=True),
        sa.Column('stored_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'pathway', 'quintile', name=op.f('pk_monthly_waits')),
    )


def downgrade():
    op.drop_table('monthly_waits')
