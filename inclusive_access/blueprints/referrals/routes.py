"""The referral list with htmx filters, and one referral with its patient banner and timeline."""
from flask import abort, redirect, request
from flask_login import current_user

from inclusive_access.blueprints.home.routes import home_url
from inclusive_access.blueprints.referrals import bp
from inclusive_access.blueprints.referrals.forms import ReferralFilterForm
from inclusive_access.blueprints.shared import instruments, log_view
from inclusive_access.domain import (
    intake,
    keyset,
    listing,
    questionnaire_links,
    questionnaires_due,
    referral_flow,
    reviews,
    safeguarding,
    urgent_contacts,
)
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.htmx import render
from inclusive_access.models import Referral


@bp.route("/")
def index():
    """Where signing in lands: the user's own work, as `/` opens it."""
    return redirect(home_url())


@bp.route("/list")
def list_referrals():
    form = ReferralFilterForm(request.args)
    pathways = intake.active_pathway_codes(db.session)
    form.set_pathways(pathways)
    if not form.validate():  # a hand-edited URL: show everything rather than an error
        form = ReferralFilterForm(formdata=None)
        form.set_pathways(pathways)
    filters = listing.ReferralFilters(
        pathway=form.pathway.data or None, state=form.state.data or None,
        flagged={"yes": True, "no": False}.get(form.flagged.data),
        # a key that is not one of ours gives the first page (keyset.parse), never an error
        after=keyset.parse(request.args.get("after")), before=keyset.parse(request.args.get("before")))
    page = listing.list_referrals(db.session, filters, per_page=listing.PER_PAGE)
    filtered = {field.name: field.data for field in form if field.data}  # the links keep the filters, no key
    return render("referrals/list.html", "referrals/_results.html", form=form, page=page, pathways=pathways,
                  query=filtered, page_bound=listing.COUNT_BOUND)


@bp.route("/<int:referral_id>")
def show_referral(referral_id: int):
    referral = db.session.get(Referral, referral_id) or abort(404)
    viewer = actor_for(current_user)
    log_view(referral.patient, referral)
    review = reviews.pending_review(db.session, referral.id)
    return render("referrals/show.html", "referrals/show.html", referral=referral, patient=referral.patient,
                  history=listing.timeline(db.session, viewer, referral_id=referral.id,
                                           kind=request.args.get("kind")),
                  actions=referral_flow.page_actions(referral, current_user.role, review is not None),
                  review=review,
                  concerns=safeguarding.concerns_for_referral(db.session, referral.id),
                  urgent=urgent_contacts.contacts_for_referral(db.session, referral.id),
                  questionnaires=questionnaires_due.referral_section(
                      db.session, instruments(), referral, current_user.role),
                  links=questionnaire_links.links_for_referral(db.session, referral.id, instruments()),
                  later=listing.re_referrals(db.session, referral.id),
                  returned_after=intake.discharged_before_return(db.session, referral.patient_id, referral.pathway_id,
                                                                 referral.received_at, referral.id))
