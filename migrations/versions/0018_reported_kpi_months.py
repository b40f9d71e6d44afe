"""Restated KPI months: reported_kpi_months keeps each closed equity KPI month as the sweep first reported it, and
a governance item that arose from a restatement keeps when its month was first reported and the gap it showed.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 14:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reported_kpi_months',
    sa.Column('pathway', sa.String(length=32), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('first_reported_at', sa.DateTime(), nullable=False),
    sa.Column('gap_days', sa.Double(), nullable=True),
    sa.Column('q1_n', sa.Integer(), nullable=False),
    sa.Column('q5_n', sa.Integer(), nullable=False),
    sa.Column('judged', sa.Boolean(), nullable=False),
    sa.Column('breach', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('pathway', 'month', name=op.f('pk_reported_kpi_months'))
    )
    with op.batch_alter_table('governance_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_reported_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_reported_gap_days', sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table('governance_items', schema=None) as batch_op:
        batch_op.drop_column('first_reported_gap_days')
        batch_op.drop_column('first_reported_at')
    op.drop_table('reported_kpi_months')
