"""The manager's CSV import of referrals on the web."""
from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")

from inclusive_access.blueprints.imports import routes  # noqa: E402, F401 - registers the routes
