"""GET /fhir/metadata, POST /fhir/token, and read and search for each resource type served."""
from urllib.parse import urlencode

from flask import current_app, request, url_for

from inclusive_access.blueprints import commands
from inclusive_access.blueprints.fhir import bp, credentials
from inclusive_access.blueprints.fhir.answers import Refusal, fhir, refused
from inclusive_access.domain import api_clients
from inclusive_access.extensions import db
from inclusive_access.fhir import bundles, capability, search

#: paging parameters, ours to set in the links we send
COUNT, AFTER = "_count", "_after"

bp.register_error_handler(Refusal, refused)
bp.register_error_handler(search.BadSearch, refused)


@bp.get("/metadata")
def capability_statement():
    base = url_for("fhir.capability_statement", _external=True).removesuffix("/metadata")
    return fhir(capability.statement(base, url_for("fhir.issue_token", _external=True)))


@bp.post("/token")
def issue_token():
    return credentials.token_answer()


@bp.get("/<string:resource_type>/<string:resource_id>")
def read_resource(resource_type: str, resource_id: str):
    client = credentials.bearer_client(resource_type)
    resource = search.read(db.session, resource_type, resource_id, current_app.extensions["instruments"])
    if resource is None:
        raise Refusal(404, f"There is no {resource_type}/{resource_id}")
    commands.committed(lambda: api_clients.record_read(db.session, client, resource_type, [resource_id],
                                                    patient_id=search.patient_of_read(resource)))
    return fhir(resource)


@bp.get("/<string:resource_type>")
def search_type(resource_type: str):
    client = credentials.bearer_client(resource_type)
    params, count, after = _search_request()
    page = search.search(db.session, resource_type, params, count, after, current_app.extensions["instruments"])
    commands.committed(lambda: api_clients.record_read(db.session, client, resource_type,
                                                    [resource["id"] for resource in page.resources],
                                                    "&".join(f"{name}={value}" for name, value in params),
                                                    search.patient_of_search(resource_type, params, page.resources)))
    next_url = _search_url(resource_type, [*params, (COUNT, count), (AFTER, page.after)]) if page.after else None
    return fhir(bundles.searchset(page, _search_url(resource_type, [*params, (COUNT, count)] + (
        [(AFTER, after)] if after else [])), next_url, _full_url))


def _search_request() -> tuple[list[tuple[str, str]], int, str | None]:
    """The search parameters in order, the page size (default 50, at most 200) and the cursor of the page."""
    params = [(name, value) for name, value in request.args.items(multi=True) if name not in (COUNT, AFTER)]
    count = request.args.get(COUNT, str(search.DEFAULT_COUNT))
    if not count.isdigit() or int(count) < 1:
        raise search.BadSearch(f"{COUNT}: expected a whole number from 1, not {count!r}")
    return params, min(int(count), search.MAX_COUNT), request.args.get(AFTER)


def _search_url(resource_type: str, params: list[tuple[str, object]]) -> str:
    return f"{url_for('fhir.search_type', resource_type=resource_type, _external=True)}?{urlencode(params)}"


def _full_url(resource: dict) -> str:
    return url_for("fhir.read_resource", resource_type=resource["resourceType"], resource_id=resource["id"],
                   _external=True)
