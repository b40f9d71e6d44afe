"""Signing in and out."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from inclusive_access.blueprints.auth import routes, single_sign_on  # noqa: E402, F401 - registers the routes
