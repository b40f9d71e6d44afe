"""The patient record and patient search: every view is logged; corrections are versioned and never overwrite."""
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.intake.forms import IntakeForm
from inclusive_access.blueprints.patients import bp
from inclusive_access.blueprints.shared import conflict, current_policy, log_view
from inclusive_access.domain import intake, listing, patient_search, records
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import InvalidInput, StaleRecord
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
    records.view_record(db.session, viewer, patient)
    db.session.commit()
    return render_template("patients/show.html", patient=patient,
                           referrals=listing.referrals_for_patient(db.session, patient),
                           history=listing.timeline(db.session, viewer, patient_id=patient.id,
                                                    kind=request.args.get("kind")))


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
def edit_patient(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    form, errors = IntakeForm(), {}
    if request.method == "GET":
        form.fill_from(patient)
        version = patient.version
        log_view(patient)
        db.session.commit()
    else:
        version = request.form.get("version", type=int) or 0
        if form.validate_on_submit():
            found = FieldErrors()
            details = intake.parse_patient(form.raw(), found, _today())
            try:
                if found:
                    raise InvalidInput(dict(found))
                records.update_patient(db.session, actor_for(current_user), patient, details, version)
            except InvalidInput as exc:
                errors = {("dob_day" if k == "date_of_birth" else k): m for k, m in exc.errors.items()}
            except StaleRecord as stale:
                return conflict(stale, lambda: db.session.get(Patient, patient_id),
                                url_for("patients.edit_patient", patient_id=patient_id),
                                "patient record")
            else:
                db.session.commit()
                flash("Patient details saved.", "success")
                return redirect(url_for("patients.show_patient", patient_id=patient.id), 303)
    return render_template("patients/edit.html", form=form, errors=errors, patient=patient, version=version)


def _today():
    return datetime.now(UTC).astimezone(LONDON).date()
