"""Referral intake: one form for patient and referral."""
from flask import Blueprint

bp = Blueprint("intake", __name__, url_prefix="/intake")

from inclusive_access.blueprints.intake import routes  # noqa: E402, F401 - registers the routes
