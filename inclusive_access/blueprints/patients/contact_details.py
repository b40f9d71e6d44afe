"""A patient's contact details, and their carer's or advocate's: the care team reads them, booking staff and
clinicians keep them up to date (versioned; every view logged)."""
from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, saved, submit
from inclusive_access.blueprints.patients import bp
from inclusive_access.blueprints.shared import log_view
from inclusive_access.domain import contact_details
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.message_routes import MAX_ADDRESS_LINES, contact_details_for
from inclusive_access.extensions import db
from inclusive_access.models import Patient


@bp.route("/<int:patient_id>/contact-details")
def show_contact_details(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    log_view(patient)
    return render_template("patients/contact_details.html", patient=patient,
                           details=contact_details.ContactInfo.of(contact_details_for(db.session, patient_id)))


@bp.route("/<int:patient_id>/contact-details/edit", methods=["GET", "POST"])
def edit_contact_details(patient_id: int):
    patient = db.session.get(Patient, patient_id) or abort(404)
    if request.method == "GET":
        row = contact_details_for(db.session, patient_id)
        log_view(patient)
        return _edit_page(patient_id, _as_form(contact_details.ContactInfo.of(row)), {},
                          row.version if row is not None else 0)
    raw, version = request.form.to_dict(), request.form.get("version", type=int) or 0
    return submit(None, lambda: contact_details.record_contact_details(
        db.session, actor_for(current_user), patient, version, contact_details.parse_contact_details(raw)),
        Page(url_for("patients.edit_contact_details", patient_id=patient_id),
             lambda errors: _edit_page(patient_id, raw, errors, version, 400), "patient's contact details",
             lambda: db.session.get(Patient, patient_id)),
        lambda _: saved("Contact details saved.", url_for("patients.show_contact_details", patient_id=patient_id)))


def _as_form(info: contact_details.ContactInfo) -> dict:
    """The recorded details as the form's fields, an address in its numbered lines."""
    raw = {key: value for key, value in info.__dict__.items() if not key.endswith("address_lines")}
    for prefix, lines in (("address_line_", info.address_lines), ("carer_address_line_", info.carer_address_lines)):
        raw.update({f"{prefix}{n}": line for n, line in enumerate(lines, start=1)})
    return raw


def _edit_page(patient_id: int, raw: dict, errors: dict, version: int, status: int = 200):
    return render_template("patients/edit_contact_details.html", raw=raw, errors=errors, version=version,
                           patient=db.session.get(Patient, patient_id), lines=range(1, MAX_ADDRESS_LINES + 1)), status
