"""Triage: the worklist (htmx filters, refreshed every minute) and the booking script with its outcome."""
from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, saved, submit
from inclusive_access.blueprints.shared import current_messages, current_policy, log_view
from inclusive_access.blueprints.triage import bp
from inclusive_access.blueprints.triage.forms import OUTCOME_LABELS, FlagsForm, TriageForm, WorklistFilterForm
from inclusive_access.domain import intake, referral_flow, states, triage, triage_flags
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.htmx import render_worklist
from inclusive_access.models import Referral

NEXT_PAGE = {"accepted": "appointments.book_appointment"}


@bp.route("/")
def worklist():
    form = WorklistFilterForm(request.args)
    form.set_pathways(intake.active_pathway_codes(db.session))
    if not form.validate():
        form = WorklistFilterForm(formdata=None)
        form.set_pathways(intake.active_pathway_codes(db.session))
    now = datetime.now(UTC)
    worklist = triage.triage_worklist(db.session, triage.WorklistFilters(
        pathway=form.pathway.data or None, flag=form.flag.data or None, overdue_only=form.overdue.data == "yes"),
        now, page=request.args.get("page", 1, type=int))
    return render_worklist("triage/worklist.html", "triage/_worklist.html", worklist, now, form=form)


def _referral(referral_id: int) -> Referral:
    return db.session.get(Referral, referral_id) or abort(404)


@bp.route("/referrals/<int:referral_id>", methods=["GET", "POST"])
def triage_referral(referral_id: int):
    referral, form = _referral(referral_id), TriageForm()
    if request.method == "GET":
        return _open(referral, form)
    escalating = form.outcome.data == "escalate"
    return submit(form, lambda: triage.triage_referral(
        db.session, actor_for(current_user), referral, form.version.data, form.script(), form.adjustments(),
        form.outcome.data, reason_code=form.reason_code.data or None,
        reason_text=form.escalate_reason.data if escalating else form.reason_text.data,
        clarify=form.clarify() if form.outcome.data == "clarify" else None, policy=current_policy(),
        consent_basis=form.adjustment_consent_basis.data or "patient", messages=current_messages()),
        _form_page(referral_id, form),
        lambda record: saved(f"Triage recorded: {referral.state.replace('_', ' ')}.",
                             url_for(NEXT_PAGE[record.outcome], referral_id=referral.id)
                             if record.outcome in NEXT_PAGE else url_for("triage.worklist")),
        # the domain's names for what the form asks in other fields (the summary links to the field)
        fields={"proposed_adjustments": "other_adjustment_category",
                **({"reason_text": "escalate_reason"} if escalating else {})}, refused="outcome")


@bp.route("/referrals/<int:referral_id>/flags", methods=["GET", "POST"])
def correct_flags(referral_id: int):
    referral, form = _referral(referral_id), FlagsForm()
    if request.method == "GET":
        form.version.data, form.flags.data = referral.version, list(referral.flags)
        log_view(referral.patient, referral)
        return _flags_page(referral_id, form, {})
    return submit(form, lambda: triage_flags.correct_flags(
        db.session, actor_for(current_user), referral, form.version.data, form.flags.data or [], form.reason.data,
        policy=current_policy()),
        # a refusal (triaged meanwhile) is told on the triage page, which says where the referral is now
        Page(url_for("triage.triage_referral", referral_id=referral_id),
             lambda errors: _flags_page(referral_id, form, errors), "referral",
             lambda: _referral(referral_id).patient,
             lambda: referral_flow.changes_since(db.session, _referral(referral_id), form.version.data)),
        lambda _none: saved("Inequality flags corrected.", url_for("triage.triage_referral", referral_id=referral_id)))


def _flags_page(referral_id: int, form: FlagsForm, errors: dict):
    referral = _referral(referral_id)
    return render_template("triage/flags.html", form=form, errors=errors, referral=referral,
                           patient=referral.patient), 400 if errors else 200


def _form_page(referral_id: int, form: TriageForm) -> Page:
    """The script again with its messages; a conflict lists what changed."""
    return Page(url_for("triage.triage_referral", referral_id=referral_id),
                lambda errors: _page(referral_id, form, errors), "referral", lambda: _referral(referral_id).patient,
                lambda: referral_flow.changes_since(db.session, _referral(referral_id), form.version.data))


def _open(referral: Referral, form: TriageForm):
    """The script, filled in from the patient's record and any answers saved before."""
    record = triage.record_for(db.session, referral.id)
    form.version.data = referral.version
    form.interpreter_needed.data = {True: "yes", False: "no"}.get(referral.patient.interpreter_needed)
    form.language.data = referral.patient.preferred_language
    if record is not None:
        form.fill_from(record.answers)
    log_view(referral.patient, referral)
    return _page(referral.id, form, {})


def _page(referral_id: int, form: TriageForm, errors: dict):
    referral = _referral(referral_id)
    return render_template("triage/triage.html", form=form, errors=errors, referral=referral,
                           senior_signs_rejection=triage_flags.rejection_needs_a_senior(db.session, referral),
                           patient=referral.patient, outcomes=OUTCOME_LABELS,
                           actions=states.allowed_actions(referral.state, current_user.role),
                           suggestions=_suggestions(form)), 400 if errors else 200


def _suggestions(form: TriageForm) -> dict:
    script = form.script()
    return {"formats": triage.suggest_formats(script), "adjustments": triage.suggest_adjustments(script)}


@bp.route("/referrals/<int:referral_id>/suggestions")
def preview_suggestions(referral_id: int):
    """htmx: the formats and adjustments the script's answers suggest, as the user answers."""
    _referral(referral_id)
    form = TriageForm(formdata=request.args, meta={"csrf": False})
    return render_template("triage/_suggestions.html", suggestions=_suggestions(form))
