"""Engine settings: connection pools sized from the configuration, the read replica's bind, and what makes SQLite
safe under several workers (WAL, busy timeout, BEGIN IMMEDIATE)."""
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

#: the bind key of the read replica that reports and exports read (replica.py)
REPLICA = "replica"


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
    """On SQLite: pragmas on every connection, and every transaction begins IMMEDIATE.

    A deferred transaction that reads and then writes cannot wait for the lock and fails at once
    with "database is locked"; BEGIN IMMEDIATE takes the write lock up front and waits for it.
    We take it for every transaction because requests that look read-only still log the view. A connection
    with the execution option `read_snapshot` (a bulk export's long read, fhir/snapshot.py) begins DEFERRED: it
    never writes, and holding the write lock for the whole read would stop every other writer. A `read_only`
    engine (a replica's) refuses writes and always begins DEFERRED.
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
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        deferred = read_only or conn.get_execution_options().get("read_snapshot")
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")
