"""Indexes on referral_facts for the equity dashboard at scale: exact wait quantiles read by offset along an index
per segment (and per month of first contact and quintile, for the equity KPI), and a covering index for the
completeness panel.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:30:00

"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

WAIT_SEGMENTS = ("imd_quintile", "ethnic_group", "age_band", "sex", "flag_deprivation", "flag_housing",
                 "flag_cognitive", "flag_language", "flag_communication", "flag_carer")


def upgrade():
    with op.batch_alter_table('referral_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_facts_month_pathway')
        batch_op.drop_index('ix_referral_facts_first_contact_month')
        batch_op.create_index('ix_referral_facts_received',
                              ['received_month', 'pathway', 'ethnic_group', 'imd_quintile'], unique=False)
        for segment in WAIT_SEGMENTS:
            batch_op.create_index(f'ix_referral_facts_wait_{segment}',
                                  [segment, 'days_to_first_contact', 'received_month', 'pathway'], unique=False)
        batch_op.create_index('ix_referral_facts_first_contact_wait',
                              ['first_contact_month', 'imd_quintile', 'days_to_first_contact', 'pathway'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('referral_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_referral_facts_first_contact_wait')
        for segment in reversed(WAIT_SEGMENTS):
            batch_op.drop_index(f'ix_referral_facts_wait_{segment}')
        batch_op.drop_index('ix_referral_facts_received')
        batch_op.create_index('ix_referral_facts_first_contact_month', ['first_contact_month', 'pathway'],
                              unique=False)
        batch_op.create_index('ix_referral_facts_month_pathway', ['received_month', 'pathway'], unique=False)
