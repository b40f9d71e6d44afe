"""Signing in and out."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from inclusive_access.blueprints.auth import routes  # noqa: E402, F401 - registers the routes
