"""Operations endpoints for load balancers and orchestrators: /health and /ready, open without signing in."""
from flask import Blueprint

bp = Blueprint("ops", __name__)

from inclusive_access.blueprints.ops import routes  # noqa: E402,F401 - registers the routes on bp
