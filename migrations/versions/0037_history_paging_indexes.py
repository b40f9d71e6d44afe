"""Pages that grow with history: indexes for the referral list's keyset paging, newest first, one for each of its
filters and each ending in (received_at, id), replacing the pathway index it makes redundant and the state and flagged
indexes it extends; and one for what a user viewed in a period (actor, action, occurred_at, seq). Schema only.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06 19:50:00

"""

from alembic import op

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_referrals_received', 'referrals', ['received_at', 'id'])
    op.create_index('ix_referrals_pathway_received', 'referrals', ['pathway_id', 'received_at', 'id'])
    op.drop_index('ix_referrals_pathway_id', table_name='referrals')
    for name, column in (('ix_referrals_state_received', 'state'), ('ix_referrals_flagged_received', 'flagged')):
        op.drop_index(name, table_name='referrals')
        op.create_index(name, 'referrals', [column, 'received_at', 'id'])
    op.create_index('ix_events_actor_action_occurred', 'events', ['actor_id', 'action', 'occurred_at', 'seq'])


def downgrade():
    op.drop_index('ix_events_actor_action_occurred', table_name='events')
    for name, column in (('ix_referrals_state_received', 'state'), ('ix_referrals_flagged_received', 'flagged')):
        op.drop_index(name, table_name='referrals')
        op.create_index(name, 'referrals', [column, 'received_at'])
    op.create_index('ix_referrals_pathway_id', 'referrals', ['pathway_id'])
    op.drop_index('ix_referrals_pathway_received', table_name='referrals')
    op.drop_index('ix_referrals_received', table_name='referrals')
