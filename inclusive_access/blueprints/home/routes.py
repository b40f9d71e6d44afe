"""`/` opens the worklist or queue the signed-in user's role works from; the guard sends anyone else to sign in."""
from flask import redirect, url_for
from flask_login import current_user

from inclusive_access.blueprints.home import bp

#: role -> the page its day starts on
ROLE_HOMES = {"booking": "triage.worklist", "clinician": "triage.worklist", "senior": "discharge.review_queue",
              "auditor": "audit.list_samples", "manager": "reports.equity_dashboard"}


def home_url() -> str:
    return url_for(ROLE_HOMES.get(current_user.role, "referrals.list_referrals"))


@bp.route("/")
def index():
    return redirect(home_url())
