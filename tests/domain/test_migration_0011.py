"""Migration 0011: the log written before it keeps verifying, every event after it is keyed, and the append-only
triggers and the app role's grants (docs/operations.md) survive it both ways."""
import uuid

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from inclusive_access.domain import event_chain
from inclusive_access.extensions import db
from inclusive_access.models import Event
from tests.domain.test_events import append, forge, refused, write_unkeyed

TRIGGERS = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'",
    "postgresql": "SELECT tgname || ':' || tgenabled::text FROM pg_trigger WHERE tgrelid = 'events'::regclass "
                  "AND NOT tgisinternal",
}


def guards(backend: str) -> tuple[set[str], str | None]:
    """The events table's triggers, and on PostgreSQL its grants."""
    with db.engine.connect() as conn:
        triggers = set(conn.scalars(text(TRIGGERS[backend])))
        grants = None if backend == "sqlite" else conn.scalar(text(
            "SELECT relacl::text FROM pg_class WHERE oid = 'events'::regclass"))
    return triggers, grants


def test_migration_0011_keeps_the_old_log_verifying_and_keys_every_event_after_it(blank_app, backend):
    role = f"app_{uuid.uuid4().hex[:8]}"
    upgrade(revision="0010")
    with db.engine.begin() as conn:
        write_unkeyed(conn, 3)
        if backend == "postgresql":
            conn.execute(text(f"CREATE ROLE {role}"))
            conn.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON events FROM {role}"))
            conn.execute(text(f"GRANT SELECT, INSERT ON events TO {role}"))
    before = guards(backend)
    assert len(before[0]) in (2, 3)

    upgrade()
    assert guards(backend) == before
    session = db.session
    append(session, 2, start=3)
    assert session.execute(select(Event.seq, Event.key_id).order_by(Event.seq)).all() == [
        (1, None), (2, None), (3, None), (4, "test"), (5, "test")]
    assert event_chain.verify(session).ok
    if backend == "postgresql":  # the app's role: INSERT reaches the new column, UPDATE stays refused
        session.execute(text(f"SET LOCAL ROLE {role}"))
        forge(session, 6, prev_hash=event_chain.checkpoint(session).hash, key_id="test")
        session.commit()
        session.execute(text(f"SET LOCAL ROLE {role}"))
        assert "permission denied" in refused(session, "UPDATE events SET key_id = NULL WHERE seq = 6")
        assert event_chain.verify(session).bad_seq == 6
    session.remove()

    downgrade(revision="0010")
    assert guards(backend) == before
    upgrade()
    assert guards(backend) == before
    if backend == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text(f"REVOKE ALL ON events FROM {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
