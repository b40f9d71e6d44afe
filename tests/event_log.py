"""What the event log and the tables hold, read in a domain test's session: the log's head, the actions and
payloads written since, and row counts."""
import json
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inclusive_access.domain import events
from inclusive_access.models import Event


def head(session: Session) -> int:
    """The last event's sequence number (0 for an empty log), the transaction's events sealed first so that they
    count: `actions_since(session, head(session))` reads what came after."""
    events.seal(session)
    return session.scalar(select(func.max(Event.seq))) or 0


def actions_since(session: Session, seq: int) -> list[str]:
    """The actions of the events after `seq`, in order."""
    return list(session.scalars(select(Event.action).where(Event.seq > seq).order_by(Event.seq)))


def data_of(session: Session, action: str, since: int = 0) -> list[dict]:
    """The payloads of the `action` events after `since`, in order."""
    return [json.loads(d) for d in session.scalars(select(Event.data).where(Event.action == action, Event.seq > since)
                                                   .order_by(Event.seq))]


def count(session: Session, model, *where) -> int:
    """How many rows of `model` there are (that match `where`)."""
    return session.scalar(select(func.count()).select_from(model).where(*where))


@contextmanager
def nothing_written(session: Session):
    """The block leaves the event log as it was: its transaction is rolled back after it, and no event is new."""
    before = head(session)
    yield
    session.rollback()
    assert actions_since(session, before) == []
