"""Events sealed at commit: a transaction appends its events unsealed (a placeholder seq at or above 2**30, no
hash) and gives them their place in the chain as it commits. The append-only guards now let exactly that through:
an UPDATE of an unsealed event that sets its seq below 2**30 and changes no stored field but seq, prev_hash and
hash. A sealed event stays unchangeable. PostgreSQL draws placeholders from a sequence, unique among concurrent
transactions. Schema only.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06 21:40:00

"""

from alembic import op

revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None

#: placeholders are at or above this; chain positions below it (inclusive_access.domain.events.UNSEALED)
UNSEALED = 2 ** 30
_SAME = ("occurred_at", "actor_id", "actor_role", "action", "entity_type", "entity_id", "patient_id",
         "referral_id", "data", "key_id")


def _sealing(distinct: str) -> str:
    """The condition that an UPDATE only seals an unsealed event."""
    same = " AND ".join(f"NEW.{c} {distinct} OLD.{c}" for c in _SAME)
    return f"OLD.seq >= {UNSEALED} AND NEW.seq < {UNSEALED} AND {same}"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE SEQUENCE events_unsealed_seq MINVALUE {UNSEALED} MAXVALUE {2 ** 31 - 1} NO CYCLE")
        op.execute(f"""
            CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND {_sealing("IS NOT DISTINCT FROM")} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'events are append-only (% refused)', TG_OP;
            END $$""")
    else:
        op.execute("DROP TRIGGER events_no_update")
        op.execute(f"CREATE TRIGGER events_no_update BEFORE UPDATE ON events WHEN NOT ({_sealing('IS')}) "
                   "BEGIN SELECT RAISE(ABORT, 'events are append-only (UPDATE refused)'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'events are append-only (% refused)', TG_OP;
            END $$""")
        op.execute("DROP SEQUENCE events_unsealed_seq")
    else:
        op.execute("DROP TRIGGER events_no_update")
        op.execute("CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
                   "BEGIN SELECT RAISE(ABORT, 'events are append-only (UPDATE refused)'); END")
