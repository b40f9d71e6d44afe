"""The patient record: every view is logged; corrections are versioned and never overwrite."""
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.intake.forms import IntakeForm
from inclusive_access.blueprints.patients import bp
from inclusive_access.blueprints.shared import conflict, log_view
from inclusive_access.domain import intake, listing, records
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.domain.validation import LONDON, FieldErrors
from inclusive_access.extensions import db
from inclusive_access.models import Patient

_FIELDS = intake.PATIENT_FIELDS


@bp.route("/<int:patient_id>")
def show_patient(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    viewer = actor_for(current_user)
    records.view_record(db.session, viewer, patient)
    db.session.commit()
    return render_template("patients/show.html", patient=patient,
                           referrals=listing.referrals_for_patient(db.session, patient),
                           events=listing.timeline(db.session, viewer, patient_id=patient.id))


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
def edit_patient(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    form, errors = IntakeForm(), {}
    if request.method == "GET":
        _fill(form, patient)
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


def _fill(form: IntakeForm, patient: Patient) -> None:
    tri = {True: "yes", False: "no", None: "unknown"}
    for name in _FIELDS:
        value = getattr(patient, name)
        if name in ("interpreter_needed", "learning_disability", "cognitive_impairment", "caring_responsibilities"):
            value = tri[value]
        if name == "date_of_birth":
            form.dob_day.data, form.dob_month.data, form.dob_year.data = (
                str(value.day), str(value.month), str(value.year))
            continue
        getattr(form, name).data = "" if value is None else (value if isinstance(value, list) else str(value))


def _today():
    return datetime.now(UTC).astimezone(LONDON).date()
