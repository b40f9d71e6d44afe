"""One-time submission tokens on the remaining creating forms.

Adjustments, barrier-check and clarification contact attempts, safeguarding actions and audit samples get the
unique `submission_token` the other creating forms' rows already have, so a repeated submit finds the first row.
Existing rows keep NULL (unique allows any number of NULLs on both engines).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 16:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ('reasonable_adjustments', 'barrier_contact_attempts', 'contact_attempts', 'safeguarding_actions',
          'audit_samples')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('submission_token', sa.String(length=64), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_submission_token'), ['submission_token'])


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_submission_token'), type_='unique')
            batch_op.drop_column('submission_token')
