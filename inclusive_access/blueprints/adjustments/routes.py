"""The adjustments register for a patient, its edit and end pages, and the overdue-review list."""
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.adjustments import bp
from inclusive_access.blueprints.adjustments.forms import EditAdjustmentForm, EndAdjustmentForm, NewAdjustmentForm
from inclusive_access.blueprints.forms_common import first_errors, new_token
from inclusive_access.blueprints.shared import conflict, log_view
from inclusive_access.domain import adjustments
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import DuplicateSubmission, InvalidInput, StaleRecord
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Patient, ReasonableAdjustment


def _register_page(patient: Patient, form: NewAdjustmentForm, errors: dict, status: int = 200):
    return render_template("adjustments/register.html", patient=patient, form=form, errors=errors,
                           register=adjustments.register_for(db.session, patient)), status


@bp.route("/patients/<int:patient_id>")
def patient_register(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    log_view(patient)
    db.session.commit()
    return _register_page(patient, NewAdjustmentForm(formdata=None, submission_token=new_token()), {})


@bp.route("/patients/<int:patient_id>/new", methods=["POST"])
def record_adjustment(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    form = NewAdjustmentForm()
    if not form.validate_on_submit():
        return _register_page(patient, form, first_errors(form), 400)
    try:
        adjustments.record_adjustment(db.session, actor_for(current_user), patient, form.details(),
                                      form.source.data or "patient_request", form.submission_token.data or None)
    except DuplicateSubmission:
        db.session.rollback()
        flash("This adjustment was already recorded; it is in the register below.", "info")
        return redirect(url_for("adjustments.patient_register", patient_id=patient_id), 303)
    except InvalidInput as exc:
        db.session.rollback()
        return _register_page(db.session.get(Patient, patient_id), form, exc.errors, 400)
    db.session.commit()
    flash("Adjustment recorded. It now shows wherever this patient appears.", "success")
    return redirect(url_for("adjustments.patient_register", patient_id=patient_id), 303)


def _adjustment(adjustment_id: int) -> tuple[ReasonableAdjustment, Patient]:
    item = db.session.get(ReasonableAdjustment, adjustment_id) or abort(404)
    return item, db.session.get(Patient, item.patient_id)


@bp.route("/<int:adjustment_id>/edit", methods=["GET", "POST"])
def edit_adjustment(adjustment_id: int):
    item, patient = _adjustment(adjustment_id)
    form = EditAdjustmentForm(obj=item if request.method == "GET" else None)
    end_form = EndAdjustmentForm(formdata=None, version=item.version)
    errors = {}
    if request.method == "GET":
        log_view(patient)
        db.session.commit()
    elif form.validate_on_submit():
        try:
            adjustments.update_adjustment(db.session, actor_for(current_user), item, form.version.data,
                                          form.details())
        except StaleRecord as stale:
            return conflict(stale, lambda: _adjustment(adjustment_id)[1],
                            url_for("adjustments.edit_adjustment", adjustment_id=adjustment_id), "adjustment")
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            db.session.commit()
            flash("Adjustment updated.", "success")
            return redirect(url_for("adjustments.patient_register", patient_id=patient.id), 303)
    elif request.method == "POST":
        errors = first_errors(form)
    item, patient = _adjustment(adjustment_id)
    return render_template("adjustments/edit.html", item=item, patient=patient, form=form, end_form=end_form,
                           errors=errors), 400 if errors else 200


@bp.route("/<int:adjustment_id>/end", methods=["POST"])
def end_adjustment(adjustment_id: int):
    item, patient = _adjustment(adjustment_id)
    form = EndAdjustmentForm()
    if form.validate_on_submit():
        try:
            adjustments.end_adjustment(db.session, actor_for(current_user), item, form.version.data,
                                       form.end_reason.data)
        except StaleRecord as stale:
            return conflict(stale, lambda: _adjustment(adjustment_id)[1],
                            url_for("adjustments.edit_adjustment", adjustment_id=adjustment_id), "adjustment")
        except InvalidInput as exc:
            db.session.rollback()
            flash(next(iter(exc.errors.values())), "error")
            return redirect(url_for("adjustments.edit_adjustment", adjustment_id=adjustment_id), 303)
        db.session.commit()
        flash("Adjustment ended. It stays in the register with the reason.", "success")
        return redirect(url_for("adjustments.patient_register", patient_id=patient.id), 303)
    flash(next(iter(first_errors(form).values()), "Check the form"), "error")
    return redirect(url_for("adjustments.edit_adjustment", adjustment_id=adjustment_id), 303)


@bp.route("/overdue-reviews")
def overdue_reviews():
    today = datetime.now(UTC).astimezone(LONDON).date()
    return render_template("adjustments/overdue.html", rows=adjustments.overdue_reviews(db.session, today))
