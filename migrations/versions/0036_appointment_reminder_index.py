"""Appointment reminders: an index on appointments by status and start, so the nightly reminder sweep reads only the
booked appointments of the days it reminds, never every appointment there has been. Schema only.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 18:50:00

"""

from alembic import op

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_appointments_status_starts', 'appointments', ['status', 'starts_at'])


def downgrade():
    op.drop_index('ix_appointments_status_starts', table_name='appointments')
