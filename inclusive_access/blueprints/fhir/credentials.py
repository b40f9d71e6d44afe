"""Who is calling the FHIR API: a client's credentials at the token endpoint, its bearer token everywhere else."""
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

from flask import Response, current_app, request

from inclusive_access.blueprints.fhir.answers import Refusal, oauth_error, unauthorised
from inclusive_access.domain import api_clients
from inclusive_access.extensions import db
from inclusive_access.fhir import tokens
from inclusive_access.models import ApiClient


def presented() -> tuple[str, str, bool] | None:
    """The client id and secret sent by HTTP Basic (form-encoded inside, RFC 6749 2.3.1) or as form fields, and
    whether Basic was used; None when neither was sent."""
    auth = request.authorization
    if auth is not None and auth.type == "basic" and auth.username is not None:
        return unquote_plus(auth.username), unquote_plus(auth.password or ""), True
    if request.form.get("client_id") and request.form.get("client_secret"):
        return request.form["client_id"], request.form["client_secret"], False
    return None


def bearer_grant() -> tuple[ApiClient, tokens.Grant]:
    """The active client whose token this request carries, and what the token grants: 401 without a valid token or
    for a deactivated client."""
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        raise unauthorised()
    try:
        grant = tokens.verify(current_app.extensions["fhir_token_key"], auth.token, datetime.now(UTC))
    except tokens.InvalidToken as exc:
        raise unauthorised(str(exc)) from exc
    client = api_clients.active_client(db.session, grant.client_id)
    if client is None:
        raise unauthorised("The client is not active")
    return client, grant


def readable(client: ApiClient, grant: tokens.Grant) -> list[str]:
    """The resource types the token and the client's present grant both let it read, in the API's order."""
    return [resource_type for resource_type in api_clients.RESOURCE_TYPES
            if api_clients.scope_for(resource_type) in grant.scopes & api_clients.granted(client)]


def bearer_client(resource_type: str, access: str = "read") -> ApiClient:
    """The active client whose token this request carries, if it was granted the resource type's scope for `access`
    (read or write): 401 without a valid token or for a deactivated client, 404 for a type not served, 403 without
    the scope."""
    client, grant = bearer_grant()
    if resource_type not in api_clients.RESOURCE_TYPES:
        raise Refusal(404, f"This server does not serve {resource_type} (see /fhir/metadata)")
    scope = api_clients.scope_for(resource_type, access)
    if scope not in grant.scopes or scope not in api_clients.granted(client):
        raise Refusal(403, f"The token does not grant {scope}",
                      {"WWW-Authenticate": f'Bearer realm="fhir", error="insufficient_scope", scope="{scope}"'})
    return client


def token_answer() -> Response:
    """RFC 6749's client credentials grant: a signed token with the scopes asked for (all those granted when none
    is asked for), or the OAuth error."""
    if request.form.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported")
    sent = presented()
    client = api_clients.authenticate(db.session, sent[0], sent[1]) if sent else None
    if client is None:
        return oauth_error(401, "invalid_client", "Unknown or inactive client, or a wrong secret",
                           basic=bool(sent and sent[2]))
    scopes = api_clients.granted(client)
    if asked := request.form.get("scope"):
        if not set(asked.split()) <= scopes:
            return oauth_error(400, "invalid_scope", f"This client may ask for {' '.join(sorted(scopes))}")
        scopes = frozenset(asked.split())
    lifetime = timedelta(minutes=current_app.config["FHIR_TOKEN_MINUTES"])
    token = tokens.issue(current_app.extensions["fhir_token_key"], tokens.Grant(client.client_id, scopes), lifetime,
                         datetime.now(UTC))
    return Response(json.dumps({"access_token": token, "token_type": "Bearer",
                                "expires_in": int(lifetime.total_seconds()), "scope": " ".join(sorted(scopes))}),
                    200, {"Pragma": "no-cache"}, mimetype="application/json")
