"""Rapid clarification: the worklist, contact attempts and closing with an answer."""
from flask import Blueprint

bp = Blueprint("clarification", __name__, url_prefix="/clarifications")

from inclusive_access.blueprints.clarification import routes  # noqa: E402, F401 - registers the routes
