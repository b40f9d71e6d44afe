"""Equity reporting: the dashboard by deprivation, ethnicity and need, and its CSV exports."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from inclusive_access.blueprints.reports import routes  # noqa: E402, F401 - registers the routes
