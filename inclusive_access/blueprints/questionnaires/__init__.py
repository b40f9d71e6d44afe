"""Outcome and experience questionnaires: a clinician records a patient's answers; the worklist of those due."""
from flask import Blueprint

bp = Blueprint("questionnaires", __name__, url_prefix="/questionnaires")

from inclusive_access.blueprints.questionnaires import routes  # noqa: E402, F401 - registers the routes
