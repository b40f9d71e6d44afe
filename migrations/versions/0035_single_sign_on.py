"""Single sign-on: the identity (issuer and subject) a staff account signs in with through an OpenID Connect
provider, unique per provider, and the ID token a session was signed in with, sent back to the provider as the hint
when the session signs out. Schema only.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 18:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_issuer', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('identity_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(op.f('uq_users_identity'), ['identity_issuer', 'identity_subject'])
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_token_hint', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('id_token_hint')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_users_identity'), type_='unique')
        batch_op.drop_column('identity_subject')
        batch_op.drop_column('identity_issuer')
