"""The last three months' messages about appointments, in the outbox as a working service's would be: a
confirmation when booked and reminders 3 and 1 days before, each in the format the patient needs (easy read, large
print, through a carer or advocate), most delivered, some failed and some withheld for want of a safe route.

The demo's bookings queue their confirmations through the domain, in the format the patient's contact details and
booking script call for; reminders are added here for past appointments (the sweep reminds only of future ones),
and the statuses a sender and GOV.UK Notify would have left are set on the rows (no message is left waiting, so a
worker run against the demo sends nothing). Reminders reach more of the appointments
people kept than of those they missed, except for people who need an interpreter, whom an English reminder helps
less: the equity of reach page has a finding to show."""
import random
from datetime import datetime, timedelta

from sqlalchemy import String, cast, literal, select
from sqlalchemy.orm import Session

from inclusive_access.domain import outbox
from inclusive_access.domain.appointments import TOOK_PLACE
from inclusive_access.models import Appointment, OutboxMessage, Patient, Referral

#: how far back the demo's messages go
SINCE = timedelta(days=91)
REMINDER_DAYS = (3, 1)
#: a reminder reaches the person before the appointment: by whether it was kept, missed, or the person needs an
#: interpreter (either way)
REACHED = {"kept": 0.85, "missed": 0.45, "interpreter": 0.6}
FAILURES = ("permanent_failure", "temporary_failure", "technical_failure")


def _same_route(message: OutboxMessage) -> outbox.Route | outbox.Withheld:
    """The route a message took, for the reminders of the appointment it confirmed."""
    if message.status == "withheld":
        return outbox.Withheld(message.withheld_reason, message.addressed_to)
    return outbox.Route(message.channel, message.template, message.addressed_to, message.recipient,
                        message.personalisation)


def _settle(rng: random.Random, message, reached: bool, now: datetime) -> None:
    """The status Notify would have reported by `now`: delivered (a letter: sent, as Notify reports no delivery of
    post) if `reached`, else one of its failures or, now and then, given up before Notify accepted it."""
    if message is None or message.status == "withheld":
        return
    sent_at = min(now, message.queued_at + timedelta(minutes=rng.randint(1, 20)))
    message.attempts, message.next_attempt_at = 1, None
    if not reached and rng.random() < 0.15:
        message.status, message.error, message.attempts = "failed", "Demo: Notify unavailable after 5 tries", 5
        return
    message.sent_at, message.notify_id = sent_at, f"00000000-0000-4000-8000-{message.id:012d}"
    if reached:
        message.status = "sent" if message.channel == "letter" else "delivered"
    else:
        message.status, message.error = rng.choices(FAILURES, (5, 3, 1))[0], "Demo: not delivered"
    message.status_at = min(now, sent_at + timedelta(minutes=rng.randint(1, 90)))


def message_months(session: Session, rng: random.Random, now: datetime) -> None:
    """Reminders for the appointments booked in the last three months (SINCE), by the route their confirmation
    took, and what Notify would have made of every message the demo's bookings, missed appointments and
    clarifications queued."""
    query = (select(Appointment, Patient.interpreter_needed, OutboxMessage)
             .join(Referral, Referral.id == Appointment.referral_id).join(Patient, Patient.id == Referral.patient_id)
             .join(OutboxMessage, (OutboxMessage.appointment_id == Appointment.id)
                   & (OutboxMessage.dedupe_key == literal("confirmation:appointment:") + cast(Appointment.id, String)))
             .where(Appointment.booked_at >= now - SINCE).order_by(Appointment.id))
    for appointment, interpreter_needed, confirmation in session.execute(query).all():
        _settle(rng, confirmation, rng.random() < 0.93, now)
        side = "interpreter" if interpreter_needed else "missed" if appointment.status == "dna" else "kept"
        reminded = rng.random() < (REACHED[side] if appointment.status in TOOK_PLACE else REACHED["kept"])
        for days in REMINDER_DAYS:
            due = appointment.starts_at - timedelta(days=days)
            cancelled_by = appointment.outcome_recorded_at if appointment.status.startswith("cancelled") else None
            if appointment.booked_at <= due <= now and (cancelled_by is None or due < cancelled_by):
                key = f"reminder:appointment:{appointment.id}:{days}:{appointment.starts_at:%Y%m%dT%H%M}"
                reminder = outbox.queue(session, "appointment_reminder", key, confirmation.patient_id,
                                        _same_route(confirmation), due, referral_id=appointment.referral_id,
                                        appointment_id=appointment.id)
                _settle(rng, reminder, reminded, now)
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued")).all():
        _settle(rng, message, rng.random() < 0.9, now)
    session.flush()
