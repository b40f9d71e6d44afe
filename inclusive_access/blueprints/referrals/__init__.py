"""The referral list and the referral page with its timeline."""
from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

from inclusive_access.blueprints.referrals import routes  # noqa: E402, F401 - registers the routes
