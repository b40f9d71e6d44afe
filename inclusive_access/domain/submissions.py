"""One-time form tokens: a form submitted again (double click, retry, resend) finds what its first submit made."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import events
from inclusive_access.domain.errors import DuplicateSubmission


def refuse_repeat(session: Session, model: type, token: str | None) -> None:
    """Take the append lock, then refuse a token already stored in `model`, naming the row its first submit added.

    The lock makes check-then-insert atomic on both engines (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory
    lock), so identical submits racing each other add one row; the unique column is the last line of defence.
    """
    events.lock_log(session)
    if token and (existing := session.scalar(select(model.id).where(model.submission_token == token))):
        raise DuplicateSubmission(existing)
