"""The patient record: view (logged) and correct details (versioned)."""
from flask import Blueprint

bp = Blueprint("patients", __name__, url_prefix="/patients")

from inclusive_access.blueprints.patients import contact_details, routes  # noqa: E402, F401 - registers the routes
