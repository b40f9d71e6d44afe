"""Worklist order: indexes for today-first worklists and paging.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:00:00

"""

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    # Clarifications list by due time alone (overdue, due today, later); the sweep keeps ix_clarifications_open_due.
    op.create_index('ix_clarifications_open_by_due', 'clarifications', ['closed_at', 'due_at'])
    # Barrier checks list by their rebooking deadline, which runs from the missed appointment, not the check.
    op.create_index('ix_barrier_checks_open_by_missed', 'barrier_checks', ['completed_at', 'missed_at'])
    op.drop_index('ix_barrier_checks_open', table_name='barrier_checks')


def downgrade():
    op.create_index('ix_barrier_checks_open', 'barrier_checks', ['completed_at', 'opened_at'])
    op.drop_index('ix_barrier_checks_open_by_missed', table_name='barrier_checks')
    op.drop_index('ix_clarifications_open_by_due', table_name='clarifications')
