"""Sending a questionnaire link from the referral page: the link is shown once, to copy or read out."""
from flask import abort, render_template, url_for

from inclusive_access.blueprints.commands import Repeat
from inclusive_access.blueprints.questionnaire_links import bp
from inclusive_access.blueprints.questionnaire_links.forms import WORDINGS, IssueLinkForm
from inclusive_access.blueprints.referral_forms import add_to_referral
from inclusive_access.blueprints.shared import instruments, link_rules, link_signer
from inclusive_access.domain import questionnaire_links
from inclusive_access.domain.questionnaires import TIME_POINTS
from inclusive_access.extensions import db
from inclusive_access.models import Referral


@bp.route("/referrals/<int:referral_id>/new", methods=["GET", "POST"])
def issue_link(referral_id: int):
    referral, form = db.session.get(Referral, referral_id) or abort(404), IssueLinkForm()
    loaded = instruments()
    form.offer(questionnaire_links.sendable(loaded.values(), referral.pathway.code))
    return add_to_referral(
        referral, form, "questionnaire_links/new.html",
        lambda session, actor, referral, **token: questionnaire_links.issue_link(
            session, actor, referral, loaded[form.instrument.data], form.time_point.data,
            form.wording.data == "easy_read", link_rules(), link_signer(), **token),
        lambda issued: _issued_page(referral_id, issued), {"time_points": TIME_POINTS, "wordings": WORDINGS},
        repeat=Repeat("That link was made already and shown once. If it was lost, send a new one.",
                      lambda _existing: url_for("referrals.show_referral", referral_id=referral_id)))


def _issued_page(referral_id: int, issued: questionnaire_links.IssuedLink):
    """After the commit, the one time the link is shown: it is not stored, so no page can show it again."""
    referral, link = db.session.get(Referral, referral_id), issued.link
    return render_template("questionnaire_links/issued.html", referral=referral, patient=referral.patient, link=link,
                           title=instruments()[link.instrument_id].title,
                           url=url_for("patient_link.answer_questionnaire", token=issued.token, _external=True))
