"""The sending worker behind `flask notify send`: one pass over the outbox, committing as it goes.

Unlike a request, which commits once, the worker commits the claim before calling Notify and each outcome as soon
as it is known (domain/notify_sending.py says why the steps are apart). Committing per message means a crash loses
at most the message in flight, which the next run settles by its reference, and no transaction, so on SQLite no
write lock, is held while Notify answers.
"""
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import notify_sending
from inclusive_access.domain.outbox import MessageSettings


def send_due(session: Session, gateway: notify_sending.Gateway, settings: MessageSettings,
             clock: Callable[[], datetime] = lambda: datetime.now(UTC),
             batch: int = notify_sending.BATCH) -> Counter:
    """Send what is due, a batch at a time, until nothing is; how many were sent, put back to retry, failed.

    Raises NotifyUnauthorised, after putting back what it had claimed and not yet tried, when Notify refuses the
    key: a key problem is the service's to fix, not each message's to fail for.
    """
    tally = Counter(sent=0, retry=0, failed=0)
    while True:
        claims = notify_sending.claim(session, clock(), batch)
        session.commit()
        if not claims:
            return tally
        for n, message in enumerate(claims):
            try:
                outcome = notify_sending.deliver(message, gateway,
                                                 settings.template_id(message.kind, message.template))
            except notify_sending.NotifyUnauthorised:
                notify_sending.release(session, claims[n:])
                session.commit()
                raise
            result = notify_sending.record(session, message, outcome, clock())
            session.commit()
            if result:
                tally[result] += 1
