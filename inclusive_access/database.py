"""Engine settings that make SQLite safe under several workers (WAL, busy timeout, BEGIN IMMEDIATE), and the short
read transaction that waits for no writer."""
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session


def configure_engine_events(engine: Engine, busy_timeout_ms: int) -> None:
    """On SQLite: pragmas on every connection, and every transaction begins IMMEDIATE.

    A deferred transaction that reads and then writes cannot wait for the lock and fails at once
    with "database is locked"; BEGIN IMMEDIATE takes the write lock up front and waits for it.
    We take it for every transaction because requests that look read-only still log the view. A connection
    with the execution option `read_snapshot` (a bulk export's long read, fhir/snapshot.py) begins DEFERRED: it
    never writes, and holding the write lock for the whole read would stop every other writer.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_snapshot") else "BEGIN IMMEDIATE")


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Session]:
    """A short read-only transaction on a connection of its own: DEFERRED on SQLite (`read_snapshot`), read only
    on PostgreSQL. It takes no lock a writer waits for, so a long job made of many of these stops nobody."""
    options: dict = {"read_snapshot": True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    with engine.connect() as connection, Session(bind=connection.execution_options(**options)) as session:
        yield session
