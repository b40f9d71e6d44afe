"""The safeguarding route: raise a concern, refer it to multi-agency review, record actions, close it."""
from flask import Blueprint

bp = Blueprint("safeguarding", __name__, url_prefix="/safeguarding")

from inclusive_access.blueprints.safeguarding import routes  # noqa: E402, F401 - registers the routes
