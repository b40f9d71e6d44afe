"""The auditor's workspace: reproducible samples, findings against checklists, the sample's summary, record
timelines, the access log and whole-log verification."""
from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from inclusive_access.blueprints.audit import log_routes, routes  # noqa: E402, F401 - registers the routes
