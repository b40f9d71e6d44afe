"""Locking records: flushing a versioned row that another transaction changed is a StaleRecord, and a command
claims the record it checks before it writes."""
from sqlalchemy import select
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
