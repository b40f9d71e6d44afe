"""Reconciling outreach minimum records with the core record: the list, one record with its candidate patients,
linking, registering a new patient, and a senior's undo."""
from flask import Blueprint

bp = Blueprint("outreach_reconciliation", __name__, url_prefix="/outreach/reconciliation")

from inclusive_access.blueprints.outreach_reconciliation import routes  # noqa: E402, F401 - registers the routes
