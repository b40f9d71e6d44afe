"""POST /fhir/ServiceRequest: a referral sent as FHIR, received through the intake's rules. (The path takes the
type as a parameter, as reads do: FHIR's type names are not kebab-case; any other type is 405.)

A repeat of a ServiceRequest.identifier already received answers 200 with the referral it made, so a client may
resend after a lost answer. A second open referral on the pathway is 422 (business-rule), not 409: nothing the
client can resend resolves it; staff confirm a second referral on the intake form."""
from flask import request, url_for

from inclusive_access.blueprints import commands
from inclusive_access.blueprints.fhir import bp, credentials
from inclusive_access.blueprints.fhir.answers import Refusal, fhir
from inclusive_access.domain import api_clients
from inclusive_access.domain.errors import DuplicateSubmission, InvalidInput, OpenReferralExists
from inclusive_access.extensions import db
from inclusive_access.fhir import bundles, intake, resources
from inclusive_access.models import ApiClient, Referral


@bp.post("/<string:resource_type>")
def create_resource(resource_type: str):
    if resource_type not in api_clients.WRITTEN_TYPES:
        raise Refusal(405, f"This server does not create {resource_type} (see /fhir/metadata)")
    client = credentials.bearer_client(resource_type, "write")
    raw = _intake_row(client)
    try:
        referral = commands.committed(lambda: api_clients.receive_referral(db.session, client, raw))
    except DuplicateSubmission as exc:
        return _answer(client, db.session.get(Referral, exc.existing_id), 200)
    except (InvalidInput, OpenReferralExists) as exc:
        return fhir(_problems(exc), 422)
    return _answer(client, referral, 201)


def _intake_row(client: ApiClient) -> dict:
    """The posted Bundle as an intake row; 400 for what is not one. The referrer's contact is the client."""
    try:
        return intake.intake_row(request.get_json(force=True, silent=True),
                                 f"Through the FHIR API client {client.name}")
    except intake.Malformed as exc:
        raise Refusal(400, str(exc)) from exc


def _problems(error: InvalidInput | OpenReferralExists) -> dict:
    """Each field the intake refused, at the element it was read from; or the open referral on the pathway."""
    if isinstance(error, OpenReferralExists):
        return bundles.operation_outcome(
            "business-rule", f"The patient already has an open referral on this pathway, ServiceRequest/"
                             f"{error.existing_id}: staff confirm a second one on the intake form",
            "ServiceRequest.code")
    return bundles.outcome([("invalid", message, intake.element(field)) for field, message in error.errors.items()])


def _answer(client: ApiClient, referral: Referral, status: int):
    """The referral as a ServiceRequest and where it lives; a repeat's answer is a read of it, logged as one."""
    if status == 200:
        commands.committed(lambda: api_clients.record_read(db.session, client, "ServiceRequest", [str(referral.id)]))
    location = url_for("fhir.read_resource", resource_type="ServiceRequest", resource_id=referral.id, _external=True)
    return fhir(resources.service_request(referral), status, {"Location": location})
