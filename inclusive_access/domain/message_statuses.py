"""What became of each message GOV.UK Notify accepted: its delivery status, reported by Notify's callback or found by
`flask notify statuses`, both through `record_status`.

A status is recorded once: the outbox row keeps it (status, status_at), the patient's timeline shows it (by the
system), and a permanent failure on the only route to the addressee opens a contact task for booking staff. Reports
can repeat (a callback retried, a poll after the callback) and arrive out of order, so a repeated report changes
nothing, and a final status (delivered, permanent or technical failure) is never overwritten: a temporary failure
reported after delivery is ignored. Notify's own in-progress statuses (created, sending, pending ...) change nothing.
"""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, contact_tasks, events
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.models import OutboxMessage

#: Notify's status -> the outbox's. A letter's last status is "received" (the printer has it to post): for a letter
#: that is as delivered as Notify can tell. A letter refused for its content or a virus scan is the service's
#: failure, not the route's, so it is technical, as Notify's own technical failure is.
OUTCOMES = {"delivered": "delivered", "received": "delivered", "permanent-failure": "permanent_failure",
            "temporary-failure": "temporary_failure", "technical-failure": "technical_failure",
            "validation-failed": "technical_failure", "virus-scan-failed": "technical_failure"}
#: Notify's statuses on the way to an outcome (an international text's "sent" is as far as Notify will know), and a
#: letter cancelled in Notify's own pages: they change nothing here
IN_PROGRESS = frozenset({"created", "sending", "pending", "sent", "accepted", "pending-virus-check", "cancelled"})
#: outcomes nothing overwrites
FINAL = frozenset({"delivered", "permanent_failure", "technical_failure"})
#: the outbox statuses of a message Notify has accepted (the sender records "sent" with Notify's id)
ACCEPTED = frozenset({"sent", "temporary_failure"}) | FINAL
#: what each failure is called on the timeline
FAILURES = {"permanent_failure": "permanent", "temporary_failure": "temporary", "technical_failure": "technical"}
#: how long after sending `flask notify statuses` keeps asking: Notify keeps a notification's status for 7 days
POLL_FOR = timedelta(days=7)
#: the largest outbox id (the column is PostgreSQL's INTEGER): a longer reference cannot name one
LARGEST_ID = 2**31 - 1

# What record_status and record_report did
RECORDED, REPEATED, LATE, IN_PROGRESS_ONLY = "recorded", "repeated", "late", "in_progress"
# record_report's refusals: no such message of ours, or Notify's report came before the sender recorded the send
UNKNOWN, NOT_SENT_YET = "unknown", "not_sent_yet"


@dataclass(frozen=True)
class Report:
    """One status report about one notification, from the callback's body or Notify's notification."""

    notify_id: str
    #: the reference the message was sent with: its outbox id
    reference: str | None
    status: str
    #: when Notify reached the outcome (completed_at), else when it sent it, else None (now)
    at: datetime | None

    @classmethod
    def from_notify(cls, body: object) -> "Report":
        """Read Notify's JSON (the callback's body, or get_notification_by_id's answer); InvalidInput if it is not
        one."""
        if not isinstance(body, dict) or not all(isinstance(body.get(key), str) for key in ("id", "status")):
            raise InvalidInput({"body": "Expected Notify's JSON with an id and a status"})
        reference = body.get("reference")
        return cls(notify_id=body["id"], reference=reference if isinstance(reference, str) else None,
                   status=body["status"], at=_when(body.get("completed_at")) or _when(body.get("sent_at")))


def _when(value: object) -> datetime | None:
    """Notify's times are UTC, e.g. 2026-12-06T18:40:01.000000Z; anything else is left out."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def record_status(session: Session, message: OutboxMessage, status: str, at: datetime | None = None,
                  now: datetime | None = None) -> str:
    """Record Notify's `status` for a message it accepted: RECORDED, or REPEATED (already so), LATE (a final status
    was recorded before), IN_PROGRESS_ONLY (nothing to record yet). InvalidInput for a status Notify does not send."""
    now = now or datetime.now(UTC)
    outcome = OUTCOMES.get(status)
    if outcome is None:
        if status in IN_PROGRESS:
            return IN_PROGRESS_ONLY
        raise InvalidInput({"status": f"Not a status GOV.UK Notify reports: {status!r}"})
    events.lock_log(session)
    session.refresh(message)  # read after the lock: a report recorded meanwhile (callback and poll) is seen
    if message.status == outcome:
        return REPEATED
    if message.status in FINAL:
        return LATE
    message.status, message.status_at = outcome, at or now
    session.flush()
    data = {"message_id": message.id, "kind": message.kind, "channel": message.channel, "template": message.template,
            "addressed_to": message.addressed_to, "reported_at": message.status_at.isoformat()}
    if outcome == "delivered":
        action = actions.MESSAGE_DELIVERED
    else:
        action, data["failure"] = actions.MESSAGE_DELIVERY_FAILED, FAILURES[outcome]
    events.record(session, SYSTEM, action, "outbox_message", message.id, patient_id=message.patient_id,
                  referral_id=message.referral_id, now=now, data=data)
    if outcome == "permanent_failure":
        contact_tasks.open_for_failure(session, message, now)
    return RECORDED


def record_report(session: Session, report: Report, now: datetime | None = None) -> str:
    """Find the report's message by its reference (the outbox id) and record its status, as record_status.

    UNKNOWN when no message of ours has that reference, or ours was accepted under another Notify id (a report about
    another environment's message with the same reference); NOT_SENT_YET when the sender has not yet recorded that
    Notify accepted it (Notify's callback is retried, and the report will find it then)."""
    reference = report.reference or ""
    if not reference.isdigit() or int(reference) > LARGEST_ID:
        return UNKNOWN
    message = session.get(OutboxMessage, int(reference))
    if message is None or (message.notify_id is not None and message.notify_id != report.notify_id):
        return UNKNOWN
    if message.status not in ACCEPTED:
        return NOT_SENT_YET
    return record_status(session, message, report.status, report.at, now)


def awaiting(session: Session, now: datetime, after_id: int = 0, limit: int = 100) -> list[tuple[int, str]]:
    """(outbox id, Notify id) of messages sent in the last 7 days whose outcome is not known yet (sent, or failed
    for now), in id order after `after_id`: what `flask notify statuses` asks Notify about, a batch at a time.
    Reads ix_outbox_messages_due, which leads with the status."""
    return [(row.id, row.notify_id) for row in session.execute(
        select(OutboxMessage.id, OutboxMessage.notify_id)
        .where(OutboxMessage.status.in_(("sent", "temporary_failure")), OutboxMessage.sent_at >= now - POLL_FOR,
               OutboxMessage.notify_id.is_not(None), OutboxMessage.id > after_id)
        .order_by(OutboxMessage.id).limit(limit))]
