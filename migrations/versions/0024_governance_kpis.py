"""Governance for more than one equity KPI: governance_items and reported_kpi_months gain the KPI they are about,
one item per KPI, pathway and month. Every item and reported month before this revision was the wait gap's.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 03:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

KPI_CHECK = "kpi IN ('wait_gap', 'improvement_gap')"


def upgrade():
    with op.batch_alter_table('governance_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kpi', sa.String(length=24), nullable=False, server_default='wait_gap'))
        batch_op.drop_constraint('uq_governance_items_pathway_month', type_='unique')
        batch_op.create_unique_constraint('uq_governance_items_kpi_pathway_month', ['kpi', 'pathway', 'month'])
        batch_op.create_check_constraint('ck_governance_items_kpi', KPI_CHECK)
    with op.batch_alter_table('governance_items', schema=None) as batch_op:
        batch_op.alter_column('kpi', server_default=None)
    with op.batch_alter_table('reported_kpi_months', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kpi', sa.String(length=24), nullable=False, server_default='wait_gap'))
        batch_op.drop_constraint('pk_reported_kpi_months', type_='primary')
        batch_op.create_primary_key('pk_reported_kpi_months', ['kpi', 'pathway', 'month'])
        batch_op.create_check_constraint('ck_reported_kpi_months_kpi', KPI_CHECK)
    with op.batch_alter_table('reported_kpi_months', schema=None) as batch_op:
        batch_op.alter_column('kpi', server_default=None)


def downgrade():
    # The revision before holds one item and one reported month per pathway and month, the wait gap's: the other
    # KPIs' rows go (their governance events stay in the log, which says what each item was and what became of it).
    for name in ('governance_items', 'reported_kpi_months'):
        op.execute(f"DELETE FROM {name} WHERE kpi != 'wait_gap'")
    with op.batch_alter_table('reported_kpi_months', schema=None) as batch_op:
        batch_op.drop_constraint('ck_reported_kpi_months_kpi', type_='check')
        batch_op.drop_constraint('pk_reported_kpi_months', type_='primary')
        batch_op.create_primary_key('pk_reported_kpi_months', ['pathway', 'month'])
        batch_op.drop_column('kpi')
    with op.batch_alter_table('governance_items', schema=None) as batch_op:
        batch_op.drop_constraint('ck_governance_items_kpi', type_='check')
        batch_op.drop_constraint('uq_governance_items_kpi_pathway_month', type_='unique')
        batch_op.create_unique_constraint('uq_governance_items_pathway_month', ['pathway', 'month'])
        batch_op.drop_column('kpi')
