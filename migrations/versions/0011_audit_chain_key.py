"""Keyed event chain (HMAC-SHA-256 with a key held outside the database).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 16:00:00

"""

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
