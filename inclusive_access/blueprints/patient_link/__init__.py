"""The patient's side of a questionnaire link: public pages, answered without signing in."""
from flask import Blueprint

bp = Blueprint("patient_link", __name__, url_prefix="/q")

from inclusive_access.blueprints.patient_link import routes  # noqa: E402, F401 - registers the routes
