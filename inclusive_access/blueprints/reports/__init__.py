"""Equity reporting: the dashboard by deprivation, ethnicity and need, its exports, and KPI governance items."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from inclusive_access.blueprints.reports import behind_routes, governance_routes, outcome_routes, routes  # noqa: E402, F401 - registers the routes
