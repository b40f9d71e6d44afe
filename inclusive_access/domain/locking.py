"""Locking records: flushing a versioned row that another transaction changed is a StaleRecord, and a command
claims the record it checks before it writes."""
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from inclusive_access.domain.errors import StaleRecord


def flush(session: Session, what: str) -> None:
    """Flush; if a version_id_col check fails (another save won the race), say which record changed."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleRecord(f"This {what} changed while you were saving.") from exc


def claim(session: Session, row) -> None:
    """Lock `row` until the transaction ends and read it afresh: commands on one record queue behind each other,
    commands on different records run side by side (on SQLite the transaction's write lock already orders them)."""
    model = type(row)
    session.execute(select(model).where(model.id == row.id).with_for_update(of=model)
                    .execution_options(populate_existing=True))


#: PostgreSQL's advisory lock on the projection: writers of facts hold it shared, a rebuild step alone
PROJECTION_LOCK_KEY = 7_301_122


def share_projection(session: Session) -> None:
    """Hold the projection shared until the transaction ends: writers of facts run side by side, and none runs
    while a rebuild step (lock_projection) replaces the facts it reads from the log. SQLite's single writer
    already orders them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": PROJECTION_LOCK_KEY})


def lock_projection(session: Session) -> None:
    """Hold the projection alone until the transaction ends (a rebuild step): it waits for the writers of facts
    in progress, and new ones wait for it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PROJECTION_LOCK_KEY})
