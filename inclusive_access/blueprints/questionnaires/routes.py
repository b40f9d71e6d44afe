"""Recording a patient's answers to a questionnaire, and the worklist of questionnaires due and not returned."""
from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, Repeat, saved, submit
from inclusive_access.blueprints.forms_common import new_token
from inclusive_access.blueprints.questionnaires import bp
from inclusive_access.blueprints.questionnaires.forms import AnswersForm, answers_form
from inclusive_access.blueprints.shared import instruments, log_view
from inclusive_access.domain import questionnaires, questionnaires_due
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.validation import LONDON
from inclusive_access.extensions import db
from inclusive_access.models import Referral


@bp.route("/referrals/<int:referral_id>/<string:instrument_id>/new", methods=["GET", "POST"])
def record_answers(referral_id: int, instrument_id: str):
    referral = db.session.get(Referral, referral_id) or abort(404)
    instrument = instruments().get(instrument_id) or abort(404)
    form, now = answers_form(instrument), datetime.now(UTC)
    referral_url = url_for("referrals.show_referral", referral_id=referral_id)
    if request.method == "GET":
        form.start(new_token(), questionnaires_due.due_time_point(
            db.session, instruments(), referral_id, instrument_id, now),
            now.astimezone(LONDON).date())
        log_view(referral.patient, referral)
        return _new_page(referral_id, form, {})
    return submit(form, lambda: questionnaires.record_answers(
        db.session, actor_for(current_user), referral, instrument, form.time_point.data or "", form.answers(),
        form.mode.data or "", form.completed_at(now, referral.received_at), form.submission_token.data or None, now),
        Page(request.path, lambda errors: _new_page(referral_id, form, errors)),
        lambda _response: saved(f"{instrument.title}: answers recorded.", referral_url),
        fields=form.domain_fields, repeat=Repeat("These answers were already recorded.", lambda _id: referral_url))


def _new_page(referral_id: int, form: AnswersForm, errors: dict):
    referral = db.session.get(Referral, referral_id)
    return render_template("questionnaires/new.html", form=form, errors=errors, referral=referral,
                           patient=referral.patient, instrument=form.instrument), 400 if errors else 200


@bp.route("/due")
def worklist():
    due = questionnaires_due.due_page(db.session, instruments(), datetime.now(UTC),
                                      request.args.get("page", 1, type=int))
    return render_template("questionnaires/worklist.html", due=due)
