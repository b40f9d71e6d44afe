"""Clarifications: the worklist (escalated first), one clarification's page, attempts and closing."""
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.clarification import bp
from inclusive_access.blueprints.clarification.forms import AttemptForm, CloseForm
from inclusive_access.blueprints.forms_common import first_errors, new_token
from inclusive_access.blueprints.shared import conflict, log_view
from inclusive_access.domain import clarification
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import DuplicateSubmission, InvalidInput, StaleRecord
from inclusive_access.extensions import db
from inclusive_access.htmx import render
from inclusive_access.models import Clarification, Referral


@bp.route("/")
def worklist():
    worklist = clarification.clarification_worklist(db.session, datetime.now(UTC),
                                                    page=request.args.get("page", 1, type=int))
    return render("clarification/worklist.html", "clarification/_worklist.html", worklist=worklist,
                  query=request.args.to_dict())


def _load(clarification_id: int) -> tuple[Clarification, Referral]:
    item = db.session.get(Clarification, clarification_id) or abort(404)
    return item, db.session.get(Referral, item.referral_id)


def _page(item, referral, attempt_form, close_form, errors, status=200):
    return render_template("clarification/show.html", item=item, referral=referral, patient=referral.patient,
                           attempt_form=attempt_form, close_form=close_form, errors=errors), status


@bp.route("/<int:clarification_id>")
def show_clarification(clarification_id: int):
    item, referral = _load(clarification_id)
    log_view(referral.patient, referral)
    db.session.commit()
    close_form = CloseForm(formdata=None)
    close_form.version.data = item.version
    return _page(item, referral, AttemptForm(formdata=None, submission_token=new_token()), close_form, {})


@bp.route("/<int:clarification_id>/attempts", methods=["POST"])
def log_attempt(clarification_id: int):
    item, referral = _load(clarification_id)
    form = AttemptForm()
    if form.validate_on_submit():
        try:
            clarification.log_attempt(db.session, actor_for(current_user), item, form.method.data,
                                      form.reached.data == "yes", form.note.data or None,
                                      form.submission_token.data or None)
        except DuplicateSubmission:
            db.session.rollback()
            flash("This contact attempt was already recorded.", "info")
            return redirect(url_for("clarification.show_clarification", clarification_id=clarification_id), 303)
        except InvalidInput as exc:
            db.session.rollback()
            return _page(item, referral, form, CloseForm(formdata=None, version=item.version), exc.errors, 400)
        db.session.commit()
        flash("Contact attempt recorded.", "success")
        return redirect(url_for("clarification.show_clarification", clarification_id=clarification_id), 303)
    return _page(item, referral, form, CloseForm(formdata=None, version=item.version), first_errors(form), 400)


@bp.route("/<int:clarification_id>/close", methods=["POST"])
def close_clarification(clarification_id: int):
    item, referral = _load(clarification_id)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            clarification.close_clarification(db.session, actor_for(current_user), item, form.version.data,
                                              form.response.data or None, form.close_reason.data or None)
        except StaleRecord as stale:
            return conflict(stale, lambda: _load(clarification_id)[1].patient,
                            url_for("clarification.show_clarification", clarification_id=clarification_id),
                            "clarification")
        except InvalidInput as exc:
            db.session.rollback()
            return _page(item, referral, AttemptForm(formdata=None), form, exc.errors, 400)
        db.session.commit()
        flash("Clarification closed; the referral is back at the top of the triage worklist.", "success")
        return redirect(url_for("triage.worklist"), 303)
    return _page(item, referral, AttemptForm(formdata=None), form, first_errors(form), 400)
