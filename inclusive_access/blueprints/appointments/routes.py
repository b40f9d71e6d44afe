"""Appointments for a referral: book (with the triage suggestions to hand), rebook, record the outcome, record a
past contact."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from inclusive_access.blueprints.appointments import bp
from inclusive_access.blueprints.appointments.forms import BookingForm, OutcomeForm, PastContactForm, deliveries_from
from inclusive_access.blueprints.forms_common import first_errors, new_token
from inclusive_access.blueprints.shared import conflict, log_view
from inclusive_access.domain import adjustments, appointments, dna, states
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import (
    BarrierCheckOpen,
    DuplicateSubmission,
    InvalidInput,
    NotPermitted,
    StaleRecord,
    TransitionNotAllowed,
)
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Appointment, Referral, TriageRecord


def _page(referral: Referral, form: BookingForm, errors: dict, status: int = 200):
    triage_record = db.session.scalar(select(TriageRecord).where(TriageRecord.referral_id == referral.id))
    return render_template(
        "appointments/book.html", referral=referral, patient=referral.patient, form=form, errors=errors,
        triage=triage_record, appointments=appointments.appointments_for(db.session, referral),
        open_check=dna.open_check_for(db.session, referral.id), can_override=current_user.role in
        appointments.OVERRIDE_ROLES, checks=dna.checks_by_appointment(db.session, referral.id),
        due_adjustments=adjustments.applicable_at_appointments(referral.patient),
        prompts=adjustments.booking_prompts(referral.patient, triage_record.answers if triage_record else None),
        can_book="book" in states.allowed_actions(referral.state, current_user.role)), status


@bp.route("/referrals/<int:referral_id>", methods=["GET", "POST"])
def book_appointment(referral_id: int):
    referral = db.session.get(Referral, referral_id) or abort(404)
    form = BookingForm()
    if request.method == "GET":
        form.submission_token.data, form.version.data = new_token(), referral.version
        form.format.data = appointments.agreed_format(db.session, referral.id)
        log_view(referral.patient, referral)
        db.session.commit()
        return _page(referral, form, {})
    if not form.validate_on_submit():
        return _page(referral, form, first_errors(form), 400)
    try:
        appointments.book_appointment(
            db.session, actor_for(current_user), referral, form.version.data, form.starts_at_utc(), form.format.data,
            form.place.data or None, form.notes.data or None, form.duration_minutes.data or 30,
            submission_token=form.submission_token.data or None, override_reason=form.override_reason.data or None)
    except BarrierCheckOpen as blocked:
        db.session.rollback()
        field = "override_reason" if current_user.role in appointments.OVERRIDE_ROLES else "starts_at"
        return _page(db.session.get(Referral, referral_id), form, {field: str(blocked)}, 400)
    except DuplicateSubmission:
        db.session.rollback()
        flash("This appointment was already booked.", "info")
    except StaleRecord as stale:
        return conflict(stale, lambda: db.session.get(Referral, referral_id).patient,
                        url_for("appointments.book_appointment", referral_id=referral_id), "referral")
    except InvalidInput as exc:
        db.session.rollback()
        return _page(db.session.get(Referral, referral_id), form, exc.errors, 400)
    except (TransitionNotAllowed, NotPermitted) as exc:
        db.session.rollback()
        return _page(db.session.get(Referral, referral_id), form, {"format": str(exc)}, 400)
    else:
        db.session.commit()
        flash("Appointment booked.", "success")
    return redirect(url_for("appointments.book_appointment", referral_id=referral_id), 303)


def _past_contact_page(referral: Referral, form: PastContactForm, errors: dict, status: int = 200):
    return render_template("appointments/past_contact.html", referral=referral, patient=referral.patient, form=form,
                           errors=errors, outcomes=appointments.PAST_OUTCOMES,
                           due_adjustments=adjustments.applicable_at_appointments(referral.patient)), status


@bp.route("/referrals/<int:referral_id>/past-contact", methods=["GET", "POST"])
def record_past_contact(referral_id: int):
    """A clinician records a contact that already happened (booking refuses past times), with the reason."""
    referral = db.session.get(Referral, referral_id) or abort(404)
    form = PastContactForm()
    if request.method == "GET":
        form.submission_token.data, form.version.data = new_token(), referral.version
        log_view(referral.patient, referral)
        db.session.commit()
        return _past_contact_page(referral, form, {})
    deliveries, errors = deliveries_from(request.form, [a.id for a in
                                                        adjustments.applicable_at_appointments(referral.patient)])
    if not form.validate_on_submit() or errors:
        return _past_contact_page(referral, form, {**first_errors(form), **errors}, 400)
    try:
        appointments.record_past_contact(
            db.session, actor_for(current_user), referral, form.version.data, form.starts_at_utc(), form.format.data,
            form.place.data or None, form.outcome.data, form.reason.data, form.notes.data or None,
            form.duration_minutes.data or 30, submission_token=form.submission_token.data or None,
            deliveries=deliveries)
    except DuplicateSubmission:
        db.session.rollback()
        flash("This contact was already recorded.", "info")
    except StaleRecord as stale:
        return conflict(stale, lambda: db.session.get(Referral, referral_id).patient,
                        url_for("appointments.record_past_contact", referral_id=referral_id), "referral")
    except InvalidInput as exc:
        db.session.rollback()
        return _past_contact_page(db.session.get(Referral, referral_id), form, exc.errors, 400)
    except (TransitionNotAllowed, NotPermitted) as exc:
        db.session.rollback()
        return _past_contact_page(db.session.get(Referral, referral_id), form, {"format": str(exc)}, 400)
    else:
        db.session.commit()
        flash("Past contact recorded.", "success")
    return redirect(url_for("appointments.book_appointment", referral_id=referral_id), 303)


def _appointment(appointment_id: int) -> tuple[Appointment, Referral]:
    appointment = db.session.get(Appointment, appointment_id) or abort(404)
    return appointment, db.session.get(Referral, appointment.referral_id)


@bp.route("/<int:appointment_id>/rebook", methods=["GET", "POST"])
def rebook_appointment(appointment_id: int):
    appointment, referral = _appointment(appointment_id)
    form, errors = BookingForm(obj=appointment if request.method == "GET" else None), {}
    if request.method == "GET":
        form.starts_at.data = appointment.starts_at.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")
        form.format.data = appointments.agreed_format(db.session, referral.id) or appointment.format
        log_view(referral.patient, referral)
        db.session.commit()
    elif form.validate_on_submit():
        try:
            appointments.rebook_appointment(db.session, actor_for(current_user), appointment, form.version.data,
                                            form.starts_at_utc(), form.format.data, form.place.data or None,
                                            form.notes.data or None)
        except StaleRecord as stale:
            return conflict(stale, lambda: _appointment(appointment_id)[1].patient,
                            url_for("appointments.rebook_appointment", appointment_id=appointment_id), "appointment")
        except (InvalidInput, TransitionNotAllowed, NotPermitted) as exc:
            db.session.rollback()
            errors = getattr(exc, "errors", {"format": str(exc)})
        else:
            db.session.commit()
            flash("Appointment moved.", "success")
            return redirect(url_for("appointments.book_appointment", referral_id=referral.id), 303)
    else:
        errors = first_errors(form)
    appointment, referral = _appointment(appointment_id)
    return render_template("appointments/rebook.html", appointment=appointment, referral=referral,
                           patient=referral.patient, form=form, errors=errors), 400 if errors else 200


@bp.route("/<int:appointment_id>/outcome", methods=["POST"])
def record_outcome(appointment_id: int):
    appointment, referral = _appointment(appointment_id)
    form, referral_id = OutcomeForm(), referral.id
    due = [a.id for a in adjustments.applicable_at_appointments(referral.patient)]
    deliveries, delivery_errors = deliveries_from(request.form, due)
    if delivery_errors:
        flash(next(iter(delivery_errors.values())), "error")
    elif form.validate_on_submit():
        try:
            appointments.record_outcome(db.session, actor_for(current_user), appointment, form.version.data,
                                        form.outcome.data, form.reason.data or None, deliveries=deliveries)
        except StaleRecord as stale:
            return conflict(stale, lambda: _appointment(appointment_id)[1].patient,
                            url_for("appointments.book_appointment", referral_id=referral_id), "appointment")
        except (InvalidInput, TransitionNotAllowed, NotPermitted) as exc:
            db.session.rollback()
            flash(next(iter(getattr(exc, "errors", {"": str(exc)}).values())), "error")
        else:
            db.session.commit()
            flash(f"Outcome recorded: {appointments.OUTCOMES[form.outcome.data].lower()}.", "success")
            check = dna.open_check_for(db.session, referral.id) if form.outcome.data == "dna" else None
            if check is not None:  # the graded response starts now: straight to the barrier check
                return redirect(url_for("dna.show_check", check_id=check.id), 303)
    else:
        flash(next(iter(first_errors(form).values()), "Check the form"), "error")
    return redirect(url_for("appointments.book_appointment", referral_id=referral.id), 303)
