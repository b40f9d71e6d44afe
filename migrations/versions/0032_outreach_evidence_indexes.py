"""The outreach evidence: indexes on minimum records by when the person was seen and by the follow-up date planned,
so the report reads only the period's records, never every record there has been. Schema only.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 05:30:00

"""

from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_outreach_records_seen_at', 'outreach_records', ['seen_at'])
    op.create_index('ix_outreach_records_follow_up_on', 'outreach_records', ['follow_up_on'])


def downgrade():
    op.drop_index('ix_outreach_records_follow_up_on', table_name='outreach_records')
    op.drop_index('ix_outreach_records_seen_at', table_name='outreach_records')
