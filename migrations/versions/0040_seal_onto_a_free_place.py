"""SQLite: a seal may only give an unsealed event a place no event holds. `UPDATE OR REPLACE` resolves a clash on
the primary key (seq) or the unique hash by deleting the row that holds it, and SQLite fires no DELETE trigger for
that: 0038's guard let such an update "seal" an unsealed row onto a sealed event's seq and so remove the event. The
guard now refuses a seal onto a seq or hash that another event holds. PostgreSQL has no such update (its guard
function is unchanged). Schema only.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07 18:10:00

"""

from alembic import op

revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None

#: 0038's condition (its `_sealing('IS')`, frozen here): an UPDATE that only seals an unsealed event
_SEALS = ("OLD.seq >= 1073741824 AND NEW.seq < 1073741824 AND "
          + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in ("occurred_at", "actor_id", "actor_role", "action",
                                                         "entity_type", "entity_id", "patient_id", "referral_id",
                                                         "data", "key_id")))
_FREE = "NOT EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq OR hash = NEW.hash)"


def _guard(allowed: str) -> None:
    op.execute("DROP TRIGGER events_no_update")
    op.execute(f"CREATE TRIGGER events_no_update BEFORE UPDATE ON events WHEN NOT ({allowed}) "
               "BEGIN SELECT RAISE(ABORT, 'events are append-only (UPDATE refused)'); END")


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        _guard(f"{_SEALS} AND {_FREE}")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _guard(_SEALS)
