"""Outreach with partners: the manager's partners, venues and sessions, a clinician's own sessions, and engagement
plans on the patient's record."""
from flask import Blueprint

bp = Blueprint("outreach", __name__, url_prefix="/outreach")

from inclusive_access.blueprints.outreach import plans, routes  # noqa: E402, F401 - registers the routes
