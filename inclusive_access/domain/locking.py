"""Optimistic locking: flushing a versioned row that another transaction changed is a StaleRecord."""
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from inclusive_access.domain.errors import StaleRecord


def flush(session: Session, what: str) -> None:
    """Flush; if a version_id_col check fails (another save won the race), say which record changed."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleRecord(f"This {what} changed while you were saving.") from exc
