"""referral_fact_counts: referral_facts' additive counts per month received, pathway, IMD quintile and segment
value. Created empty: 0010 counts them (today's `recount` counts columns this revision does not have).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

COUNTED = ("referrals", "accepted", "rejected", "flagged", "flagged_triaged_on_time", "clarifications",
           "clarifications_on_time", "first_contacts", "attended", "dnas", "dnas_rebooked_in_14_days", "discharged",
           "dna_linked_discharges", "barrier_checks", "barrier_checks_completed", "adjustments_due", "adjustments_met",
           "re_referrals_within_90_days")


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


def downgrade():
    op.drop_table('referral_fact_counts')
