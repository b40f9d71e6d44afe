"""Referral intake: the form, and the NHS-number lookup that shows an existing patient."""
import secrets
from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.intake import bp
from inclusive_access.blueprints.intake.forms import IntakeForm, ReReferralForm
from inclusive_access.blueprints.shared import conflict, log_view
from inclusive_access.domain import intake, records
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import (
    DuplicateSubmission,
    InvalidInput,
    OpenReferralExists,
    StaleRecord,
    TransitionNotAllowed,
)
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


@bp.route("/new", methods=["GET", "POST"])
def new_referral():
    form = IntakeForm()
    errors: dict[str, str] = {}
    open_referral = None
    if request.method == "GET":
        form.submission_token.data = secrets.token_urlsafe(24)
        form.received_at.data = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")
        form.urgency.data = "routine"
    elif form.validate_on_submit():
        try:
            patient, referral = intake.parse_intake(db.session, form.raw())
            row, linked = intake.receive_referral(
                db.session, actor_for(current_user), patient, referral,
                submission_token=form.submission_token.data or None,
                policy=Policy.from_mapping(current_app.config), duplicate_reason=form.duplicate_reason.data)
        except InvalidInput as exc:
            errors = {ERROR_ANCHORS.get(k, k): msg for k, msg in exc.errors.items()}
        except OpenReferralExists as exc:
            errors, open_referral = OPEN_REFERRAL_ERROR, db.session.get(Referral, exc.existing_id)
        except DuplicateSubmission as dup:
            flash("This referral was already saved; here it is.", "info")
            return redirect(url_for("referrals.show_referral", referral_id=dup.existing_id), 303)
        else:
            db.session.commit()
            flash("linked" if linked else "new", "received")
            return redirect(url_for("referrals.show_referral", referral_id=row.id), 303)
    else:
        abort(400)  # the fields are plain strings: only a tampered one-time token fails here
    return render_template("intake/new.html", form=form, errors=errors, open_referral=open_referral,
                           **_options()), 409 if open_referral else 200


@bp.route("/patients/<int:patient_id>/refer", methods=["GET", "POST"])
def refer_patient(patient_id: int):
    """A new referral for a patient on file: their details are shown, and asked for again only if they changed."""
    patient = db.session.get(Patient, patient_id) or abort(404)
    form, errors, open_referral = IntakeForm(), {}, None
    if request.method == "GET":
        form.submission_token.data, form.urgency.data = secrets.token_urlsafe(24), "routine"
        form.received_at.data = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")
        form.fill_from(patient)
        form.patient_version.data = patient.version
        log_view(patient)
        db.session.commit()
    elif form.validate_on_submit():
        try:
            row = intake.receive_for_patient(
                db.session, actor_for(current_user), patient, form.raw(), form.patient_version.data or 0,
                submission_token=form.submission_token.data or None, policy=Policy.from_mapping(current_app.config),
                duplicate_reason=form.duplicate_reason.data)
        except StaleRecord as stale:
            return conflict(stale, lambda: db.session.get(Patient, patient_id),
                            url_for("intake.refer_patient", patient_id=patient_id), "patient record")
        except InvalidInput as exc:
            db.session.rollback()
            errors = {ERROR_ANCHORS.get(k, k): msg for k, msg in exc.errors.items()}
        except OpenReferralExists as exc:
            db.session.rollback()
            errors, open_referral = OPEN_REFERRAL_ERROR, db.session.get(Referral, exc.existing_id)
        except DuplicateSubmission as dup:
            flash("This referral was already saved; here it is.", "info")
            return redirect(url_for("referrals.show_referral", referral_id=dup.existing_id), 303)
        else:
            db.session.commit()
            flash("linked", "received")
            return redirect(url_for("referrals.show_referral", referral_id=row.id), 303)
    else:
        abort(400)
    return render_template("intake/refer_patient.html", form=form, errors=errors, open_referral=open_referral,
                           patient=db.session.get(Patient, patient_id),
                           **_options()), 409 if open_referral else 400 if errors else 200


@bp.route("/referrals/<int:referral_id>/re-refer", methods=["GET", "POST"])
def re_refer(referral_id: int):
    """A discharged or rejected referral stays read-only: a new one for the same patient links back to it."""
    previous = db.session.get(Referral, referral_id) or abort(404)
    form, errors, open_referral = ReReferralForm(), {}, None
    if request.method == "GET":
        form.submission_token.data = secrets.token_urlsafe(24)
        form.received_at.data = datetime.now(UTC).astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")
        form.urgency.data, form.pathway.data = "routine", previous.pathway.code
        log_view(previous.patient, previous)
        db.session.commit()
    elif form.validate_on_submit():
        try:
            row = intake.re_refer(db.session, actor_for(current_user), previous, form.raw(),
                                  submission_token=form.submission_token.data or None,
                                  policy=Policy.from_mapping(current_app.config))
        except InvalidInput as exc:
            db.session.rollback()
            errors = exc.errors
        except TransitionNotAllowed as exc:
            db.session.rollback()
            errors = {"pathway": str(exc)}
        except OpenReferralExists as exc:
            db.session.rollback()
            errors, open_referral = OPEN_REFERRAL_ERROR, db.session.get(Referral, exc.existing_id)
        except DuplicateSubmission as dup:
            flash("This referral was already saved; here it is.", "info")
            return redirect(url_for("referrals.show_referral", referral_id=dup.existing_id), 303)
        else:
            db.session.commit()
            flash("linked", "received")
            return redirect(url_for("referrals.show_referral", referral_id=row.id), 303)
    else:
        abort(400)
    previous = db.session.get(Referral, referral_id)
    return render_template("intake/re_refer.html", form=form, errors=errors, previous=previous,
                           patient=previous.patient, open_referral=open_referral,
                           **_options()), 409 if open_referral else 400 if errors else 200


@bp.route("/patient-lookup")
def lookup_patient():
    """htmx: tell the user at once when the NHS number belongs to a patient we already know."""
    number = "".join(ch for ch in request.args.get("nhs_number", "") if ch.isdigit())
    patient = intake.find_patient(db.session, number) if len(number) == 10 else None
    if patient is not None:
        records.view_record(db.session, actor_for(current_user), patient)
        db.session.commit()
    return render_template("intake/_existing_patient.html", patient=patient)
