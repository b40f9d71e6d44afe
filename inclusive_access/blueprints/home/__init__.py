"""The root URL: each signed-in user's own work."""
from flask import Blueprint

bp = Blueprint("home", __name__)

from inclusive_access.blueprints.home import routes  # noqa: E402, F401 - registers the routes
