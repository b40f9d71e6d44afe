"""The reasonable-adjustments register: record, edit, end, and the overdue-review list."""
from flask import Blueprint

bp = Blueprint("adjustments", __name__, url_prefix="/adjustments")

from inclusive_access.blueprints.adjustments import routes  # noqa: E402, F401 - registers the routes
