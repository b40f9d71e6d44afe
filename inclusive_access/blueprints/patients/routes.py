"""The patient record and patient search: every view is logged; corrections are versioned and never overwrite."""
from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, saved, submit
from inclusive_access.blueprints.intake.forms import IntakeForm
from inclusive_access.blueprints.patients import bp
from inclusive_access.blueprints.shared import current_policy, log_view
from inclusive_access.domain import engagement_plans, intake, listing, patient_identity, patient_search, records
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.domain.validation import LONDON, FieldErrors
from inclusive_access.extensions import db
from inclusive_access.models import Patient


@bp.route("/search")
def search_patients():
    """The form alone until it is sent; then its errors, or the patients found (each one logged as viewed)."""
    typed, errors, result = request.args.to_dict(), {}, None
    if typed.keys() & set(patient_search.FIELDS):
        try:
            criteria = patient_search.parse_criteria(typed, _today())
        except InvalidInput as exc:
            errors = exc.errors
        else:
            result = patient_search.search_patients(db.session, actor_for(current_user), criteria, current_policy())
            db.session.commit()
    return render_template("patients/search.html", typed=typed, errors=errors, result=result)


@bp.route("/<int:patient_id>")
def show_patient(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    viewer = actor_for(current_user)
    log_view(patient)
    plans = engagement_plans.plans_for(db.session, patient) if engagement_plans.may_read(viewer) else None
    return render_template("patients/show.html", patient=patient,
                           referrals=listing.referrals_for_patient(db.session, patient), plans=plans,
                           overdue=engagement_plans.overdue_steps(plans or [], _today()),
                           owners=engagement_plans.OWNERS,
                           history=listing.timeline(db.session, viewer, patient_id=patient.id,
                                                    kind=request.args.get("kind")))


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
def edit_patient(patient_id: int):
    patient, form = db.session.get(Patient, patient_id) or abort(404), IntakeForm()
    if request.method == "GET":
        form.fill_from(patient)
        log_view(patient)
        return _edit_page(patient_id, form, {}, patient.version)
    version = request.form.get("version", type=int) or 0
    url = url_for("patients.edit_patient", patient_id=patient_id)
    return submit(form, lambda: _correct(patient, form, version),
                  Page(url, lambda errors: _edit_page(patient_id, form, errors, version), "patient record",
                       lambda: db.session.get(Patient, patient_id)),
                  lambda _: saved("Patient details saved.", url_for("patients.show_patient", patient_id=patient_id)),
                  fields={"date_of_birth": "dob_day"})


def _correct(patient: Patient, form: IntakeForm, version: int) -> None:
    found = FieldErrors()
    details = intake.parse_patient(form.raw(), found, _today(), without_nhs_number=patient.nhs_number is None)
    if found:
        raise InvalidInput(dict(found))
    records.update_patient(db.session, actor_for(current_user), patient, details, version)


def _edit_page(patient_id: int, form: IntakeForm, errors: dict, version: int):
    return render_template("patients/edit.html", form=form, errors=errors,
                           patient=db.session.get(Patient, patient_id), version=version)


def _today():
    return datetime.now(UTC).astimezone(LONDON).date()


@bp.route("/<int:patient_id>/verify-identity", methods=["GET", "POST"])
def verify_identity(patient_id: int):
    """A patient registered from an outreach record: the clinician who has checked who they are says so."""
    patient = db.session.get(Patient, patient_id) or abort(404)
    if request.method == "GET":
        log_view(patient)
        return _verify_page(patient_id, {}, {}, patient.version)
    raw, version = request.form.to_dict(), request.form.get("version", type=int) or 0
    url = url_for("patients.verify_identity", patient_id=patient_id)
    return submit(None, lambda: patient_identity.verify_identity(db.session, actor_for(current_user), patient,
                                                                 version, raw),
                  Page(url, lambda errors: _verify_page(patient_id, raw, errors, version, 400), "patient record",
                       lambda: db.session.get(Patient, patient_id)),
                  lambda _: saved("Identity verified.", url_for("patients.show_patient", patient_id=patient_id)))


def _verify_page(patient_id: int, raw: dict, errors: dict, version: int, status: int = 200):
    return render_template("patients/verify_identity.html", raw=raw, errors=errors, version=version,
                           patient=db.session.get(Patient, patient_id)), status
