"""The last three months' messages about appointments, in the outbox as a working service's would be: a
confirmation when booked and reminders 3 and 1 days before, each in the format the patient needs (easy read, large
print, through a carer or advocate), most delivered, some failed and some withheld for want of a safe route.

Written through outbox.queue(); the statuses a sender and GOV.UK Notify would have left are set on the rows (no
message is left waiting, so a worker run against the demo sends nothing). Reminders reach more of the appointments
people kept than of those they missed, except for people who need an interpreter, whom an English reminder helps
less: the equity of reach page has a finding to show."""
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import outbox
from inclusive_access.domain.appointments import TOOK_PLACE
from inclusive_access.models import Appointment, Patient, Referral

#: how far back the demo's messages go
SINCE = timedelta(days=91)
REMINDER_DAYS = (3, 1)
#: a reminder reaches the person before the appointment: by whether it was kept, missed, or the person needs an
#: interpreter (either way)
REACHED = {"kept": 0.85, "missed": 0.45, "interpreter": 0.6}
FAILURES = ("permanent_failure", "temporary_failure", "technical_failure")
WITHHELD = ("Not safe to leave a message, and no other way to reach them is recorded",
            "No fixed address and no mobile number or email recorded")


def _route(rng: random.Random, needs: list, flags: list, appointment_id: int) -> outbox.Route | outbox.Withheld:
    """The route the booking script would give: the carer or advocate of those with a cognitive impairment or an
    advocate (and a few others); an easy read or large print letter for those who need one, else mostly text; no
    safe route for a few, more of them in unstable housing."""
    through_carer = "advocate" in needs or "cognitive" in flags or rng.random() < 0.03
    addressed_to = "carer" if through_carer else "patient"
    if rng.random() < (0.3 if "housing" in flags else 0.03):
        return outbox.Withheld(rng.choice(WITHHELD), addressed_to)
    if "easy_read" in needs or ("cognitive" in flags and rng.random() < 0.5):
        template = "letter_easy_read"
    elif "large_print" in needs or "blind_sight" in needs or rng.random() < 0.04:
        template = "letter_large_print"
    else:
        template = rng.choices(("sms", "email", "letter"), (70, 15, 15))[0]
    channel = template if template in ("sms", "email") else "letter"
    # Ofcom's drama range and a reserved domain: never a real person
    recipient = {"sms": f"07700 900{appointment_id % 1000:03d}",
                 "email": f"demo.{appointment_id}@example.invalid"}.get(channel)
    return outbox.Route(channel, template, addressed_to, recipient)


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
    """Messages about the appointments booked in the last three months (SINCE) that are due by `now`."""
    query = (select(Appointment.id, Appointment.referral_id, Appointment.starts_at, Appointment.booked_at,
                    Appointment.status, Appointment.outcome_recorded_at, Referral.patient_id, Referral.flags,
                    Patient.communication_needs, Patient.interpreter_needed)
             .join(Referral, Referral.id == Appointment.referral_id).join(Patient, Patient.id == Referral.patient_id)
             .where(Appointment.booked_at >= now - SINCE).order_by(Appointment.id))
    for row in session.execute(query).all():
        route = _route(rng, row.communication_needs or [], row.flags or [], row.id)
        ids = {"referral_id": row.referral_id, "appointment_id": row.id}
        confirmation = outbox.queue(session, "appointment_confirmation", f"confirmation:appointment:{row.id}",
                                    row.patient_id, route, row.booked_at, **ids)
        _settle(rng, confirmation, rng.random() < 0.93, now)
        side = "interpreter" if row.interpreter_needed else "missed" if row.status == "dna" else "kept"
        reminded = rng.random() < (REACHED[side] if row.status in TOOK_PLACE else REACHED["kept"])
        for days in REMINDER_DAYS:
            due = row.starts_at - timedelta(days=days)
            cancelled_by = row.outcome_recorded_at if row.status.startswith("cancelled") else None
            if row.booked_at <= due <= now and (cancelled_by is None or due < cancelled_by):
                reminder = outbox.queue(session, "appointment_reminder", f"reminder:appointment:{row.id}:{days}",
                                        row.patient_id, route, due, **ids)
                _settle(rng, reminder, reminded, now)
    session.flush()
