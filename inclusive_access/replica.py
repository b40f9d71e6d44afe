"""The session reports and exports read from: a read-only one on the read replica (DATABASE_REPLICA_URL), or the
primary's own session when there is none.

Only aggregate reads of the projection belong here. A request that writes (a view logged, an event recorded) writes
through db.session, to the primary; worklists, records and anything a person acts on read the primary too, because
a replica may lag it by seconds (docs/operations.md, "Where one machine is outgrown")."""
from flask import Flask, g
from sqlalchemy.orm import Session

from inclusive_access.database import REPLICA, configure_engine_events
from inclusive_access.extensions import db


def init_app(app: Flask) -> None:
    """A replica's engine refuses writes; each request's replica session is closed with its app context."""
    with app.app_context():
        if REPLICA in db.engines:
            configure_engine_events(db.engines[REPLICA], app.config["SQLITE_BUSY_TIMEOUT_MS"], read_only=True)

    @app.teardown_appcontext
    def _close(_exc):
        if (session := g.pop("replica_session", None)) is not None:
            session.close()


def session() -> Session:
    """This request's session for reports: the replica's (read-only, so nothing can write to it), or db.session."""
    if REPLICA not in db.engines:
        return db.session
    if "replica_session" not in g:
        engine = db.engines[REPLICA]
        if engine.dialect.name == "postgresql":
            engine = engine.execution_options(postgresql_readonly=True)
        g.replica_session = Session(bind=engine, autoflush=False)
    return g.replica_session
