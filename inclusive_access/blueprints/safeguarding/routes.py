"""Safeguarding concerns: the open list, raising one, and one concern's route, actions and closure."""
from collections.abc import Callable

from flask import abort, render_template, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, Repeat, saved, submit
from inclusive_access.blueprints.forms_common import new_token
from inclusive_access.blueprints.referral_forms import add_to_referral
from inclusive_access.blueprints.safeguarding import bp
from inclusive_access.blueprints.safeguarding.forms import ActionForm, CloseForm, ConcernForm, RouteForm
from inclusive_access.blueprints.shared import log_view
from inclusive_access.domain import outreach_safeguarding, safeguarding
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.models import Referral, SafeguardingConcern

#: the outreach reconciliation list (its blueprint is built separately: a plain path keeps this link independent)
RECONCILIATION_LIST = "/outreach/reconciliation"


@bp.route("/")
def list_concerns():
    return render_template("safeguarding/list.html", rows=safeguarding.open_concerns(db.session),
                           outreach_waiting=outreach_safeguarding.count_waiting(db.session, actor_for(current_user)),
                           reconciliation_url=RECONCILIATION_LIST)


@bp.route("/referrals/<int:referral_id>/new", methods=["GET", "POST"])
def raise_concern(referral_id: int):
    form = ConcernForm()
    return add_to_referral(
        db.session.get(Referral, referral_id) or abort(404), form, "safeguarding/new.html",
        lambda session, actor, referral, **token: safeguarding.raise_concern(
            session, actor, referral, form.details(), **token),
        lambda concern: saved("Safeguarding concern raised. It shows on the patient banner until a senior closes it.",
                              url_for("safeguarding.show_concern", concern_id=concern.id)),
        refused="category", repeat=Repeat("This concern was already raised; here it is.",
                                          lambda existing: url_for("safeguarding.show_concern", concern_id=existing)))


def _concern(concern_id: int) -> SafeguardingConcern:
    return db.session.get(SafeguardingConcern, concern_id) or abort(404)


def _show(concern: SafeguardingConcern, errors: dict | None = None, forms: dict | None = None, status: int = 200):
    log_view(concern.referral.patient, concern.referral)
    forms = {"route": RouteForm(formdata=None, obj=concern, version=concern.version,
                                reference=concern.route_reference),
             "action": ActionForm(formdata=None, submission_token=new_token()),
             "close": CloseForm(formdata=None, version=concern.version),
             **(forms or {})}
    return render_template("safeguarding/show.html", concern=concern, referral=concern.referral,
                           patient=concern.referral.patient, forms=forms, errors=errors or {}), status


@bp.route("/<int:concern_id>")
def show_concern(concern_id: int):
    return _show(_concern(concern_id))


def _save(concern_id: int, form, name: str, verb: Callable[[SafeguardingConcern], object], message: str):
    """One concern's forms: errors re-show the concern with the form; closed meanwhile, the page says so."""
    concern = _concern(concern_id)
    url = url_for("safeguarding.show_concern", concern_id=concern_id)
    return submit(form, lambda: verb(concern),
                  Page(url, lambda errors: _show(_concern(concern_id), errors, {name: form}, 400),
                       "safeguarding concern", lambda: _concern(concern_id).referral.patient),
                  lambda _: saved(message, url), repeat=Repeat("This was already recorded."))


@bp.route("/<int:concern_id>/route", methods=["POST"])
def route_concern(concern_id: int):
    form = RouteForm()
    return _save(concern_id, form, "route", lambda concern: safeguarding.route_concern(
        db.session, actor_for(current_user), concern, form.version.data, form.routed_to.data, form.routed_on.data,
        form.reference.data or None), "Multi-agency referral recorded.")


@bp.route("/<int:concern_id>/actions", methods=["POST"])
def record_action(concern_id: int):
    form = ActionForm()
    return _save(concern_id, form, "action", lambda concern: safeguarding.record_action(
        db.session, actor_for(current_user), concern, form.action.data, form.submission_token.data or None),
        "Action recorded.")


@bp.route("/<int:concern_id>/close", methods=["POST"])
def close_concern(concern_id: int):
    form = CloseForm()
    return _save(concern_id, form, "close", lambda concern: safeguarding.close_concern(
        db.session, actor_for(current_user), concern, form.version.data, form.outcome.data, form.summary.data),
        "Safeguarding concern closed.")
