"""Senior review before discharge: requests, the senior's queue, and the decision."""
from flask import Blueprint

bp = Blueprint("discharge", __name__, url_prefix="/discharge")

from inclusive_access.blueprints.discharge import routes  # noqa: E402, F401 - registers the routes
