"""Appointments for a referral: book (with the triage suggestions to hand), rebook, record the outcome, record a
past contact."""
from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.appointments import bp
from inclusive_access.blueprints.appointments.forms import BookingForm, OutcomeForm, PastContactForm, deliveries_from
from inclusive_access.blueprints.commands import Page, Repeat, saved, submit
from inclusive_access.blueprints.forms_common import first_errors, new_token
from inclusive_access.blueprints.shared import current_messages, log_view
from inclusive_access.domain import adjustments, appointments, dna, states, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import BarrierCheckOpen, DomainError
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Appointment, Referral


def _page(referral: Referral, form: BookingForm, errors: dict, status: int = 200, outcome: dict | None = None):
    """The booking page; `outcome` is an appointment's outcome form shown again: its id, the values posted and the
    messages beside its fields (`errors` then holds the summary's, keyed by the fields' ids)."""
    triage_record = triage.record_for(db.session, referral.id)
    return render_template(
        "appointments/book.html", referral=referral, patient=referral.patient, form=form, errors=errors,
        outcome=outcome,
        triage=triage_record, appointments=appointments.appointments_for(db.session, referral),
        open_check=dna.open_check_for(db.session, referral.id),
        checks=dna.checks_by_appointment(db.session, referral.id),
        can_override=appointments.may_override(current_user.role),
        due_adjustments=adjustments.applicable_at_appointments(referral.patient),
        prompts=adjustments.booking_prompts(referral.patient, triage_record.answers if triage_record else None),
        can_book="book" in states.allowed_actions(referral.state, current_user.role)), status


def _referral_page(endpoint: str, referral_id: int, show) -> Page:
    return Page(url_for(endpoint, referral_id=referral_id), show, "referral",
                lambda: db.session.get(Referral, referral_id).patient)


def _booked(referral_id: int, message: str) -> Repeat:
    """A second submit of the booking page's forms: back to the referral's appointments, saying so."""
    return Repeat(message, lambda _: url_for("appointments.book_appointment", referral_id=referral_id))


def _barrier_check_open(blocked: DomainError):
    """Booking while a missed appointment's barrier check is open: those who may override give a reason."""
    return {"override_reason" if appointments.may_override(current_user.role) else "starts_at": str(blocked)}


@bp.route("/referrals/<int:referral_id>", methods=["GET", "POST"])
def book_appointment(referral_id: int):
    referral, form = db.session.get(Referral, referral_id) or abort(404), BookingForm()
    if request.method == "GET":
        return _open_booking(referral, form)
    page = _referral_page("appointments.book_appointment", referral_id,
                          lambda errors: _page(db.session.get(Referral, referral_id), form, errors, 400))
    return submit(form, lambda: appointments.book_appointment(
        db.session, actor_for(current_user), referral, form.version.data, form.starts_at_utc(), form.format.data,
        form.place.data or None, form.notes.data or None, form.duration_minutes.data or 30,
        submission_token=form.submission_token.data or None, override_reason=form.override_reason.data or None,
        messages=current_messages()),
        page, lambda _: saved("Appointment booked.", page.url), refused="format",
        repeat=_booked(referral_id, "This appointment was already booked."),
        handlers={BarrierCheckOpen: lambda blocked: page.show(_barrier_check_open(blocked))})


def _open_booking(referral: Referral, form: BookingForm):
    _new_booking(referral, form)
    log_view(referral.patient, referral)
    return _page(referral, form, {})


def _new_booking(referral: Referral, form: BookingForm) -> None:
    form.submission_token.data, form.version.data = new_token(), referral.version
    form.format.data = appointments.agreed_format(db.session, referral.id)


def _past_contact_page(referral: Referral, form: PastContactForm, errors: dict, status: int = 200):
    return render_template("appointments/past_contact.html", referral=referral, patient=referral.patient, form=form,
                           errors=errors, outcomes=appointments.PAST_OUTCOMES,
                           due_adjustments=adjustments.applicable_at_appointments(referral.patient)), status


@bp.route("/referrals/<int:referral_id>/past-contact", methods=["GET", "POST"])
def record_past_contact(referral_id: int):
    """A clinician records a contact that already happened (booking refuses past times), with the reason."""
    referral, form = db.session.get(Referral, referral_id) or abort(404), PastContactForm()
    page = _referral_page("appointments.record_past_contact", referral_id, lambda errors: _past_contact_page(
        db.session.get(Referral, referral_id), form, errors, 400))
    if request.method == "GET":
        return _open_past_contact(referral, form)
    deliveries, errors = deliveries_from(request.form, [a.id for a in
                                                        adjustments.applicable_at_appointments(referral.patient)])
    if not form.validate_on_submit() or errors:
        return page.show({**first_errors(form), **errors})
    return submit(None, lambda: appointments.record_past_contact(
        db.session, actor_for(current_user), referral, form.version.data, form.starts_at_utc(), form.format.data,
        form.place.data or None, form.outcome.data, form.reason.data, form.notes.data or None,
        form.duration_minutes.data or 30, submission_token=form.submission_token.data or None, deliveries=deliveries),
        page, lambda _: saved("Past contact recorded.", url_for("appointments.book_appointment",
                                                                referral_id=referral_id)),
        refused="format", repeat=_booked(referral_id, "This contact was already recorded."))


def _open_past_contact(referral: Referral, form: PastContactForm):
    form.submission_token.data, form.version.data = new_token(), referral.version
    log_view(referral.patient, referral)
    return _past_contact_page(referral, form, {})


def _appointment(appointment_id: int) -> tuple[Appointment, Referral]:
    appointment = db.session.get(Appointment, appointment_id) or abort(404)
    return appointment, db.session.get(Referral, appointment.referral_id)


@bp.route("/<int:appointment_id>/rebook", methods=["GET", "POST"])
def rebook_appointment(appointment_id: int):
    appointment, referral = _appointment(appointment_id)
    form = BookingForm(obj=appointment if request.method == "GET" else None)
    if request.method == "GET":
        form.starts_at.data = appointment.starts_at.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")
        form.format.data = appointments.agreed_format(db.session, referral.id) or appointment.format
        log_view(referral.patient, referral)
        return _rebook_page(appointment_id, form, {})
    return submit(form, lambda: appointments.rebook_appointment(
        db.session, actor_for(current_user), appointment, form.version.data, form.starts_at_utc(), form.format.data,
        form.place.data or None, form.notes.data or None, messages=current_messages()),
        Page(url_for("appointments.rebook_appointment", appointment_id=appointment_id),
             lambda errors: _rebook_page(appointment_id, form, errors), "appointment",
             lambda: _appointment(appointment_id)[1].patient),
        lambda _: saved("Appointment moved.", url_for("appointments.book_appointment", referral_id=referral.id)),
        refused="format")


def _rebook_page(appointment_id: int, form: BookingForm, errors: dict):
    appointment, referral = _appointment(appointment_id)
    return render_template("appointments/rebook.html", appointment=appointment, referral=referral,
                           patient=referral.patient, form=form, errors=errors), 400 if errors else 200


@bp.route("/<int:appointment_id>/outcome", methods=["POST"])
def record_outcome(appointment_id: int):
    appointment, referral = _appointment(appointment_id)
    form, referral_id = OutcomeForm(), referral.id
    due = [a.id for a in adjustments.applicable_at_appointments(referral.patient)]
    page = Page(url_for("appointments.book_appointment", referral_id=referral_id),
                lambda errors: _outcome_again(appointment_id, due, errors), "appointment", lambda: referral.patient)
    deliveries, delivery_errors = deliveries_from(request.form, due)
    if delivery_errors:
        return page.show(delivery_errors)
    return submit(form, lambda: appointments.record_outcome(
        db.session, actor_for(current_user), appointment, form.version.data, form.outcome.data,
        form.reason.data or None, deliveries=deliveries, messages=current_messages()),
        page, lambda _: _outcome_recorded(referral_id, form.outcome.data))


def _outcome_again(appointment_id: int, due: list[int], errors: dict):
    """The booking page again, the outcome form of this appointment's row keeping what was entered, each message
    beside its field: "each adjustment answered" beside the first left unanswered."""
    appointment, referral = _appointment(appointment_id)
    unanswered = next((f"met_{i}" for i in due if request.form.get(f"met_{i}") not in ("yes", "no")), "outcome")
    errors = {{"deliveries": unanswered, "version": "outcome"}.get(name, name): m for name, m in errors.items()}
    booking = BookingForm(formdata=None)
    _new_booking(referral, booking)
    summary = {f"{name}-{appointment_id}": message for name, message in errors.items()}
    return _page(referral, booking, summary, 400, {"appointment_id": appointment.id, "values": request.form,
                                                   "errors": errors})


def _outcome_recorded(referral_id: int, outcome: str):
    """A missed appointment starts the graded response now: straight to its barrier check."""
    check = dna.open_check_for(db.session, referral_id) if outcome == "dna" else None
    return saved(f"Outcome recorded: {appointments.OUTCOMES[outcome].lower()}.",
                 url_for("dna.show_check", check_id=check.id) if check is not None
                 else url_for("appointments.book_appointment", referral_id=referral_id))
