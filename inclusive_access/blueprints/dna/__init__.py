"""Barrier checks after missed appointments: the worklist and the check, saved section by section."""
from flask import Blueprint

bp = Blueprint("dna", __name__, url_prefix="/barrier-checks")

from inclusive_access.blueprints.dna import routes  # noqa: E402, F401 - registers the routes
