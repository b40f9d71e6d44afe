"""A patient answers a questionnaire through a one-time link on their own phone: no sign-in, no staff pages, nothing
about them but their first name. The link is the only key (domain/questionnaire_links.py says how it is kept); a
link that does not work gets one page, whatever the reason."""
from flask import redirect, render_template, request, url_for

from inclusive_access.blueprints.patient_link import bp
from inclusive_access.blueprints.shared import instruments, link_rules, link_signer
from inclusive_access.domain import questionnaire_links
from inclusive_access.domain.errors import LinkRefused, LinkThrottled
from inclusive_access.extensions import db

#: the query parameter and form field of the wording the patient chose: "yes" for easy read
EASY_READ = "easy-read"


@bp.route("/<string:token>", methods=["GET", "POST"])
def answer_questionnaire(token: str):
    """Every request on a link is counted, refused or not, so whatever the answer the one commit is kept."""
    given = (token, request.remote_addr or "", instruments(), link_rules(), link_signer())
    try:
        if request.method == "GET":
            response = _page(questionnaire_links.open_link(db.session, *given), request.args.get(EASY_READ))
        else:
            questionnaire_links.submit_link(db.session, *given, request.form)
            response = redirect(url_for("patient_link.show_thanks", **{EASY_READ: request.form.get(EASY_READ)}), 303)
    except questionnaire_links.Unanswered as missing:
        response = _page(missing.page, request.form.get(EASY_READ), missing.errors)
    except LinkRefused:
        response = render_template("patient_link/unavailable.html"), 404
    except LinkThrottled as throttled:
        response = _throttled(throttled.retry_after)
    db.session.commit()
    return response


@bp.route("/thank-you")
def show_thanks():
    return render_template("patient_link/thanks.html", easy_read=request.args.get(EASY_READ) == "yes")


def _throttled(retry_after: int):
    return render_template("patient_link/throttled.html", minutes=-(-retry_after // 60)), 429, {
        "Retry-After": str(retry_after)}


def _page(opened: questionnaire_links.OpenLink, chosen: str | None, errors: dict | None = None):
    """The questions, in the wording the patient chose on the page, else the one the link was sent in."""
    easy_read = opened.easy_read if chosen not in ("yes", "no") else chosen == "yes"
    return render_template("patient_link/answer.html", opened=opened, easy_read=easy_read, errors=errors or {},
                           answers=request.form if errors else {}), 400 if errors else 200
