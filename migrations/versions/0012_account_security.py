"""Account security: temporary passwords a user must replace, and the sign-in counters (per source address, per
account name, per account at a source) that replace the per-account failure count and lock.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 16:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttles',
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('window_started_at', sa.DateTime(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('throttled_at', sa.DateTime(), nullable=True),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('succeeded_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("scope IN ('source', 'account', 'pair')", name=op.f('ck_login_throttles_scope')),
    sa.PrimaryKeyConstraint('scope', 'account', 'source', name=op.f('pk_login_throttles'))
    )
    # The counters start from nothing: a lock in force at the upgrade lapses with it (it had at most
    # LOGIN_LOCKOUT_MINUTES to run), as the old count could not say from which address its failures came.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.drop_column('must_change_password')
    op.drop_table('login_throttles')
