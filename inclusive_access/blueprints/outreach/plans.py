"""Engagement plans on the patient's record: a clinician records a plan agreed with a partner, and marks its steps
done; the patient page lists them."""
from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, saved, submit
from inclusive_access.blueprints.shared import log_view
from inclusive_access.domain import engagement_plans, outreach
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import EngagementStep, Patient

from . import bp


def _today():
    return datetime.now(UTC).astimezone(LONDON).date()


def _patient_url(patient_id: int) -> str:
    return url_for("patients.show_patient", patient_id=patient_id, _anchor="engagement-plans")


def _plan_page(patient_id: int, typed: dict) -> Page:
    def show(errors: dict):
        return render_template("outreach/record_plan.html", patient=db.session.get(Patient, patient_id),
                               typed=typed, errors=errors, partners=outreach.active_partners(db.session),
                               owners=engagement_plans.OWNERS, rows=range(1, engagement_plans.STEP_ROWS + 1),
                               step_field=engagement_plans.step_field), 400 if errors else 200
    return Page(url_for("outreach.record_plan", patient_id=patient_id), show, "engagement plan",
                lambda: db.session.get(Patient, patient_id))


@bp.route("/patients/<int:patient_id>/plans/new", methods=["GET", "POST"])
def record_plan(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    if request.method == "GET":
        log_view(patient)
        return _plan_page(patient_id, {}).show({})
    typed = request.form.to_dict()
    return submit(None, lambda: engagement_plans.record_plan(
        db.session, actor_for(current_user), patient, engagement_plans.parse_plan(db.session, typed, _today())),
        _plan_page(patient_id, typed),
        lambda _plan: saved("Engagement plan recorded.", _patient_url(patient_id)))


def _step_page(step_id: int, typed: dict, version: int) -> Page:
    def show(errors: dict):
        step = db.session.get(EngagementStep, step_id)
        return render_template("outreach/step_done.html", step=step, patient=db.session.get(
            Patient, step.plan.patient_id), owners=engagement_plans.OWNERS, typed=typed, errors=errors,
            version=version), 400 if errors else 200
    return Page(url_for("outreach.mark_step_done", step_id=step_id), show, "engagement plan step",
                lambda: db.session.get(Patient, db.session.get(EngagementStep, step_id).plan.patient_id))


@bp.route("/plan-steps/<int:step_id>/done", methods=["GET", "POST"])
def mark_step_done(step_id: int):
    step = db.session.get(EngagementStep, step_id) or abort(404)
    patient_id = step.plan.patient_id
    if request.method == "GET":
        log_view(db.session.get(Patient, patient_id))
        return _step_page(step_id, {"done_on": _today().isoformat()}, step.version).show({})
    typed, version = request.form.to_dict(), request.form.get("version", type=int) or 0
    return submit(None, lambda: engagement_plans.mark_step_done(
        db.session, actor_for(current_user), step, version, engagement_plans.parse_step_done(typed, _today())),
        _step_page(step_id, typed, version),
        lambda _: saved("Step marked done.", _patient_url(patient_id)))
