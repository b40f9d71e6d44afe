"""Booking, rebooking and recording what happened at appointments."""
from flask import Blueprint

bp = Blueprint("appointments", __name__, url_prefix="/appointments")

from inclusive_access.blueprints.appointments import routes  # noqa: E402, F401 - registers the routes
