"""How the FHIR API answers: resources as application/fhir+json, every refusal as an OperationOutcome with its
status (and WWW-Authenticate for a missing or refused token), OAuth's own JSON errors at the token endpoint."""
import json

from flask import Response, request
from werkzeug.exceptions import HTTPException

from inclusive_access.extensions import db
from inclusive_access.fhir.bundles import operation_outcome
from inclusive_access.fhir.search import BadSearch

MEDIA_TYPE = "application/fhir+json"
PREFIX = "/fhir"
#: HTTP status -> FHIR issue type
_ISSUE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 413: "too-costly",
          415: "not-supported", 429: "throttled"}


def fhir(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, headers, mimetype=MEDIA_TYPE)


class Refusal(Exception):
    """A request the API refuses: its status, what went wrong, and any header the status needs."""

    def __init__(self, status: int, diagnostics: str, headers: dict | None = None):
        super().__init__(diagnostics)
        self.status, self.diagnostics, self.headers = status, diagnostics, headers or {}


def unauthorised(description: str | None = None) -> Refusal:
    """401: RFC 6750's challenge, with the reason when a token was sent (none for a request without one)."""
    challenge = 'Bearer realm="fhir"'
    if description:
        challenge += f', error="invalid_token", error_description="{description}"'
    return Refusal(401, description or "Send an access token from the token endpoint: Authorization: Bearer ...",
                   {"WWW-Authenticate": challenge})


def refused(error: Exception) -> Response:
    """Any error inside the API as an OperationOutcome; nothing of the request is kept."""
    db.session.rollback()
    if isinstance(error, Refusal):
        status, diagnostics, headers = error.status, error.diagnostics, error.headers
    elif isinstance(error, BadSearch):
        status, diagnostics, headers = 400, str(error), {}
    else:  # an HTTP error: an unknown path or method under /fhir, a body too large, a failure (500)
        status = getattr(error, "code", None) or 500
        diagnostics, headers = error.description if isinstance(error, HTTPException) else "Internal error", {}
    return fhir(operation_outcome(_ISSUE.get(status, "exception"), diagnostics), status, headers)


def is_fhir_request() -> bool:
    """Under /fhir, matched or not: a wrong method or path there is answered as FHIR too."""
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def oauth_error(status: int, error: str, description: str, basic: bool = False) -> Response:
    """RFC 6749's error at the token endpoint (JSON, not FHIR); an unauthenticated Basic client is challenged."""
    headers = {"WWW-Authenticate": 'Basic realm="fhir"'} if basic and status == 401 else {}
    return Response(json.dumps({"error": error, "error_description": description}), status,
                    {**headers, "Pragma": "no-cache"}, mimetype="application/json")
