"""Engine settings that make SQLite safe under several workers (WAL, busy timeout, BEGIN IMMEDIATE for writes)."""
import re
from contextvars import ContextVar

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine

#: true while a read-only request runs: its transactions are reads (write_spool.py sets it)
READING: ContextVar[bool] = ContextVar("reading", default=False)
#: Connection.info key: this transaction began DEFERRED, so it must not write
DEFERRED = "began_deferred"
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def began_deferred(connection: Connection) -> bool:
    """Whether the connection's transaction began DEFERRED (a read), so a write in it could not wait for the lock."""
    return bool(connection.info.get(DEFERRED))


def configure_engine_events(engine: Engine, busy_timeout_ms: int) -> None:
    """On SQLite: pragmas on every connection; a transaction begins IMMEDIATE unless it is a read.

    A deferred transaction that reads and then writes cannot wait for the lock: in WAL mode it fails at once with
    "database is locked" (SQLITE_BUSY_SNAPSHOT) when another writer committed since its first read. BEGIN IMMEDIATE
    takes the write lock up front and waits for it, so every transaction that may write begins so: CLI commands,
    workers, the write spool's drain and requests that change something. Reads begin DEFERRED and never wait: a
    read-only request (READING), and a connection with the execution option `read_snapshot` (a bulk export's
    long read, fhir/snapshot.py), which never writes. A write statement in a deferred transaction raises at once
    rather than failing only when another writer happens to hold the lock."""
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
        deferred = bool(conn.get_execution_options().get("read_snapshot")) or READING.get()
        conn.info[DEFERRED] = deferred
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_deferred_writes(conn, _cursor, statement, _parameters, _context, _executemany):
        if conn.info.get(DEFERRED) and _WRITE.match(statement):
            raise RuntimeError("a write in a read-only transaction: a request that writes must be a POST, or be "
                               "named in write_spool.WRITES_ON_GET")
