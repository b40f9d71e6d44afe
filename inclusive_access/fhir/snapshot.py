"""A consistent read of the whole database for a bulk export: one transaction that sees the database as it stood at
one instant, whatever is written meanwhile, and holds no lock that others wait for.

SQLite in WAL mode and PostgreSQL's REPEATABLE READ both fix a reader's snapshot at its first read. Taking that
first read while holding the event log's append lock makes the instant exact: every event in the snapshot was
appended (and timed, under the same lock) before `transaction_time`, and every event after it is appended and timed
after. So a later export with this transaction_time as its _since misses no change and repeats none of the log's."""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inclusive_access.domain import events
from inclusive_access.models import Event


@dataclass(frozen=True)
class Snapshot:
    #: reads only; its objects are the caller's to expunge once used
    session: Session
    transaction_time: datetime
    #: the event log's last seq in the snapshot
    head_seq: int


@contextmanager
def opened(engine: Engine, gate: Session) -> Iterator[Snapshot]:
    """A read-only session on its own connection, fixed at an instant taken under the append lock. `gate` takes the
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
        gate.commit()
        try:
            yield Snapshot(reader, taken, head)
        finally:
            reader.rollback()
