"""Liveness and readiness: each answers a status word and never any record."""
from flask import current_app

from inclusive_access import observability
from inclusive_access.blueprints.ops import bp
from inclusive_access.extensions import db


@bp.route("/health")
def health():
    """The process is up; the database is not consulted, so an outage there does not get healthy workers killed."""
    return {"status": "ok"}


@bp.route("/ready")
def ready():
    """Whether to send this instance traffic: its database answers and is at the migrations' head."""
    problem = observability.readiness_problem(db.session, current_app.extensions["migrate"].directory)
    if problem:
        return {"status": "not ready", "problem": problem}, 503
    return {"status": "ready"}
