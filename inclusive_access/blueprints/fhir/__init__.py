"""The FHIR R4 API at /fhir, for system clients: token authentication, not the staff session, so no CSRF."""
from flask import Blueprint

from inclusive_access.extensions import csrf

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
csrf.exempt(bp)  # no cookie authenticates here: a forged cross-site request carries no bearer token

from inclusive_access.blueprints.fhir import export, received, routes  # noqa: E402,F401 - registers the routes on bp
