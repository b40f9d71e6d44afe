"""Outreach minimum records completed on a phone or tablet at the venue, with or without signal."""
from flask import Blueprint

bp = Blueprint("outreach_records", __name__, url_prefix="/outreach")

from inclusive_access.blueprints.outreach_records import routes  # noqa: E402, F401 - registers the routes
