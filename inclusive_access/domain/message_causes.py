"""The events that call for a message, and the message each queues in the outbox, in the event's transaction.

- an appointment booked, or moved to a new time: its confirmation (appointment_confirmation);
- an appointment missed (recorded as did not attend at the time; not a past contact recorded afterwards): an offer
  to rebook (rebooking_offer);
- a clarification asked of the referrer by email: the question, to the referrer's email address
  (clarification_request);
- `flask notify remind` (and the nightly `flask sla sweep`): a reminder for each appointment still booked that
  starts the configured number of London calendar days ahead (appointment_reminder). A cancelled appointment is no
  longer booked, so gets none; a moved one gets reminders for its new time only.

Each message's dedupe key names its cause, so calling twice for one cause queues one message. Where and how each
goes is domain.message_routes' decision.
"""
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, lazyload

from inclusive_access.domain import events, outbox
from inclusive_access.domain.clocks import LONDON
from inclusive_access.domain.contact_details import EMAIL
from inclusive_access.domain.message_routes import display_name, london_date, london_time, route_for
from inclusive_access.domain.outbox import MessageSettings, Route, Withheld
from inclusive_access.models import Appointment, Clarification, Event, OutboxMessage, Patient, Referral

DEFAULT_SETTINGS = MessageSettings()
#: the appointment formats in words, for messages (domain.appointments.FORMATS, in lower case where it reads so)
_FORMATS = {"clinic": "At the clinic", "telephone": "By telephone", "telephone_interpreter":
            "By telephone, with an interpreter", "video": "By video call", "home_visit": "At your home",
            "community_venue": "At a community venue"}


def _appointment_fields(appointment: Appointment) -> dict:
    return {"appointment_date": london_date(appointment.starts_at),
            "appointment_time": london_time(appointment.starts_at),
            "appointment_format": _FORMATS[appointment.format], "appointment_place": appointment.place or ""}


def _patient(session: Session, referral: Referral) -> Patient:
    """The referral's patient, without the adjustments and concerns a page shows with them (a message needs
    neither, and a sweep or the demo would load them for every message)."""
    return session.get(Patient, referral.patient_id, options=[lazyload("*")])


def _queue_about(session: Session, kind: str, key: str, appointment: Appointment, referral: Referral,
                 settings: MessageSettings, now: datetime, cause: Event | None) -> OutboxMessage | None:
    patient = _patient(session, referral)
    route = route_for(session, patient, referral, settings, _appointment_fields(appointment))
    return outbox.queue(session, kind, key, patient.id, route, now, referral_id=referral.id,
                        appointment_id=appointment.id, cause=cause)


def appointment_booked(session: Session, appointment: Appointment, referral: Referral, event: Event,
                       settings: MessageSettings, now: datetime) -> OutboxMessage | None:
    return _queue_about(session, "appointment_confirmation", f"confirmation:appointment:{appointment.id}",
                        appointment, referral, settings, now, event)


def appointment_rebooked(session: Session, appointment: Appointment, referral: Referral, event: Event,
                         settings: MessageSettings, now: datetime) -> OutboxMessage | None:
    """The confirmation of the new time: one per move (the appointment's version after it names it)."""
    return _queue_about(session, "appointment_confirmation",
                        f"confirmation:appointment:{appointment.id}:rebooked:v{appointment.version}", appointment,
                        referral, settings, now, event)


def appointment_missed(session: Session, appointment: Appointment, referral: Referral, event: Event,
                       settings: MessageSettings, now: datetime) -> OutboxMessage | None:
    return _queue_about(session, "rebooking_offer", f"rebooking_offer:appointment:{appointment.id}", appointment,
                        referral, settings, now, event)


def referrer_route(item: Clarification, referral: Referral, patient: Patient,
                   settings: MessageSettings) -> Route | Withheld:
    """An email to the referrer when their recorded contact is an email address; otherwise withheld, for staff to
    ask as the clarification says (telephone, secure message)."""
    contact = (referral.referrer_contact or "").strip()
    if not EMAIL.match(contact):
        return Withheld("The referrer's recorded contact is not an email address: ask them another way",
                        "referrer")
    return Route("email", "email", "referrer", contact, {
        "name": item.contact_name, "referrer_name": referral.referrer_name, "patient_name": display_name(patient),
        "referral_reference": referral.external_ref or str(referral.id), "question": item.question,
        "due_date": london_date(item.due_at), "due_time": london_time(item.due_at),
        "interpreter_language": "", "service_phone": settings.service_phone})


def clarification_requested(session: Session, item: Clarification, referral: Referral, event: Event,
                            settings: MessageSettings, now: datetime) -> OutboxMessage | None:
    """Only a clarification to be asked by email is sent; one by telephone or secure message is staff's to ask."""
    if item.channel != "email":
        return None
    patient = _patient(session, referral)
    return outbox.queue(session, "clarification_request", f"clarification_request:clarification:{item.id}",
                        patient.id, referrer_route(item, referral, patient, settings), now, referral_id=referral.id,
                        clarification_id=item.id, cause=event)


def booked_between(starts: datetime, ends: datetime) -> Select:
    """The appointments still booked that start in [starts, ends): a range of ix_appointments_status_starts."""
    return (select(Appointment).where(Appointment.status == "booked", Appointment.starts_at >= starts,
                                      Appointment.starts_at < ends).order_by(Appointment.starts_at, Appointment.id))


def queue_reminders(session: Session, settings: MessageSettings = DEFAULT_SETTINGS,
                    now: datetime | None = None) -> list[OutboxMessage]:
    """Queue a reminder for each booked appointment starting `reminder_days` London calendar days from today, once
    per appointment, day and start time (running twice a day queues nothing new; a moved appointment is reminded
    of its new time). Reads ix_appointments_status_starts: the cost is the appointments of those days alone."""
    now = now or datetime.now(UTC)
    events.lock_log(session)  # orders each dedupe check before its insert, as the commands' events do
    today = now.astimezone(LONDON).date()
    queued = []
    for days in settings.reminder_days:
        day = today + timedelta(days=days)
        starts = datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)
        ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
        for appointment in session.scalars(booked_between(starts, ends)).all():
            referral = session.get(Referral, appointment.referral_id)
            key = (f"reminder:appointment:{appointment.id}:{days}:"
                   f"{appointment.starts_at.astimezone(UTC):%Y%m%dT%H%M}")
            message = _queue_about(session, "appointment_reminder", key, appointment, referral, settings, now, None)
            if message is not None:
                queued.append(message)
    return queued
