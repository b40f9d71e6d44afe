"""Clarifications: the worklist (escalated first), one clarification's page, attempts and closing."""
from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.clarification import bp
from inclusive_access.blueprints.clarification.forms import AttemptForm, CloseForm
from inclusive_access.blueprints.commands import Page, Repeat, saved, submit
from inclusive_access.blueprints.forms_common import new_token
from inclusive_access.blueprints.shared import log_view
from inclusive_access.domain import clarification
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.htmx import render_worklist
from inclusive_access.models import Clarification, Referral


@bp.route("/")
def worklist():
    now = datetime.now(UTC)
    worklist = clarification.clarification_worklist(db.session, now, page=request.args.get("page", 1, type=int))
    return render_worklist("clarification/worklist.html", "clarification/_worklist.html", worklist, now)


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
    close_form = CloseForm(formdata=None)
    close_form.version.data = item.version
    return _page(item, referral, AttemptForm(formdata=None, submission_token=new_token()), close_form, {})


def _form_page(clarification_id: int, attempt_form=None, close_form=None) -> Page:
    """The clarification's page again, with the form that was posted and its messages."""
    def show(errors: dict):
        item, referral = _load(clarification_id)
        return _page(item, referral, attempt_form or AttemptForm(formdata=None),
                     close_form or CloseForm(formdata=None, version=item.version), errors, 400)

    return Page(url_for("clarification.show_clarification", clarification_id=clarification_id), show,
                "clarification", lambda: _load(clarification_id)[1].patient)


@bp.route("/<int:clarification_id>/attempts", methods=["POST"])
def log_attempt(clarification_id: int):
    (item, _referral), form = _load(clarification_id), AttemptForm()
    page = _form_page(clarification_id, attempt_form=form)
    return submit(form, lambda: clarification.log_attempt(
        db.session, actor_for(current_user), item, form.method.data, form.reached.data == "yes",
        form.note.data or None, form.submission_token.data or None),
        page, lambda _: saved("Contact attempt recorded.", page.url),
        repeat=Repeat("This contact attempt was already recorded."))


@bp.route("/<int:clarification_id>/close", methods=["POST"])
def close_clarification(clarification_id: int):
    (item, _referral), form = _load(clarification_id), CloseForm()
    return submit(form, lambda: clarification.close_clarification(
        db.session, actor_for(current_user), item, form.version.data, form.response.data or None,
        form.close_reason.data or None),
        _form_page(clarification_id, close_form=form),
        lambda _: saved("Clarification closed; the referral is back at the top of the triage worklist.",
                        url_for("triage.worklist")))
