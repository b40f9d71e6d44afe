"""The reconciliation list and one record's page: its candidate patients with the reasons each is offered, linking
to an open referral, a new outreach referral or a new patient (identity not verified), and a senior's undo."""
from collections.abc import Callable

from flask import abort, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from inclusive_access.blueprints.commands import Page, elsewhere, saved, submit
from inclusive_access.blueprints.outreach_reconciliation import bp
from inclusive_access.blueprints.outreach_reconciliation.forms import LinkForm, NewPatientForm, ReferForm, UndoForm
from inclusive_access.domain import (
    outreach_candidates,
    outreach_reconciliation,
    outreach_registration,
    reconciliation_list,
    records,
)
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.outreach_records import RISKS
from inclusive_access.extensions import db
from inclusive_access.models import OutreachRecord, Partner, Patient, Referral


@bp.route("/")
def list_records():
    return render_template("outreach_reconciliation/list.html",
                           rows=reconciliation_list.unreconciled_for(db.session, actor_for(current_user)))


def _record(record_id: int) -> OutreachRecord:
    """The record, when this user may open it: to anyone else it does not exist (404), so the list of who was seen
    at a venue is not revealed by guessing ids."""
    record = db.session.get(OutreachRecord, record_id)
    if record is None or not reconciliation_list.may_open(db.session, actor_for(current_user), record):
        abort(404)
    return record


def _show(record: OutreachRecord, errors: dict | None = None, undo: UndoForm | None = None, status: int = 200):
    actor = actor_for(current_user)
    found, patient, referral = [], None, None
    if record.reconciliation == "unreconciled":
        found = outreach_candidates.candidates(db.session, actor, record)
    else:
        patient, referral = db.session.get(Patient, record.patient_id), db.session.get(Referral, record.referral_id)
        records.view_record(db.session, actor, patient, referral)
    db.session.commit()
    partners = db.session.scalars(select(Partner.name).where(Partner.id.in_(record.shared_with_partner_ids))
                                  .order_by(Partner.name)).all()
    return render_template("outreach_reconciliation/show.html", record=record, candidates=found, patient=patient,
                           referral=referral, partners=partners, risks=RISKS, errors=errors or {},
                           undo=undo or UndoForm(formdata=None, version=record.version)), status


@bp.route("/<int:record_id>")
def show_record(record_id: int):
    return _show(_record(record_id))


def _save(record_id: int, form, verb: Callable, message: str, target: tuple[type, str] | None = None):
    """Each form is a button on the record's page: a refusal is told there; once linked, the patient's page.
    `verb` is called with the record, the `target` (a model and the form's field of its id; none found: 404) and the
    version seen."""
    record = _record(record_id)
    url = url_for("outreach_reconciliation.show_record", record_id=record_id)

    def act():
        found = (db.session.get(target[0], form[target[1]].data) or abort(404),) if target else ()
        return verb(db.session, actor_for(current_user), record, *found, form.version.data)

    return submit(form, act, elsewhere(url, "outreach record"),
                  lambda _: saved(message, url_for("patients.show_patient", patient_id=_record(record_id).patient_id)))


@bp.route("/<int:record_id>/link", methods=["POST"])
def link_record(record_id: int):
    return _save(record_id, LinkForm(), outreach_reconciliation.link,
                 "Outreach record linked. It shows on the patient's timeline.", (Referral, "referral_id"))


@bp.route("/<int:record_id>/refer", methods=["POST"])
def refer_and_link(record_id: int):
    return _save(record_id, ReferForm(), outreach_registration.refer_and_link,
                 "Outreach referral received and the record linked to it.", (Patient, "patient_id"))


@bp.route("/<int:record_id>/new-patient", methods=["POST"])
def register_patient(record_id: int):
    return _save(record_id, NewPatientForm(), outreach_registration.register_and_link,
                 "New patient registered (identity not verified) and the record linked to their outreach referral.")


@bp.route("/<int:record_id>/undo", methods=["POST"])
def undo_link(record_id: int):
    """Back to the patient the record was wrongly linked to: their history shows the link and its undoing (the
    record itself is again its session's clinicians' alone)."""
    form, record = UndoForm(), _record(record_id)
    url, patient_id = url_for("outreach_reconciliation.show_record", record_id=record_id), record.patient_id
    return submit(form, lambda: outreach_reconciliation.undo_link(
        db.session, actor_for(current_user), record, form.version.data, form.reason.data),
        Page(url, lambda errors: _show(_record(record_id), errors, form, 400), "outreach record"),
        lambda _: saved("Link undone. The record is back on its session clinicians' reconciliation list.",
                        url_for("patients.show_patient", patient_id=patient_id)))
