"""Discharge requests, the senior review queue, and one review with everything the decision needs."""
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.discharge import bp
from inclusive_access.blueprints.discharge.forms import DischargeRequestForm, ReviewDecisionForm
from inclusive_access.blueprints.forms_common import first_errors, new_token
from inclusive_access.blueprints.shared import conflict, current_policy, log_view
from inclusive_access.domain import appointments, discharge, dna, records, referral_flow, reviews, safeguarding
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import (
    DuplicateSubmission,
    InvalidInput,
    NotPermitted,
    StaleRecord,
    TransitionNotAllowed,
)
from inclusive_access.extensions import db
from inclusive_access.htmx import render
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
    referral = db.session.get(Referral, referral_id) or abort(404)
    form, errors = DischargeRequestForm(), {}
    if request.method == "GET":
        form.version.data, form.submission_token.data = referral.version, new_token()
        log_view(referral.patient, referral)
        db.session.commit()
    elif not form.validate_on_submit():
        errors = first_errors(form)
    else:
        try:
            review = discharge.request_discharge(db.session, actor_for(current_user), referral, form.version.data,
                                                 form.reason.data, form.reason_text.data,
                                                 submission_token=form.submission_token.data or None)
        except DuplicateSubmission:
            flash("This request was already sent to a senior.", "info")
            return redirect(url_for("referrals.show_referral", referral_id=referral_id), 303)
        except StaleRecord as stale:
            return conflict(stale, lambda: db.session.get(Referral, referral_id).patient,
                            url_for("discharge.request_discharge", referral_id=referral_id), "referral",
                            lambda: referral_flow.changes_since(db.session, db.session.get(Referral, referral_id),
                                                                form.version.data))
        except (InvalidInput, TransitionNotAllowed) as exc:
            db.session.rollback()
            errors = getattr(exc, "errors", None) or {"reason": str(exc)}
        else:
            db.session.commit()
            flash(f"Discharge requested: a senior will review it (review {review.id}).", "success")
            return redirect(url_for("referrals.show_referral", referral_id=referral_id), 303)
    referral = db.session.get(Referral, referral_id)
    return render_template("discharge/request.html", form=form, errors=errors, referral=referral,
                           patient=referral.patient, **_history(referral)), 400 if errors else 200


@bp.route("/reviews")
def review_queue():
    policy = current_policy()
    worklist = reviews.review_queue(db.session, datetime.now(UTC), page=request.args.get("page", 1, type=int),
                                    policy=policy)
    return render("discharge/queue.html", "discharge/_queue.html", worklist=worklist, query=request.args.to_dict(),
                  review_hours=policy.clocks.senior_review_hours)


def _show(review: SeniorReview, form: ReviewDecisionForm | None = None, errors: dict | None = None,
          status: int = 200):
    referral = review.referral
    records.view_record(db.session, actor_for(current_user), referral.patient, referral)
    db.session.commit()
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
    if not form.validate_on_submit():
        return _show(review, form, first_errors(form), 400)
    try:
        discharge.decide_review(db.session, actor_for(current_user), review, form.version.data, form.to_decision())
    except StaleRecord as stale:
        return conflict(stale, lambda: db.session.get(SeniorReview, review_id).referral.patient,
                        url_for("discharge.show_review", review_id=review_id), "referral",
                        lambda: referral_flow.changes_since(
                            db.session, db.session.get(SeniorReview, review_id).referral, form.version.data))
    except InvalidInput as exc:
        db.session.rollback()
        errors = {FORM_FIELDS.get(k, k): m for k, m in exc.errors.items()}
        return _show(db.session.get(SeniorReview, review_id), form, errors, 400)
    except NotPermitted as exc:
        db.session.rollback()
        return _show(db.session.get(SeniorReview, review_id), form, {"decision": str(exc)}, 400)
    except TransitionNotAllowed as exc:  # decided meanwhile: the page shows the decision, not the form
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("discharge.show_review", review_id=review_id), 303)
    db.session.commit()
    flash(f"Decision recorded: the referral is now {review.referral.state.replace('_', ' ')}.", "success")
    return redirect(url_for("discharge.review_queue"), 303)
