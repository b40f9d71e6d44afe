"""Referrals received as FHIR: a transaction Bundle of a Patient and a ServiceRequest, POSTed by a client with the
write scope, received through the intake's rules; every answer valid FHIR R4."""
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.servicerequest import ServiceRequest

from inclusive_access.domain import actions, clocks, organisations
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.extensions import db
from inclusive_access.fhir import codes
from inclusive_access.models import ApiClient, Referral
from tests.event_log import count as rows
from tests.event_log import data_of
from tests.factories import make_referral, next_nhs_number
from tests.fhir.test_api import get_token, make_client

WRITE = "system/ServiceRequest.write"
_identifiers = count(1)


def bundle(patient: dict | None = None, request: dict | None = None, nhs_number: str | None = None) -> dict:
    """A valid referral as a GP system sends it; `patient` and `request` replace (None: drop) elements."""
    patient_resource = {
        "resourceType": "Patient",
        "identifier": [{"system": codes.NHS_NUMBER, "value": nhs_number or next_nhs_number()}],
        "name": [{"use": "official", "family": "Sampleton", "given": ["Testy"]}], "gender": "female",
        "birthDate": "1950-04-01", "address": [{"postalCode": "LS1 4AP"}],
        "extension": [{"url": codes.ETHNIC_CATEGORY_EXTENSION, "valueCodeableConcept": {
            "coding": [{"system": codes.ETHNIC_CATEGORY_SYSTEM, "code": "N"}]}}]}
    request_resource = {
        "resourceType": "ServiceRequest", "status": "active", "intent": "order", "priority": "routine",
        "identifier": [{"system": "https://gp.example/referrals", "value": f"GP-{next(_identifiers)}"}],
        "code": {"coding": [{"system": codes.OUR_SYSTEMS + "pathway", "code": "msk"}]},
        "subject": {"reference": "urn:uuid:0d6f3c1e-6b3a-4d59-9d38-1c0d7a1e5b11"},
        "authoredOn": (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds"),
        "requester": {"display": "Dr Example", "identifier": {"system": codes.ODS_CODE, "value": "A81001"}},
        "reasonCode": [{"text": "Knee pain"}]}
    for resource, changes in ((patient_resource, patient), (request_resource, request)):
        for key, value in (changes or {}).items():
            if value is None:
                resource.pop(key, None)
            else:
                resource[key] = value
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:0d6f3c1e-6b3a-4d59-9d38-1c0d7a1e5b11", "resource": patient_resource,
         "request": {"method": "POST", "url": "Patient"}},
        {"resource": request_resource, "request": {"method": "POST", "url": "ServiceRequest"}}]}


@pytest.fixture
def practice(app):
    """The referrer's practice, known by its ODS code."""
    with app.app_context():
        organisations.load(db.session, SYSTEM, [organisations.OdsRow("A81001", "Test Surgery", None, None, None)],
                           "gp_practice", "epraccur.csv", organisations.LoadReport())
        db.session.commit()


@pytest.fixture
def writer(app, client, practice) -> str:
    """A token of a client granted the write scope only."""
    return get_token(client, *make_client(app, [WRITE]))


def post(client, body, token: str | None, status: int):
    response = client.post("/fhir/ServiceRequest", json=body,
                           headers={"Authorization": f"Bearer {token}"} if token else {})
    assert response.status_code == status, response.json
    assert response.mimetype == "application/fhir+json"
    (ServiceRequest if status in (200, 201) else OperationOutcome).model_validate(response.json)
    return response


def test_a_referral_sent_as_fhir_is_received_by_the_intake_rules_and_names_the_client(app, client, writer):
    sent = bundle(patient={"extension": None, "communication": [{"language": {"text": "Polish"}, "preferred": True}]},
                  request={"priority": "asap"})  # no ethnic category: not known
    response = post(client, sent, writer, 201)
    assert response.headers["Location"].endswith(f"/fhir/ServiceRequest/{response.json['id']}")
    with app.app_context():
        referral = db.session.get(Referral, int(response.json["id"]))
        assert (referral.urgency, referral.referrer_organisation, referral.referrer_ods_code, referral.external_ref,
                referral.patient.ethnic_category, referral.patient.housing_status) == (
            "urgent", "Test Surgery", "A81001", sent["entry"][1]["resource"]["identifier"][0]["value"], "99",
            "not_known")
        assert (referral.flags, referral.patient.preferred_language) == (["language"], "Polish")
        assert _utc(referral.triage_due_at) == clocks.triage_due(_utc(referral.received_at), flagged=True)
        [written] = data_of(db.session, actions.FHIR_WRITE)
        assert (written["id"], written["identifier"], written["client_id"]) == (
            str(referral.id), referral.external_ref, db.session.scalar(db.select(ApiClient.client_id)))


def _utc(moment: datetime) -> datetime:
    """A stored time as aware UTC (SQLite keeps it naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def test_the_same_identifier_again_answers_the_first_referral_not_a_second(app, client, writer):
    sent = bundle()
    first = post(client, sent, writer, 201)
    again = post(client, sent, writer, 200)
    assert (again.headers["Location"], again.json) == (first.headers["Location"], first.json)
    with app.app_context():
        assert rows(db.session, Referral) == 1


def test_each_problem_is_named_by_its_element_and_nothing_is_kept(app, client, writer):
    sent = bundle(patient={"birthDate": "2999-01-01", "identifier": None},
                  request={"code": {"text": "Knees"}, "requester": {"display": "Dr Example"}, "reasonCode": None})
    response = post(client, sent, writer, 422)
    assert sorted(e for issue in response.json["issue"] for e in issue["expression"]) == [
        "Patient.birthDate", "Patient.identifier", "ServiceRequest.code", "ServiceRequest.reasonCode",
        "ServiceRequest.requester"]
    assert all(issue["diagnostics"] for issue in response.json["issue"])
    with app.app_context():
        assert rows(db.session, Referral) == 0
        assert data_of(db.session, actions.FHIR_WRITE) == []


def test_a_second_open_referral_on_the_pathway_is_422_naming_the_open_one(app, client, writer):
    nhs_number = next_nhs_number()
    with app.app_context():
        open_id = make_referral(db.session, nhs_number=nhs_number, pathway="msk").id
        db.session.commit()
    [issue] = post(client, bundle(nhs_number=nhs_number), writer, 422).json["issue"]
    assert issue["code"] == "business-rule"
    assert f"ServiceRequest/{open_id}" in issue["diagnostics"]


@pytest.mark.parametrize("body", [
    "not json", {"resourceType": "ServiceRequest"}, {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": {"resourceType": "Patient", "gender": "lots"}}]},
    {**bundle(), "entry": bundle()["entry"][:1]}, bundle(patient={"name": "Testy"}),
    bundle(request={"subject": {"reference": "Patient/1"}})])
def test_what_is_not_a_referral_bundle_is_400(client, writer, body):
    assert post(client, body, writer, 400).json["issue"][0]["code"] == "invalid"


def test_without_the_write_scope_it_is_403_and_without_a_token_401(app, client, practice):
    reader = get_token(client, *make_client(app, ["system/ServiceRequest.read"]))
    post(client, bundle(), reader, 403)
    post(client, bundle(), None, 401)
    with app.app_context():
        assert rows(db.session, Referral) == 0
