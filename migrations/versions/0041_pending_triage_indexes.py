"""The equity dashboard leaves out of same-day triage the flagged referrals whose triage is not yet due, and out of
clarification within 24 hours the clarifications still within them: found from these indexes' short ranges of due
times still ahead, never from the period's referrals. Schema only.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07 18:30:00

"""

from alembic import op

revision = '0041'
down_revision = '0040'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_referral_facts_triage_due', 'referral_facts', ['triage_due_at'])
    op.create_index('ix_referral_facts_clarification_due', 'referral_facts', ['clarification_due_at'])


def downgrade():
    op.drop_index('ix_referral_facts_clarification_due', table_name='referral_facts')
    op.drop_index('ix_referral_facts_triage_due', table_name='referral_facts')
