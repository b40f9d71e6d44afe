"""Same-day triage: the worklist, the booking script and the outcomes."""
from flask import Blueprint

bp = Blueprint("triage", __name__, url_prefix="/triage")

from inclusive_access.blueprints.triage import routes  # noqa: E402, F401 - registers the routes
