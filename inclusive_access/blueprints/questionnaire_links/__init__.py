"""Questionnaire links: staff send a patient a one-time link to answer a questionnaire on their own phone."""
from flask import Blueprint

bp = Blueprint("questionnaire_links", __name__, url_prefix="/questionnaire-links")

from inclusive_access.blueprints.questionnaire_links import routes  # noqa: E402, F401 - registers the routes
