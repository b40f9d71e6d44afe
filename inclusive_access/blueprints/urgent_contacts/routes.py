"""Recording a crisis or urgent contact on a referral; the referral page lists them."""
from flask import abort, url_for

from inclusive_access.blueprints.commands import Repeat, saved
from inclusive_access.blueprints.referral_forms import add_to_referral
from inclusive_access.blueprints.urgent_contacts import bp
from inclusive_access.blueprints.urgent_contacts.forms import UrgentContactForm
from inclusive_access.domain import urgent_contacts
from inclusive_access.extensions import db
from inclusive_access.models import Referral


@bp.route("/referrals/<int:referral_id>/new", methods=["GET", "POST"])
def record_urgent_contact(referral_id: int):
    form = UrgentContactForm()
    referral_url = url_for("referrals.show_referral", referral_id=referral_id)
    return add_to_referral(
        db.session.get(Referral, referral_id) or abort(404), form, "urgent_contacts/new.html",
        lambda session, actor, referral, **token: urgent_contacts.record_urgent_contact(
            session, actor, referral, form.details(), **token),
        lambda _contact: saved("Urgent contact recorded.", referral_url),
        repeat=Repeat("This urgent contact was already recorded.", lambda _existing: referral_url))
