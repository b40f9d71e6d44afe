"""A consistent read of the whole database for a bulk export: one transaction that sees the database as it stood at
one instant, whatever is written meanwhile, and holds no lock that others wait for.

SQLite in WAL mode and PostgreSQL's REPEATABLE READ both fix a reader's snapshot at its first read. Taking that
first read while holding the event log's chain lock, which every commit takes to seal its events, fixes the log's
head: every event in the snapshot was sealed before, every later one after. An event is timed when recorded, before
its commit seals it, so `transaction_time` is the earlier of now and the start of the oldest transaction still open
(on SQLite none is: its writer holds the lock the gate takes). So a later export with this transaction_time as its
_since misses no change, and repeats only what transactions open at the snapshot recorded."""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from inclusive_access.domain import events
from inclusive_access.models import Event

#: when the oldest other transaction on this database began (PostgreSQL); SQLite has no such view, and needs none
_OLDEST_OPEN = text("SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")


@dataclass(frozen=True)
class Snapshot:
    #: reads only; its objects are the caller's to expunge once used
    session: Session
    transaction_time: datetime
    #: the event log's last seq in the snapshot
    head_seq: int


@contextmanager
def opened(engine: Engine, gate: Session) -> Iterator[Snapshot]:
    """A read-only session on its own connection, fixed at an instant taken under the chain lock. `gate` takes the
    lock (a write transaction) and is committed once the snapshot is fixed, so writers wait only for that moment."""
    options = {"read_snapshot": True}
    if engine.dialect.name == "postgresql":
        options |= {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with engine.connect() as connection, Session(bind=connection.execution_options(**options),
                                                 autoflush=False) as reader:
        gate.connection()  # SQLite: BEGIN IMMEDIATE, the write lock every append takes
        events.lock_chain(gate)  # PostgreSQL: no commit seals events meanwhile
        head = reader.scalar(select(func.coalesce(func.max(Event.seq), 0)))
        taken = datetime.now(UTC)
        if engine.dialect.name == "postgresql":
            taken = min(taken, gate.scalar(_OLDEST_OPEN) or taken)
        gate.commit()
        try:
            yield Snapshot(reader, taken, head)
        finally:
            reader.rollback()
