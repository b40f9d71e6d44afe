"""Sending the outbox through GOV.UK Notify, at most once: claim what is due, try it, record what happened.

Three steps, each its own transaction, so that no transaction is open while Notify is called (on SQLite every
transaction holds the write lock) and a crash at any point leaves a state the next run can finish:

1. `claim` marks a batch `sending`, counts the attempt and takes a snapshot of each message; the caller commits.
2. `deliver` calls Notify through a gateway (inclusive_access/notify/gateway.py) with the outbox id as reference,
   touching no database. Before any attempt after the first (the one before it may have reached Notify and then
   timed out, or its worker may have died before recording), it first asks Notify for that reference.
3. `record` writes the outcome: sent (message.sent on the patient's timeline), due again later with exponential
   backoff, or failed (message.failed); the caller commits.

A worker that dies between 1 and 3 leaves its messages `sending`; once the lease is over the next run claims them
again, finds at Notify the ones that were sent (recorded sent with Notify's id, never sent twice) and sends the rest.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.models import Appointment, OutboxMessage

#: how long a claimed message may stay `sending` before its worker is taken to have died (a send takes seconds: the
#: client's timeout is 30 s)
LEASE = timedelta(minutes=10)
#: messages claimed at a time, so a second worker finds the rest while the first works through its batch
BATCH = 50
#: attempts at Notify before a message that keeps failing for a passing reason is given up as failed; with the
#: backoff below the last is about five hours after the first, within the 7 days Notify keeps a reference findable
MAX_ATTEMPTS = 10
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
#: messages that tell someone when to come: pointless, even misleading, once the appointment is over or cancelled
ABOUT_A_TIME = ("appointment_confirmation", "appointment_reminder")
OVERTAKEN = "Not sent: the appointment had taken place, begun or been cancelled before the message could go"


class NotifyRefused(Exception):
    """Notify refused a request or could not be reached; `retryable` when a later attempt may succeed (no
    connection, a timeout, 429 rate limit, 5xx), not when the request itself is wrong (400)."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class NotifyUnauthorised(Exception):
    """Notify refused the API key (403). Every message would fail alike, so the run stops and says so, and the
    messages it claimed are put back untouched, rather than each one failing for the service's fault."""


@dataclass(frozen=True)
class Claim:
    """A claimed message as it was when claimed, so Notify is called with no transaction open."""

    id: int
    kind: str
    channel: str
    template: str
    addressed_to: str
    recipient: str | None
    personalisation: dict
    #: this attempt's number, counted when claimed so a crash counts too
    attempt: int
    claimed_at: datetime

    @property
    def reference(self) -> str:
        """Notify's reference: the outbox id, which is how a message is found again after a crash."""
        return str(self.id)


class Gateway(Protocol):
    def send(self, message: Claim, template_id: str) -> str:
        """Send the message; Notify's notification id. Raises NotifyRefused or NotifyUnauthorised."""

    def find(self, reference: str) -> str | None:
        """The id of a notification already sent with this reference, if any."""


@dataclass(frozen=True)
class Sent:
    notify_id: str


@dataclass(frozen=True)
class NotSent:
    error: str
    retryable: bool


def claim(session: Session, now: datetime, limit: int = BATCH, lease: timedelta = LEASE) -> list[Claim]:
    """Mark up to `limit` messages `sending` for this worker: first those whose worker died (sending longer than
    `lease`), then those due (queued, next attempt by `now`), oldest first. Only flushes: the caller commits before
    calling Notify, so the claim survives a crash.

    Both reads use ix_outbox_messages_due (status, next_attempt_at). On PostgreSQL `FOR UPDATE SKIP LOCKED` keeps two
    workers off each other's rows, and a row claimed and committed by one no longer matches for the other; SQLite
    has one writer at a time (every transaction begins IMMEDIATE), so its claims cannot interleave at all.
    """
    stale = (select(OutboxMessage.id)
             .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at <= now - lease)
             .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
             .with_for_update(skip_locked=True))
    ids = list(session.scalars(stale))
    if len(ids) < limit:
        due = (select(OutboxMessage.id)
               .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
               .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit - len(ids))
               .with_for_update(skip_locked=True))
        ids += _withhold_overtaken(session, list(session.scalars(due)), now)
    if not ids:
        return []
    session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                    .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1))
    claimed = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                              .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                              .execution_options(populate_existing=True))
    return [Claim(m.id, m.kind, m.channel, m.template, m.addressed_to, m.recipient, dict(m.personalisation or {}),
                  m.attempts, m.claimed_at) for m in claimed]


def _withhold_overtaken(session: Session, ids: list[int], now: datetime) -> list[int]:
    """Withhold the due messages about an appointment that is no longer booked or has begun (a worker that was down
    past it, or a booking cancelled after its confirmation was queued); the rest of `ids`, to claim."""
    overtaken = set(session.scalars(
        select(OutboxMessage.id).join(Appointment, Appointment.id == OutboxMessage.appointment_id)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.kind.in_(ABOUT_A_TIME),
               or_(Appointment.status != "booked", Appointment.starts_at <= now)))) if ids else set()
    if overtaken:
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(overtaken))
                        .values(status="withheld", withheld_reason=OVERTAKEN, next_attempt_at=None))
    return [i for i in ids if i not in overtaken]


def deliver(message: Claim, gateway: Gateway, template_id: str | None) -> Sent | NotSent:
    """Send one claimed message, unless Notify already has it. No database: call it with no transaction open.

    NotifyUnauthorised is not caught: the caller puts its claims back (`release`) and stops.
    """
    try:
        if message.attempt > 1 and (notify_id := gateway.find(message.reference)):
            return Sent(notify_id)
        if template_id is None:
            return NotSent(f"No Notify template is set for {message.kind} {message.template}: add it to "
                           "NOTIFY_TEMPLATES (docs/operations.md)", retryable=False)
        if message.attempt > MAX_ATTEMPTS:  # a worker died on the last attempt, and Notify does not have it
            return NotSent(f"Given up after {MAX_ATTEMPTS} attempts", retryable=False)
        return Sent(gateway.send(message, template_id))
    except NotifyRefused as refused:
        return NotSent(str(refused), refused.retryable)


def record(session: Session, message: Claim, outcome: Sent | NotSent, now: datetime) -> str | None:
    """Record the outcome of one claimed message: "sent", "retry" (due again after a backoff) or "failed", with
    sent and failed on the patient's timeline. None, and nothing written, when the message is no longer this claim's
    (its lease ran out and another worker claimed it, which will find it at Notify). Only flushes."""
    events.lock_log(session)
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.id == message.id).with_for_update()
                         .execution_options(populate_existing=True))
    if row.status != "sending" or row.claimed_at != message.claimed_at:
        return None
    if isinstance(outcome, Sent):
        row.status, row.notify_id, row.sent_at, row.error = "sent", outcome.notify_id, now, None
        _event(session, row, actions.MESSAGE_SENT, now)
        return "sent"
    row.error = outcome.error
    if outcome.retryable and message.attempt < MAX_ATTEMPTS:
        row.status, row.claimed_at = "queued", None
        row.next_attempt_at = now + min(BACKOFF_BASE * 2 ** message.attempt, BACKOFF_CAP)
        session.flush()
        return "retry"
    if outcome.retryable:
        row.error = f"Given up after {message.attempt} attempts; the last: {outcome.error}"
    row.status = "failed"
    _event(session, row, actions.MESSAGE_FAILED, now, error=row.error)
    return "failed"


def release(session: Session, messages: list[Claim]) -> None:
    """Put claimed messages back as they were before the claim (due, the attempt not counted): the run stopped
    before trying them, for a reason that was not theirs. Only flushes."""
    for message in messages:
        session.execute(update(OutboxMessage)
                        .where(OutboxMessage.id == message.id, OutboxMessage.status == "sending",
                               OutboxMessage.claimed_at == message.claimed_at)
                        .values(status="queued", claimed_at=None, attempts=OutboxMessage.attempts - 1))


def _event(session: Session, row: OutboxMessage, action: str, now: datetime, **extra) -> None:
    """The outcome on the patient's (and the referral's) timeline: which message went how to whom, at which attempt;
    never its personalisation, which stays on the outbox row."""
    session.flush()
    events.record(session, SYSTEM, action, "outbox_message", row.id, patient_id=row.patient_id,
                  referral_id=row.referral_id, now=now,
                  data={"kind": row.kind, "channel": row.channel, "template": row.template,
                        "addressed_to": row.addressed_to, "attempt": row.attempts, **extra})
