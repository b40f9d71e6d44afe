"""`flask notify statuses`: ask GOV.UK Notify what became of each message sent in the last 7 days whose outcome is
not known yet, and record each answer (message_statuses.record_report), for a service that cannot take Notify's
callback or to catch up on callbacks missed.

A batch at a time: its messages are read, the transaction ends, Notify is asked, and the answers are recorded and
committed together. No transaction is open while Notify answers, so its delays never hold the event log's lock (or
SQLite's one writer) from the staff at work.
"""
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from notifications_python_client.errors import APIError
from requests import RequestException
from sqlalchemy.orm import Session

from inclusive_access.domain import message_statuses
from inclusive_access.domain.errors import InvalidInput

#: what asking Notify failed as: it is asked again on the next run
UNREACHABLE = "unreachable"


def poll(session: Session, fetch: Callable[[str], dict], now: datetime, batch: int = 100) -> Counter:
    """Ask `fetch` (NotificationsAPIClient.get_notification_by_id) about each message awaiting its outcome, record
    what it says, commit each batch: how many reports ended as each of record_report's answers, or UNREACHABLE."""
    counts: Counter = Counter()
    after = 0
    while found := message_statuses.awaiting(session, now, after, batch):
        session.rollback()  # the read's transaction ends before Notify is asked
        reports = []
        for _message_id, notify_id in found:
            try:
                reports.append(message_statuses.Report.from_notify(fetch(notify_id)))
            except (APIError, RequestException, InvalidInput):
                counts[UNREACHABLE] += 1
        for report in reports:
            counts[message_statuses.record_report(session, report, now)] += 1
        session.commit()
        after = found[-1][0]
    return counts
