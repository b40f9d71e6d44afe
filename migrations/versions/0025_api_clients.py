"""FHIR API clients: api_clients keeps each system client's id, the hash of its secret and its scopes. Schema only:
a new table, no rows before this revision.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 02:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
    sa.UniqueConstraint('client_id', name=op.f('uq_api_clients_client_id'))
    )


def downgrade():
    op.drop_table('api_clients')
