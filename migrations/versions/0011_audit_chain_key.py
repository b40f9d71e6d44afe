"""Keyed event chain (HMAC-SHA-256 with a key held outside the database).

events.key_id names the key each new event is hashed with; the events already written keep NULL and verify with
plain SHA-256 as before (the switch point: the first keyed event, after which an unkeyed one is refused).

Both directions are a plain ALTER TABLE on both engines, not a batch copy: on SQLite a copy would drop the
append-only triggers, and on PostgreSQL the triggers and the grants of docs/operations.md stay with the table.
Downgrading drops the key ids, after which the keyed events no longer verify: restore a backup instead.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 16:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("events", sa.Column("key_id", sa.String(length=16), nullable=True))


def downgrade():
    op.drop_column("events", "key_id")
