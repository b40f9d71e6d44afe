"""Messages and appointments for the equity of reach report: outbox rows written through outbox.queue(), as the
domain writes them, then given the status a sender and Notify's callbacks would have left (those are other
features; the report only reads the outcome)."""
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from inclusive_access.domain import appointments, outbox
from inclusive_access.models import Appointment, OutboxMessage, Referral
from tests import factories

#: each template's channel
CHANNELS = {"sms": "sms", "email": "email", "letter": "letter", "letter_large_print": "letter",
            "letter_easy_read": "letter"}
RECIPIENTS = {"sms": "07700900123", "email": "someone@example.invalid"}


def referral(session: Session, actor, decile: str = "5", **patient) -> Referral:
    """An accepted referral (received on factories.RECEIVED) of a patient in IMD `decile` ("" not known)."""
    return factories.accepted(session, actor, imd_decile=decile, **patient)


def appointment(session: Session, actor, of: Referral, starts_at: datetime, outcome: str | None) -> Appointment:
    """An appointment booked at triage for `starts_at`, and what happened (None: still booked), recorded an hour
    after it started."""
    booked = factories.book(session, actor, of, starts_at, now=factories.TRIAGED + timedelta(hours=1))
    if outcome is not None:
        reason = "Demo: unwell" if outcome.startswith("cancelled") else None
        appointments.record_outcome(session, actor, booked, booked.version, outcome, reason=reason,
                                    now=starts_at + timedelta(hours=1))
    # the report's tests write every message themselves: not the confirmation (or rebooking offer) the domain queued
    session.execute(delete(OutboxMessage).where(OutboxMessage.appointment_id == booked.id))
    return booked


def message(session: Session, kind: str, of: Referral | None, queued_at: datetime, status: str = "delivered",
            template: str | None = "sms", addressed_to: str = "patient", appointment: Appointment | None = None,
            sent_at: datetime | None = None, patient_id: int | None = None) -> OutboxMessage:
    """A message queued at `queued_at` and left in `status`: template None is withheld (no safe route); a message
    Notify accepted was sent `sent_at` (a minute after it was queued unless told)."""
    if template is None or status == "withheld":
        route = outbox.Withheld("No safe route recorded for the test", addressed_to)
    else:
        route = outbox.Route(CHANNELS[template], template, addressed_to, RECIPIENTS.get(CHANNELS[template]))
    key = f"test:{kind}:{appointment.id if appointment else ''}:{of.id if of else ''}:{queued_at.isoformat()}"
    row = outbox.queue(session, kind, key, patient_id or of.patient_id, route, queued_at,
                       referral_id=of.id if of and appointment is None else None,
                       appointment_id=appointment.id if appointment else None)
    if status not in ("queued", "withheld"):
        row.status, row.attempts, row.next_attempt_at = status, 1, None
        if status != "failed":  # Notify accepted it; "failed" was given up before that
            row.sent_at = sent_at or queued_at + timedelta(minutes=1)
            row.notify_id = f"00000000-0000-4000-8000-{row.id:012d}"
        if status not in ("sending", "sent"):
            row.status_at = (row.sent_at or queued_at) + timedelta(hours=1)
        if "failure" in status or status == "failed":
            row.error = "The test's failure"
    session.flush()
    return row


def reminder(session: Session, of: Appointment, status: str = "delivered", template: str = "sms",
             days_before: int = 1, sent_at: datetime | None = None) -> OutboxMessage:
    """An appointment_reminder queued `days_before` the appointment (sent a minute later unless told)."""
    referral = session.get(Referral, of.referral_id)
    return message(session, "appointment_reminder", referral, of.starts_at - timedelta(days=days_before), status,
                   template, appointment=of, sent_at=sent_at)
