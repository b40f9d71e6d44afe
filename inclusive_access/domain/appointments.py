"""Appointments: book, rebook, cancel, and record what happened; the first attendance is first contact."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import (
    actions,
    adjustments,
    dna,
    events,
    locking,
    message_causes,
    referral_flow,
    states,
    submissions,
)
from inclusive_access.domain.access import CLINICAL_JUDGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.clocks import LONDON
from inclusive_access.domain.errors import BarrierCheckOpen, InvalidInput, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.outbox import MessageSettings
from inclusive_access.models import AdjustmentDelivery, Appointment, Patient, Referral

FORMATS = {"clinic": "Clinic", "telephone": "Telephone", "telephone_interpreter": "Telephone with interpreter",
           "video": "Video", "home_visit": "Home visit", "community_venue": "Community venue"}
OUTCOMES = {"attended": "Attended, seen on time", "attended_late": "Arrived late and seen",
            "late_not_seen": "Arrived late and not seen", "dna": "Did not attend",
            "cancelled_patient": "Cancelled by the patient", "cancelled_service": "Cancelled by the service"}
#: roles that may book past an open barrier check for urgent clinical need
OVERRIDE_ROLES = CLINICAL_JUDGEMENT
#: NHS Data Dictionary "attended or did not attend" codes (DOMAIN.md), for exports
ATTENDANCE_CODES = {"attended": "5", "attended_late": "6", "late_not_seen": "7", "dna": "3", "cancelled_patient": "2",
                    "cancelled_service": "4"}
#: the outcomes where the patient was seen: a contact (the first one is first contact)
SEEN = frozenset({"attended", "attended_late"})
#: the outcomes of an appointment that took place, seen or not (DNA rate: code 3 of 3, 5, 6 and 7)
TOOK_PLACE = SEEN | {"late_not_seen", "dna"}
#: what a past contact can have been: a cancellation never happened, so there is nothing to record after the fact
PAST_OUTCOMES = {outcome: label for outcome, label in OUTCOMES.items() if outcome in TOOK_PLACE}
#: the event each outcome records
_ACTIONS = {"attended": actions.APPOINTMENT_ATTENDED, "attended_late": actions.APPOINTMENT_ATTENDED,
            "late_not_seen": actions.APPOINTMENT_LATE_NOT_SEEN, "dna": actions.APPOINTMENT_DNA}


def _booking_errors(starts_at: datetime | None, fmt: str, place: str | None, duration: int,
                    received_at: datetime, now: datetime, past: bool = False) -> dict[str, str]:
    """Check the booking's fields and its time: never before the referral arrived (a negative wait), and in the
    future unless `past` (record_past_contact), which must be no later than now."""
    errors = {}
    if starts_at is None:
        errors["starts_at"] = "Enter the date and time of the appointment"
    elif starts_at < received_at:
        errors["starts_at"] = ("The time is before the referral was received "
                               f"({received_at.astimezone(LONDON):%d %b %Y %H:%M}): check the date")
    elif past and starts_at > now:
        errors["starts_at"] = "The time is in the future: book an appointment instead"
    # the form has minute precision: a time in the current minute is not yet past
    elif not past and starts_at < now - timedelta(seconds=now.second, microseconds=now.microsecond):
        errors["starts_at"] = ("The time is in the past: enter a future time, or, if the contact already happened, "
                               "ask a clinician to record a past contact")
    if fmt not in FORMATS:
        errors["format"] = "Select the format"
    if fmt in ("clinic", "community_venue") and not place:
        errors["place"] = "Enter where the appointment is"
    if not 5 <= duration <= 240:
        errors["duration_minutes"] = "Length must be between 5 and 240 minutes"
    return errors


def _add(session: Session, actor: Actor, referral: Referral, starts_at: datetime, fmt: str, place: str | None,
         notes: str | None, duration: int, submission_token: str | None, now: datetime) -> Appointment:
    """The appointment's row, booked now by the actor; the referral's version moves with it."""
    appointment = Appointment(referral_id=referral.id, starts_at=starts_at, duration_minutes=duration, format=fmt,
                              place=place, notes=notes, booked_by=actor.user_id, booked_at=now,
                              submission_token=submission_token)
    session.add(appointment)
    session.flush()
    referral_flow.touch(session, referral)
    return appointment


def book_appointment(session: Session, actor: Actor, referral: Referral, seen_version: int, starts_at: datetime,
                     fmt: str, place: str | None, notes: str | None = None, duration: int = 30,
                     submission_token: str | None = None, now: datetime | None = None,
                     override_reason: str | None = None,
                     messages: MessageSettings = message_causes.DEFAULT_SETTINGS) -> Appointment:
    """Book an appointment for an accepted or in-treatment referral (evening slots are allowed), queueing its
    confirmation (domain.message_causes) with the booking.

    While a barrier check is open the referral can't be rebooked: the check must record its outcome
    first. A clinician or senior may override for urgent clinical need, with a reason (evented).
    """
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, Appointment, submission_token)
    referral_flow.check_version(session, referral, seen_version)
    states.next_state(referral.state, "book", actor.role)
    if errors := _booking_errors(starts_at, fmt, place, duration, referral.received_at, now):
        raise InvalidInput(errors)
    open_check = dna.open_check_for(session, referral.id)
    if open_check is not None:
        _override(session, actor, referral, open_check, override_reason, now)
    appointment = _add(session, actor, referral, starts_at, fmt, place, notes, duration, submission_token, now)
    last_check = dna.latest_completed_check(session, referral.id)
    if last_check is not None:
        dna.link_rebooking(last_check, appointment)
    booked = events.record(session, actor, actions.APPOINTMENT_BOOKED, "appointment", appointment.id,
                           patient_id=referral.patient_id, referral_id=referral.id, now=now,
                           data={"starts_at": starts_at, "format": fmt, "place": place, "notes": notes,
                                 "version": referral.version, "summary": f"Appointment booked ({FORMATS[fmt]})"})
    message_causes.appointment_booked(session, appointment, referral, booked, messages, now)
    return appointment


def record_past_contact(session: Session, actor: Actor, referral: Referral, seen_version: int, starts_at: datetime,
                        fmt: str, place: str | None, outcome: str, reason: str | None, notes: str | None = None,
                        duration: int = 30, submission_token: str | None = None, now: datetime | None = None,
                        deliveries: dict[int, tuple[bool, str | None]] | None = None) -> Appointment:
    """Record a contact that already happened (attended or missed), with the reason it was not booked ahead.

    Booking refuses past times, so this is the one way a past contact gets in: a clinician's explicit act, between
    the referral's receipt and now, its booked and outcome events marked retrospective with the reason. It is not
    a rebooking, so an open barrier check neither blocks it nor is linked to it.
    """
    now = now or datetime.now(UTC)
    require_role(actor, CLINICAL_JUDGEMENT)
    submissions.refuse_repeat(session, Appointment, submission_token)
    referral_flow.check_version(session, referral, seen_version)
    states.next_state(referral.state, "book", actor.role)
    errors = _booking_errors(starts_at, fmt, place, duration, referral.received_at, now, past=True)
    if outcome not in PAST_OUTCOMES:
        errors["outcome"] = "Select whether the patient was seen, arrived too late to be seen, or missed it"
    if not reason:
        errors["reason"] = "Give the reason this contact is recorded after it happened"
    if errors:
        raise InvalidInput(errors)
    appointment = _add(session, actor, referral, starts_at, fmt, place, notes, duration, submission_token, now)
    retrospective = {"retrospective": True, "reason": reason}
    events.record(session, actor, actions.APPOINTMENT_BOOKED, "appointment", appointment.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"starts_at": starts_at, "format": fmt, "place": place, "notes": notes,
                        "version": referral.version, "summary": f"Past contact recorded ({FORMATS[fmt]})",
                        **retrospective})
    _settle(session, actor, appointment, referral, outcome, None, now, deliveries, retrospective)
    return appointment


def may_override(role: str | None) -> bool:
    """Whether this role may book past an open barrier check, giving an urgent clinical reason."""
    return role in OVERRIDE_ROLES


def _override(session: Session, actor: Actor, referral: Referral, check, reason: str | None, now: datetime) -> None:
    if not may_override(actor.role):
        raise BarrierCheckOpen(check.id)
    if not reason:
        raise InvalidInput({"override_reason": "Give the urgent clinical reason for booking before the barrier check"})
    events.record(session, actor, actions.BARRIER_CHECK_OVERRIDDEN, "barrier_check", check.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now, data={"reason": reason})


def _open(session: Session, appointment: Appointment, seen_version: int) -> Referral:
    """The appointment's referral, claimed (locking.claim), once the appointment as it now stands may change."""
    referral = session.get(Referral, appointment.referral_id)
    locking.claim(session, referral)
    session.refresh(appointment)
    if appointment.status != states.AppointmentStatus.BOOKED:
        raise TransitionNotAllowed("This appointment already has an outcome.")
    if seen_version != appointment.version:
        raise StaleRecord("This appointment changed since you opened it.")
    return referral


def rebook_appointment(session: Session, actor: Actor, appointment: Appointment, seen_version: int,
                       starts_at: datetime, fmt: str, place: str | None, notes: str | None = None,
                       now: datetime | None = None,
                       messages: MessageSettings = message_causes.DEFAULT_SETTINGS) -> None:
    """Move a booked appointment to a new time, format or place, queueing the new time's confirmation."""
    now = now or datetime.now(UTC)
    referral = _open(session, appointment, seen_version)
    states.next_state(referral.state, "book", actor.role)
    if errors := _booking_errors(starts_at, fmt, place, appointment.duration_minutes, referral.received_at, now):
        raise InvalidInput(errors)
    before = {"starts_at": appointment.starts_at, "format": appointment.format, "place": appointment.place}
    appointment.starts_at, appointment.format, appointment.place, appointment.notes = starts_at, fmt, place, notes
    locking.flush(session, "appointment")
    moved = events.record(session, actor, actions.APPOINTMENT_REBOOKED, "appointment", appointment.id,
                          patient_id=referral.patient_id, referral_id=referral.id, now=now,
                          data={"from": before, "to": {"starts_at": starts_at, "format": fmt, "place": place}})
    message_causes.appointment_rebooked(session, appointment, referral, moved, messages, now)


def record_outcome(session: Session, actor: Actor, appointment: Appointment, seen_version: int, outcome: str,
                   reason: str | None = None, now: datetime | None = None,
                   deliveries: dict[int, tuple[bool, str | None]] | None = None,
                   messages: MessageSettings = message_causes.DEFAULT_SETTINGS) -> None:
    """Seen (on time or late), arrived late and not seen, did not attend, or cancelled by the patient or the
    service: the NHS attendance codes (ATTENDANCE_CODES).

    The first appointment where the patient was seen sets the referral's first contact and moves it to
    in_treatment; arriving too late to be seen is no contact. A DNA opens a barrier check (never a discharge) and
    queues an offer to rebook (domain.message_causes).
    For appointments that took place, each active adjustment that applies at appointments is marked met or not met
    (with a reason): `deliveries` maps adjustment id -> (met, reason).
    """
    now = now or datetime.now(UTC)
    require_role(actor, CLINICAL_JUDGEMENT)
    referral = _open(session, appointment, seen_version)
    _settle(session, actor, appointment, referral, outcome, reason, now, deliveries, messages=messages)


def _settle(session: Session, actor: Actor, appointment: Appointment, referral: Referral, outcome: str,
            reason: str | None, now: datetime, deliveries: dict[int, tuple[bool, str | None]] | None,
            retrospective: dict | None = None, messages: MessageSettings | None = None) -> None:
    """Record the outcome; `messages` None: recorded after the fact (a past contact), so no message is due."""
    if outcome not in OUTCOMES:
        raise InvalidInput({"outcome": "Select what happened"})
    if outcome.startswith("cancelled") and not reason:
        raise InvalidInput({"reason": "Enter why it was cancelled"})
    if outcome in TOOK_PLACE and appointment.starts_at > now:
        raise InvalidInput({"outcome": "Attendance can only be recorded once the appointment has started"})
    patient = session.get(Patient, referral.patient_id)
    due = adjustments.applicable_at_appointments(patient) if outcome in TOOK_PLACE else []
    answers = _check_deliveries(due, deliveries or {})
    appointment.status, appointment.outcome_recorded_at = outcome, now
    appointment.cancel_reason = reason if outcome.startswith("cancelled") else None
    was_first = referral.first_contact_at
    first = outcome in SEEN and (was_first is None or appointment.starts_at < was_first)
    if first and was_first is not None:
        _move_first_contact(session, referral, appointment)
    appointment.first_contact = first
    locking.flush(session, "appointment")
    action = _ACTIONS.get(outcome, actions.APPOINTMENT_CANCELLED)
    earlier = {"first_contact_was": was_first} if first and was_first is not None else {}
    settled = events.record(session, actor, action, "appointment", appointment.id, patient_id=referral.patient_id,
                            referral_id=referral.id, now=now,
                            data={"status": outcome, "attendance_code": ATTENDANCE_CODES[outcome], "reason": reason,
                                  "starts_at": appointment.starts_at, "format": appointment.format,
                                  **(retrospective or {}), **earlier})
    _record_deliveries(session, actor, appointment, referral, answers, now)
    if outcome == "dna":
        dna.open_barrier_check(session, actor, appointment, referral, now)
        if messages is not None:
            message_causes.appointment_missed(session, appointment, referral, settled, messages, now)
    if first and was_first is None:
        referral.first_contact_at = appointment.starts_at
        referral_flow.transition(session, actor, referral, "first_contact", actions.FIRST_CONTACT, now=now,
                                 data={"appointment_id": appointment.id, "first_contact_at": appointment.starts_at,
                                       "summary": "First contact"})


def _move_first_contact(session: Session, referral: Referral, appointment: Appointment) -> None:
    """A past contact earlier than the referral's first becomes its first contact (DOMAIN.md: the first attended
    appointment), so the wait and what falls due from first contact count from it."""
    for earlier_first in session.scalars(select(Appointment).where(Appointment.referral_id == referral.id,
                                                                   Appointment.first_contact.is_(True))):
        earlier_first.first_contact = False
    referral.first_contact_at = appointment.starts_at
    referral_flow.touch(session, referral)


def _check_deliveries(due, given: dict[int, tuple[bool, str | None]]) -> list[tuple[int, bool, str | None]]:
    missing = [a for a in due if a.id not in given]
    if missing:
        raise InvalidInput({"deliveries": f"Record whether each adjustment was met ({len(missing)} not answered)"})
    unexplained = [a for a in due if not given[a.id][0] and not given[a.id][1]]
    if unexplained:
        raise InvalidInput({"deliveries": "Give the reason an adjustment was not met"})
    return [(a.id, given[a.id][0], given[a.id][1]) for a in due]


def _record_deliveries(session: Session, actor: Actor, appointment: Appointment, referral: Referral,
                       answers: list[tuple[int, bool, str | None]], now: datetime) -> None:
    if not answers:
        return
    for adjustment_id, met, why in answers:
        session.add(AdjustmentDelivery(appointment_id=appointment.id, adjustment_id=adjustment_id, met=met,
                                       reason=None if met else why, recorded_by=actor.user_id, recorded_at=now))
    session.flush()
    events.record(session, actor, actions.ADJUSTMENT_DELIVERY_RECORDED, "appointment", appointment.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"deliveries": [{"adjustment_id": i, "met": m, "reason": None if m else r}
                                       for i, m, r in answers]})


def appointments_for(session: Session, referral: Referral) -> list[Appointment]:
    return list(session.scalars(select(Appointment).where(Appointment.referral_id == referral.id)
                                .order_by(Appointment.starts_at)))


def agreed_format(session: Session, referral_id: int) -> str | None:
    """The format agreed at the barrier check still waiting for its rebooking, when it is an appointment format
    (an evening slot is a time, not a format): the booking form starts from it."""
    check = dna.latest_completed_check(session, referral_id)
    return check.alternative_format if check is not None and check.alternative_format in FORMATS else None
