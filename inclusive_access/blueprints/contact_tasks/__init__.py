"""Contact problems: people a message could not reach on the only route recorded, for booking staff to put right."""
from flask import Blueprint

bp = Blueprint("contact_tasks", __name__, url_prefix="/contact-problems")

from inclusive_access.blueprints.contact_tasks import routes  # noqa: E402, F401 - registers the routes
