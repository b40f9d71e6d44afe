"""Crisis and urgent contacts: recording one on a referral."""
from flask import Blueprint

bp = Blueprint("urgent_contacts", __name__, url_prefix="/urgent-contacts")

from inclusive_access.blueprints.urgent_contacts import routes  # noqa: E402, F401 - registers the routes
