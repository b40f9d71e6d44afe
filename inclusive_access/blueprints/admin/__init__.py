"""User administration for the service manager."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from inclusive_access.blueprints.admin import routes  # noqa: E402, F401 - registers the routes
