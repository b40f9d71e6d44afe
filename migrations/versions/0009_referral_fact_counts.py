"""referral_fact_counts: referral_facts' additive counts per month received, pathway, IMD quintile and segment
value, counted from the facts already there by the same SQL as `flask facts rebuild` (domain.fact_counts).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:50:00

"""
import sqlalchemy as sa
from alembic import op

from inclusive_access.domain.fact_counts import COUNTED, recount

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('referral_fact_counts',
    sa.Column('received_month', sa.String(length=7), nullable=False),
    sa.Column('pathway', sa.String(length=32), nullable=False),
    sa.Column('imd_quintile', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('segment', sa.String(length=24), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTED),
    sa.PrimaryKeyConstraint('received_month', 'pathway', 'imd_quintile', 'segment', 'value',
                            name=op.f('pk_referral_fact_counts'))
    )
    recount(op.get_bind())


def downgrade():
    op.drop_table('referral_fact_counts')
