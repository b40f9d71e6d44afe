"""Equity reporting: the dashboard by deprivation, ethnicity and need, its exports, KPI governance items and the
quarterly review, equity of reach, and partnership review meetings with outreach partners."""
from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from inclusive_access.blueprints.reports import (  # noqa: E402, F401 - registers the routes
    behind_routes,
    governance_routes,
    outcome_routes,
    outreach_routes,
    partnership_routes,
    reach_routes,
    review_routes,
    routes,
)
