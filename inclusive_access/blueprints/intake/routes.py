"""Referral intake: the form, and the NHS-number lookup that shows an existing patient."""
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, Repeat, submit
from inclusive_access.blueprints.intake import bp
from inclusive_access.blueprints.intake.forms import IntakeForm, ReReferralForm
from inclusive_access.blueprints.shared import log_view
from inclusive_access.domain import intake, organisations, records
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import OpenReferralExists
from inclusive_access.domain.policy import Policy
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Patient, Referral

# The form shows the date of birth as three boxes; its errors belong to the first of them.
ERROR_ANCHORS = {"date_of_birth": "dob_day"}
OPEN_REFERRAL_ERROR = {"duplicate_reason": "Give the reason for another referral on this pathway, or open the "
                                           "referral already there"}


def _options() -> dict:
    return {"pathways": intake.active_pathway_codes(db.session), "urgencies": intake.URGENCIES}


def _intake_page(url: str, render_form: Callable[..., ResponseReturnValue], what: str = "record",
                 patient: Callable[[], Patient] | None = None) -> dict:
    """`submit`'s arguments every intake form shares: its page, the date of birth's anchor, an open referral on the
    pathway shown beside the reason asked for (409), and a second submit sent to the referral the first made."""
    return {"page": Page(url, render_form, what, patient), "fields": ERROR_ANCHORS,
            "handlers": {OpenReferralExists: lambda exc: render_form(
                OPEN_REFERRAL_ERROR, db.session.get(Referral, exc.existing_id))},
            "repeat": Repeat("This referral was already saved; here it is.",
                             lambda existing: url_for("referrals.show_referral", referral_id=existing))}


def _received(row: Referral, linked: bool = True):
    flash("linked" if linked else "new", "received")
    return redirect(url_for("referrals.show_referral", referral_id=row.id), 303)


def _new_form(form: IntakeForm):
    form.submission_token.data, form.urgency.data = secrets.token_urlsafe(24), "routine"
    form.received_at.data = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


@bp.route("/new", methods=["GET", "POST"])
def new_referral():
    form = IntakeForm()
    if request.method == "GET":
        _new_form(form)
        return _new_page(form, {})
    if not form.validate_on_submit():
        abort(400)  # the fields are plain strings: only a tampered one-time token fails here
    return submit(None, lambda: _receive(form), done=lambda received: _received(*received),
                  **_intake_page(url_for("intake.new_referral"), lambda errors, open_referral=None: _new_page(
                      form, errors, open_referral)))


def _receive(form: IntakeForm) -> tuple[Referral, bool]:
    patient, referral = intake.parse_intake(db.session, form.raw())
    return intake.receive_referral(db.session, actor_for(current_user), patient, referral,
                                   submission_token=form.submission_token.data or None,
                                   policy=Policy.from_mapping(current_app.config),
                                   duplicate_reason=form.duplicate_reason.data)


def _new_page(form: IntakeForm, errors: dict, open_referral: Referral | None = None):
    return render_template("intake/new.html", form=form, errors=errors, open_referral=open_referral,
                           **_options()), 409 if open_referral else 400 if errors else 200


@bp.route("/patients/<int:patient_id>/refer", methods=["GET", "POST"])
def refer_patient(patient_id: int):
    """A new referral for a patient on file: their details are shown, and asked for again only if they changed."""
    patient, form = db.session.get(Patient, patient_id) or abort(404), IntakeForm()
    if request.method == "GET":
        _new_form(form)
        form.fill_from(patient)
        form.patient_version.data = patient.version
        log_view(patient)
        return _refer_page(patient_id, form, {})
    if not form.validate_on_submit():
        abort(400)
    return submit(None, lambda: intake.receive_for_patient(
        db.session, actor_for(current_user), patient, form.raw(), form.patient_version.data or 0,
        submission_token=form.submission_token.data or None, policy=Policy.from_mapping(current_app.config),
        duplicate_reason=form.duplicate_reason.data), done=_received,
        **_intake_page(url_for("intake.refer_patient", patient_id=patient_id),
                       lambda errors, open_referral=None: _refer_page(patient_id, form, errors, open_referral),
                       "patient record", lambda: db.session.get(Patient, patient_id)))


def _refer_page(patient_id: int, form: IntakeForm, errors: dict, open_referral: Referral | None = None):
    return render_template("intake/refer_patient.html", form=form, errors=errors, open_referral=open_referral,
                           patient=db.session.get(Patient, patient_id),
                           **_options()), 409 if open_referral else 400 if errors else 200


@bp.route("/referrals/<int:referral_id>/re-refer", methods=["GET", "POST"])
def re_refer(referral_id: int):
    """A discharged or rejected referral stays read-only: a new one for the same patient links back to it."""
    previous, form = db.session.get(Referral, referral_id) or abort(404), ReReferralForm()
    if request.method == "GET":
        _new_form(form)
        form.pathway.data = previous.pathway.code
        log_view(previous.patient, previous)
        return _re_refer_page(referral_id, form, {})
    if not form.validate_on_submit():
        abort(400)
    return submit(None, lambda: intake.re_refer(
        db.session, actor_for(current_user), previous, form.raw(),
        submission_token=form.submission_token.data or None, policy=Policy.from_mapping(current_app.config)),
        done=_received, refused="pathway",
        **_intake_page(url_for("intake.re_refer", referral_id=referral_id),
                       lambda errors, open_referral=None: _re_refer_page(referral_id, form, errors, open_referral)))


def _re_refer_page(referral_id: int, form: ReReferralForm, errors: dict, open_referral: Referral | None = None):
    previous = db.session.get(Referral, referral_id)
    return render_template("intake/re_refer.html", form=form, errors=errors, previous=previous,
                           patient=previous.patient, open_referral=open_referral,
                           **_options()), 409 if open_referral else 400 if errors else 200


@bp.route("/organisations")
def find_organisations():
    """htmx: the open organisations matching what was typed, to fill in the referrer's ODS code and name."""
    term = request.args.get("organisation_search", "")[:100]
    return render_template("intake/_organisations.html", term=term, found=organisations.search(db.session, term),
                           limit=organisations.SEARCH_LIMIT)


@bp.route("/patient-lookup")
def lookup_patient():
    """htmx: tell the user at once when the NHS number belongs to a patient we already know."""
    number = "".join(ch for ch in request.args.get("nhs_number", "") if ch.isdigit())
    patient = intake.find_patient(db.session, number) if len(number) == 10 else None
    if patient is not None:
        records.view_record(db.session, actor_for(current_user), patient)
        db.session.commit()
    return render_template("intake/_existing_patient.html", patient=patient)
