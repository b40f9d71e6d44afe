"""Recording a crisis or urgent contact on a referral; the referral page lists them."""
from flask import abort, render_template, request, url_for
from flask_login import current_user

from inclusive_access.blueprints.commands import Page, Repeat, saved, submit
from inclusive_access.blueprints.shared import blank_form
from inclusive_access.blueprints.urgent_contacts import bp
from inclusive_access.blueprints.urgent_contacts.forms import UrgentContactForm
from inclusive_access.domain import urgent_contacts
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.models import Referral


@bp.route("/referrals/<int:referral_id>/new", methods=["GET", "POST"])
def record_urgent_contact(referral_id: int):
    referral, form = db.session.get(Referral, referral_id) or abort(404), UrgentContactForm()
    referral_url = url_for("referrals.show_referral", referral_id=referral_id)
    if request.method == "GET":
        return blank_form(form, referral, lambda: _new_page(referral_id, form, {}))
    return submit(form, lambda: urgent_contacts.record_urgent_contact(
        db.session, actor_for(current_user), referral, form.details(),
        submission_token=form.submission_token.data or None),
        Page(url_for("urgent_contacts.record_urgent_contact", referral_id=referral_id),
             lambda errors: _new_page(referral_id, form, errors)),
        lambda _contact: saved("Urgent contact recorded.", referral_url),
        repeat=Repeat("This urgent contact was already recorded.", lambda _existing: referral_url))


def _new_page(referral_id: int, form: UrgentContactForm, errors: dict):
    referral = db.session.get(Referral, referral_id)
    return render_template("urgent_contacts/new.html", form=form, errors=errors, referral=referral,
                           patient=referral.patient), 400 if errors else 200
