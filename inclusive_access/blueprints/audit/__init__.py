"""The auditor's workspace: reproducible samples, findings against checklists, and the sample's summary."""
from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from inclusive_access.blueprints.audit import routes  # noqa: E402, F401 - registers the routes
