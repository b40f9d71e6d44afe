"""Records the route tests act on, made through the domain as the pages would make them (not committed unless
said), and what is stored: a row, row counts, events."""
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from inclusive_access.domain import adjustments, appointments, clarification, dna, triage
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.triage import BookingScript
from inclusive_access.extensions import db
from inclusive_access.models import Event
from tests.factories import book, make_referral, staff


def stored_row(app, model, row_id: int):
    """The row of `model` as stored now, detached so its columns can be read outside the app context."""
    with app.app_context():
        row = db.session.get(model, row_id)
        db.session.expunge(row)
        return row


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(app, action: str | None = None) -> list[Event]:
    with app.app_context():
        query = select(Event).order_by(Event.seq)
        if action:
            query = query.where(Event.action == action)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


#: a complete booking script as the triage form posts it (no interpreter, no travel barrier)
SCRIPT_FORM = {"contact_method": "telephone", "contact_times": "Mornings", "safe_to_leave_message": "yes",
               "interpreter_needed": "no", "language": "", "communication_needs": "", "mobility": "none",
               "caring_or_work": "", "digital_access": "phone_only"}


def script(**overrides) -> BookingScript:
    """The same answers as SCRIPT_FORM, as the domain takes them."""
    answers = {"contact_method": "telephone", "contact_times": "Mornings", "safe_to_leave_message": True,
               "interpreter_needed": False, "language": "", "communication_needs": "", "mobility": "none",
               "caring_or_work": "", "digital_access": "phone_only"}
    return BookingScript(**{**answers, **overrides})


def accept(session, actor: Actor, referral, **answers):
    """Triage `referral` as accepted, with the script's answers."""
    return triage.triage_referral(session, actor, referral, referral.version, script(**answers), [], "accept")


def ask(session, actor: Actor, referral, now: datetime | None = None, question: str = "Which knee?"):
    """Request a clarification of `referral` (at `now`, so it can be made overdue)."""
    return clarification.request_clarification(session, actor, referral, referral.version, question, "telephone",
                                               "Dr Example", now=now or datetime.now(UTC))


def propose_rejection(session, clinician: Actor, referral):
    """A clinician rejects `referral`; flagged, it waits in rejection_review for a senior."""
    return triage.triage_referral(session, clinician, referral, referral.version, script(), [], "reject",
                                  reason_code="wrong_service", reason_text="Better met by the falls service")


def miss(session, actor: Actor, referral, ago: timedelta = timedelta(minutes=30), fmt: str = "telephone"):
    """Accept `referral` (unless it already is), book an appointment that started `ago` (after the referral was
    received: by default it arrived an hour ago), and record it as a DNA: returns the barrier check that opened."""
    if referral.state == "received":
        accept(session, actor, referral)
    appointment = book(session, actor, referral, datetime.now(UTC).replace(microsecond=0) - ago, fmt,
                       "Community Hub" if fmt in ("clinic", "community_venue") else None)
    appointments.record_outcome(session, actor, appointment, appointment.version, "dna",
                                deliveries={a.id: (True, None)
                                            for a in adjustments.applicable_at_appointments(referral.patient)})
    return dna.open_check_for(session, referral.id)


def record_adjustment(session, actor: Actor, patient, category: str = "timing",
                      description: str = "Afternoon appointments only", source: str = "patient_request", **details):
    """Add an adjustment to `patient`'s register (consented by the patient unless `consent_basis` says otherwise)."""
    details.setdefault("consent_basis", "patient")
    return adjustments.record_adjustment(session, actor, patient, adjustments.AdjustmentDetails(
        category=category, description=description, **details), source)


def accepted_referral(app, **patient) -> dict:
    """A referral accepted at triage by a booking-team member (the patient's details as given), committed: its id
    and its patient's."""
    with app.app_context():
        referral = make_referral(db.session, **patient)
        accept(db.session, staff(db.session, "booking"), referral)
        db.session.commit()
        return {"referral_id": referral.id, "patient_id": referral.patient_id}


def one_of_each(session) -> SimpleNamespace:
    """A record of each kind the routes act on, made through the domain (not committed): a received referral whose
    patient has a reasonable adjustment, an accepted one with an appointment booked three days ahead, one awaiting
    clarification, a flagged one awaiting a senior's sign-off of its rejection, and one whose missed appointment
    opened a barrier check; with the booking-team member ("sample.booking") and the clinician who made them."""
    booking, clinician = staff(session, "booking", "sample.booking"), staff(session, "clinician")
    referral = make_referral(session)
    accepted = make_referral(session)
    accept(session, booking, accepted)
    appointment = book(session, booking, accepted, datetime.now(UTC) + timedelta(days=3))
    clarification = ask(session, booking, make_referral(session))
    review = make_referral(session, housing_status="rough_sleeping")
    propose_rejection(session, clinician, review)
    check = miss(session, clinician, make_referral(session))
    adjustment = record_adjustment(session, clinician, referral.patient)
    return SimpleNamespace(booking=booking, clinician=clinician, referral=referral, accepted=accepted,
                           appointment=appointment, clarification=clarification, review=review, check=check,
                           adjustment=adjustment)
