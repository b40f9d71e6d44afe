"""Web CSV import: staged uploads, their row errors and progress.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:00:00

"""

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
