"""The adjustments register for a patient, its edit and end pages, and the overdue-review list."""
from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.adjustments import bp
from inclusive_access.blueprints.adjustments.forms import EditAdjustmentForm, EndAdjustmentForm, NewAdjustmentForm
from inclusive_access.blueprints.commands import Page, Repeat, elsewhere, saved, submit
from inclusive_access.blueprints.forms_common import new_token
from inclusive_access.blueprints.shared import log_view
from inclusive_access.domain import adjustments
from inclusive_access.domain.actors import actor_for
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
    return _register_page(patient, NewAdjustmentForm(formdata=None, submission_token=new_token()), {})


@bp.route("/patients/<int:patient_id>/new", methods=["POST"])
def record_adjustment(patient_id: int):
    patient, form = db.session.get(Patient, patient_id) or abort(404), NewAdjustmentForm()
    url = url_for("adjustments.patient_register", patient_id=patient_id)
    return submit(form, lambda: adjustments.record_adjustment(
        db.session, actor_for(current_user), patient, form.details(), form.source.data or "patient_request",
        form.submission_token.data or None),
        Page(url, lambda errors: _register_page(db.session.get(Patient, patient_id), form, errors, 400)),
        lambda _: saved("Adjustment recorded. It now shows wherever this patient appears.", url),
        repeat=Repeat("This adjustment was already recorded; it is in the register below."))


def _adjustment(adjustment_id: int) -> tuple[ReasonableAdjustment, Patient]:
    item = db.session.get(ReasonableAdjustment, adjustment_id) or abort(404)
    return item, db.session.get(Patient, item.patient_id)


def _edit_page(adjustment_id: int, show) -> Page:
    return Page(url_for("adjustments.edit_adjustment", adjustment_id=adjustment_id), show, "adjustment",
                lambda: _adjustment(adjustment_id)[1])


@bp.route("/<int:adjustment_id>/edit", methods=["GET", "POST"])
def edit_adjustment(adjustment_id: int):
    item, patient = _adjustment(adjustment_id)
    form = EditAdjustmentForm(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        log_view(patient)
        return _edit_form(adjustment_id, form, {})
    return submit(form, lambda: adjustments.update_adjustment(
        db.session, actor_for(current_user), item, form.version.data, form.details()),
        _edit_page(adjustment_id, lambda errors: _edit_form(adjustment_id, form, errors)),
        lambda _: saved("Adjustment updated.", url_for("adjustments.patient_register", patient_id=patient.id)))


def _edit_form(adjustment_id: int, form: EditAdjustmentForm, errors: dict):
    item, patient = _adjustment(adjustment_id)
    return render_template("adjustments/edit.html", item=item, patient=patient, form=form,
                           end_form=EndAdjustmentForm(formdata=None, version=item.version),
                           errors=errors), 400 if errors else 200


@bp.route("/<int:adjustment_id>/end", methods=["POST"])
def end_adjustment(adjustment_id: int):
    (item, patient), form = _adjustment(adjustment_id), EndAdjustmentForm()
    return submit(form, lambda: adjustments.end_adjustment(
        db.session, actor_for(current_user), item, form.version.data, form.end_reason.data),
        elsewhere(url_for("adjustments.edit_adjustment", adjustment_id=adjustment_id), "adjustment", lambda: patient),
        lambda _: saved("Adjustment ended. It stays in the register with the reason.",
                        url_for("adjustments.patient_register", patient_id=patient.id)))


@bp.route("/overdue-reviews")
def overdue_reviews():
    today = datetime.now(UTC).astimezone(LONDON).date()
    return render_template("adjustments/overdue.html", rows=adjustments.overdue_reviews(db.session, today))
