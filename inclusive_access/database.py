"""Engine settings: connection pools sized from the configuration, the read replica's bind, and what makes SQLite
safe under several workers (WAL, busy timeout, BEGIN IMMEDIATE for writes), and the short read transaction that
waits for no writer."""
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

#: the bind key of the read replica that reports and exports read (replica.py)
REPLICA = "replica"

#: true while a read-only request runs: its transactions are reads (write_spool.py sets it)
READING: ContextVar[bool] = ContextVar("reading", default=False)
#: Connection.info key: this transaction began DEFERRED, so it must not write
DEFERRED = "began_deferred"
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def began_deferred(connection: Connection) -> bool:
    """Whether the connection's transaction began DEFERRED (a read), so a write in it could not wait for the lock."""
    return bool(connection.info.get(DEFERRED))


def engine_options(url: str, cfg) -> dict:
    """The pool of a PostgreSQL engine as configured (DB_POOL_*), and, behind a pooler in transaction mode, no
    prepared statements: psycopg prepares a query after its fifth run on one server connection, and the pooler may
    hand the next run to another connection that never saw it. SQLite keeps SQLAlchemy's defaults."""
    if make_url(url).get_backend_name() != "postgresql":
        return {}
    options = {"pool_size": cfg["DB_POOL_SIZE"], "max_overflow": cfg["DB_MAX_OVERFLOW"],
               "pool_recycle": cfg["DB_POOL_RECYCLE_SECONDS"], "pool_pre_ping": cfg["DB_POOL_PRE_PING"]}
    if cfg["DB_TRANSACTION_POOLING"]:
        options["connect_args"] = {"prepare_threshold": None}
    return options


def configure_engines(cfg) -> None:
    """Engine options for the primary (what SQLALCHEMY_ENGINE_OPTIONS names itself wins) and, when
    DATABASE_REPLICA_URL is set, the replica's bind with its own."""
    cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {**engine_options(cfg["SQLALCHEMY_DATABASE_URI"], cfg),
                                        **cfg["SQLALCHEMY_ENGINE_OPTIONS"]}
    if replica := cfg.get("DATABASE_REPLICA_URL"):
        cfg["SQLALCHEMY_BINDS"] = {**cfg.get("SQLALCHEMY_BINDS", {}),
                                   REPLICA: {"url": replica, **engine_options(replica, cfg)}}


def configure_engine_events(engine: Engine, busy_timeout_ms: int, read_only: bool = False) -> None:
    """On SQLite: pragmas on every connection; a transaction begins IMMEDIATE unless it is a read.

    A deferred transaction that reads and then writes cannot wait for the lock: in WAL mode it fails at once with
    "database is locked" (SQLITE_BUSY_SNAPSHOT) when another writer committed since its first read. BEGIN IMMEDIATE
    takes the write lock up front and waits for it, so every transaction that may write begins so: CLI commands,
    workers, the write spool's drain and requests that change something. Reads begin DEFERRED and never wait: a
    read-only request (READING), a connection with the execution option `read_snapshot` (a bulk export's long
    read, fhir/snapshot.py), and a `read_only` engine (a replica's). A write statement in a deferred transaction
    raises at once rather than failing only when another writer happens to hold the lock."""
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
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A replica's connections are query_only: the database itself refuses their writes.
        deferred = bool(conn.get_execution_options().get("read_snapshot")) or READING.get()
        conn.info[DEFERRED] = deferred
        conn.exec_driver_sql("BEGIN" if deferred or read_only else "BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_deferred_writes(conn, _cursor, statement, _parameters, _context, _executemany):
        if conn.info.get(DEFERRED) and _WRITE.match(statement):
            raise RuntimeError("a write in a read-only transaction: a request that writes must be a POST, or be "
                               "named in write_spool.WRITES_ON_GET")


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Session]:
    """A short read-only transaction on a connection of its own: DEFERRED on SQLite (`read_snapshot`), read only
    on PostgreSQL. It takes no lock a writer waits for, so a long job made of many of these stops nobody."""
    options: dict = {"read_snapshot": True}
    if engine.dialect.name == "postgresql":
        options["postgresql_readonly"] = True
    with engine.connect() as connection, Session(bind=connection.execution_options(**options)) as session:
        yield session
