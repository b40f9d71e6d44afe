"""Discharge requests, the senior review queue, and one review with everything the decision needs."""
from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, Repeat, saved, submit
from inclusive_access.blueprints.discharge import bp
from inclusive_access.blueprints.discharge.forms import DischargeRequestForm, ReviewDecisionForm
from inclusive_access.blueprints.forms_common import new_token
from inclusive_access.blueprints.shared import current_policy, log_view
from inclusive_access.domain import appointments, discharge, dna, referral_flow, reviews, safeguarding
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.htmx import render_worklist
from inclusive_access.models import Referral, SeniorReview

#: the domain's names for what the decision form asks in other fields
FORM_FIELDS = {"category": "concern_category", "concern": "concern_text", "return_to_triage": "return_to"}


def _history(referral: Referral) -> dict:
    """The DNA and contact history both pages show: appointments, barrier checks with their attempts."""
    return {"appointments": appointments.appointments_for(db.session, referral),
            "checks": dna.checks_by_appointment(db.session, referral.id),
            "open_check": dna.open_check_for(db.session, referral.id)}


@bp.route("/referrals/<int:referral_id>/request", methods=["GET", "POST"])
def request_discharge(referral_id: int):
    referral, form = db.session.get(Referral, referral_id) or abort(404), DischargeRequestForm()
    if request.method == "GET":
        form.version.data, form.submission_token.data = referral.version, new_token()
        log_view(referral.patient, referral)
        return _request_page(referral_id, form, {})
    shown = url_for("referrals.show_referral", referral_id=referral_id)
    return submit(form, lambda: discharge.request_discharge(
        db.session, actor_for(current_user), referral, form.version.data, form.reason.data, form.reason_text.data,
        submission_token=form.submission_token.data or None),
        _referral_page(url_for("discharge.request_discharge", referral_id=referral_id), referral_id, form.version.data,
                       lambda errors: _request_page(referral_id, form, errors)),
        lambda review: saved(f"Discharge requested: a senior will review it (review {review.id}).", shown),
        refused="reason", repeat=Repeat("This request was already sent to a senior.", lambda _: shown))


def _referral_page(url: str, referral_id: int, seen_version: int, show) -> Page:
    """A form about the referral: the conflict page lists what changed on it since `seen_version`."""
    def referral() -> Referral:
        return db.session.get(Referral, referral_id)

    return Page(url, show, "referral", lambda: referral().patient,
                lambda: referral_flow.changes_since(db.session, referral(), seen_version))


def _request_page(referral_id: int, form: DischargeRequestForm, errors: dict):
    referral = db.session.get(Referral, referral_id)
    return render_template("discharge/request.html", form=form, errors=errors, referral=referral,
                           patient=referral.patient, **_history(referral)), 400 if errors else 200


@bp.route("/reviews")
def review_queue():
    policy = current_policy()
    now = datetime.now(UTC)
    worklist = reviews.review_queue(db.session, now, page=request.args.get("page", 1, type=int), policy=policy)
    return render_worklist("discharge/queue.html", "discharge/_queue.html", worklist, now,
                           review_hours=policy.clocks.senior_review_hours)


def _show(review: SeniorReview, form: ReviewDecisionForm | None = None, errors: dict | None = None,
          status: int = 200):
    referral = review.referral
    log_view(referral.patient, referral)
    unreached = discharge.unreached_since_last_contact(db.session, referral)
    lost_contact = discharge.is_lost_contact(unreached)
    if form is None:  # lost contact prompts the safeguarding route: its kind is filled in
        form = ReviewDecisionForm(formdata=None, version=referral.version,
                                  concern_category="lost_contact" if lost_contact else "")
    return render_template(
        "discharge/review.html", review=review, referral=referral, patient=referral.patient, form=form,
        errors=errors or {}, blocks=discharge.discharge_blocks(db.session, referral),
        may_approve=reviews.may_approve(actor_for(current_user), review),
        unreached=unreached,
        lost_contact=lost_contact,
        concerns=safeguarding.concerns_for_patient(db.session, referral.patient_id),
        past_reviews=[r for r in reviews.reviews_for(db.session, referral.id) if r.id != review.id],
        **_history(referral)), status


@bp.route("/reviews/<int:review_id>")
def show_review(review_id: int):
    return _show(db.session.get(SeniorReview, review_id) or abort(404))


@bp.route("/reviews/<int:review_id>/decision", methods=["POST"])
def decide_review(review_id: int):
    review, form = db.session.get(SeniorReview, review_id) or abort(404), ReviewDecisionForm()
    return submit(form, lambda: discharge.decide_review(
        db.session, actor_for(current_user), review, form.version.data, form.to_decision()),
        _referral_page(url_for("discharge.show_review", review_id=review_id), review.referral_id, form.version.data,
                       lambda errors: _show(db.session.get(SeniorReview, review_id), form, errors, 400)),
        lambda _: saved(f"Decision recorded: the referral is now {review.referral.state.replace('_', ' ')}.",
                        url_for("discharge.review_queue")),
        # decided meanwhile: the page shows the decision, not the form; four eyes: beside the decision
        fields=FORM_FIELDS, not_permitted="decision")
