"""One-time submission tokens on the remaining creating forms.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 16:00:00

"""

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
