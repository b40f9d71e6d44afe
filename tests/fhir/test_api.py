"""The FHIR read API as a system client uses it: a token from its credentials, then reads and searches, each answer
valid FHIR R4 (fhir.resources' R4B models), each error an OperationOutcome, each read of patient data logged."""
import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from sqlalchemy import select

from inclusive_access.domain import actions, api_clients, later
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.extensions import db
from inclusive_access.fhir import resources, tokens
from inclusive_access.models import (
    ApiClient,
    Appointment,
    Patient,
    QuestionnaireResponse,
    ReasonableAdjustment,
    Referral,
)
from tests.event_log import data_of
from tests.test_cli import run

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"


def make_client(app, scopes=api_clients.SCOPES) -> tuple[str, str]:
    with app.app_context():
        made, secret = api_clients.create_client(db.session, SYSTEM, "Trust warehouse", scopes)
        db.session.commit()
        return made.client_id, secret


def get_token(client, client_id: str, secret: str, **form) -> str:
    response = client.post("/fhir/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                "client_secret": secret, **form})
    assert response.status_code == 200, response.json
    return response.json["access_token"]


@pytest.fixture
def token(app, client) -> str:
    """A token of a client granted every scope."""
    return get_token(client, *make_client(app))


def fhir_get(client, url: str, token: str | None, status: int = 200) -> dict:
    response = client.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    assert response.status_code == status, response.json
    assert response.mimetype == "application/fhir+json"
    if status != 200:
        OperationOutcome.model_validate(response.json)
    return response.json


def search(client, url: str, token: str) -> list[dict]:
    """Every resource of a search, following its next links; each page a valid searchset Bundle."""
    found = []
    while url:
        bundle = fhir_get(client, url, token)
        Bundle.model_validate(bundle)
        found += [entry["resource"] for entry in bundle.get("entry", [])]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), None)
    return found


def ids(found: list[dict]) -> list[str]:
    return [resource["id"] for resource in found]


# --- metadata and tokens -----------------------------------------------------------------------------------------

def test_the_capability_statement_lists_what_is_served_and_where_to_get_a_token(client):
    statement = fhir_get(client, "/fhir/metadata", None)
    CapabilityStatement.model_validate(statement)
    [rest] = statement["rest"]
    served = {r["type"]: ([i["code"] for i in r["interaction"]], [p["name"] for p in r["searchParam"]])
              for r in rest["resource"]}
    assert served == {
        "Patient": (["read", "search-type"], ["identifier"]),
        "ServiceRequest": (["read", "search-type", "create"], ["patient", "status"]),
        "Appointment": (["read", "search-type"], ["patient", "date"]),
        "Encounter": (["read", "search-type"], ["patient"]),
        "Flag": (["read", "search-type"], ["patient"]),
        "QuestionnaireResponse": (["read", "search-type"], ["patient"]),
        "AuditEvent": (["read", "search-type"], ["patient", "date"])}
    [oauth] = rest["security"]["extension"]
    assert oauth["extension"] == [{"url": "token", "valueUri": "http://localhost/fhir/token"}]


def test_a_client_gets_a_token_by_http_basic_or_form_fields_with_the_scopes_it_asks_for(app, client):
    client_id, secret = make_client(app, ["system/Patient.read", "system/Flag.read"])
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = client.post("/fhir/token", data={"grant_type": "client_credentials"},
                           headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200
    assert (response.json["token_type"], response.json["expires_in"], response.json["scope"]) == (
        "Bearer", 300, "system/Flag.read system/Patient.read")
    narrowed = client.post("/fhir/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                "client_secret": secret, "scope": "system/Flag.read"})
    assert narrowed.json["scope"] == "system/Flag.read"


@pytest.mark.parametrize(("form", "status", "error"), [
    ({"client_secret": "not the secret"}, 401, "invalid_client"),
    ({"client_id": "nobody"}, 401, "invalid_client"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"scope": "system/AuditEvent.read"}, 400, "invalid_scope"),
])
def test_the_token_endpoint_refuses_wrong_credentials_grants_and_scopes(app, client, form, status, error):
    client_id, secret = make_client(app, ["system/Patient.read"])
    response = client.post("/fhir/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                "client_secret": secret, **form})
    assert (response.status_code, response.json["error"]) == (status, error)
    assert "access_token" not in response.json


# --- authorisation -----------------------------------------------------------------------------------------------

def _signed(app, grant: tokens.Grant, issued: datetime, key: str | None = None) -> str:
    return tokens.issue(tokens.parse_key(key or app.config["FHIR_TOKEN_KEY"]), grant, timedelta(minutes=5), issued)


@pytest.mark.parametrize(("sent", "status", "challenge"), [
    ("none", 401, 'Bearer realm="fhir"'),
    ("expired", 401, 'error_description="The access token has expired"'),
    ("wrong signature", 401, 'error_description="The access token is not valid"'),
    ("not a token", 401, 'error_description="The access token is not valid"'),
    ("deactivated client", 401, 'error_description="The client is not active"'),
    ("wrong scope", 403, 'error="insufficient_scope", scope="system/Patient.read"'),
])
def test_a_request_without_a_valid_token_for_the_scope_is_refused_with_an_operation_outcome(
        app, client, record, sent, status, challenge):
    client_id, _secret = make_client(app, ["system/Flag.read"] if sent == "wrong scope" else api_clients.SCOPES)
    grant, now = tokens.Grant(client_id, frozenset(api_clients.SCOPES)), datetime.now(UTC)
    token = {"none": None, "expired": _signed(app, grant, now - timedelta(minutes=6)),
             "wrong signature": _signed(app, grant, now, key="ab" * 32), "not a token": "abc.def.ghi",
             "deactivated client": _signed(app, grant, now),
             "wrong scope": _signed(app, tokens.Grant(client_id, frozenset({"system/Flag.read"})), now)}[sent]
    if sent == "deactivated client":
        run(app, app.test_cli_runner(), "api-client", "deactivate", client_id)
    response = client.get(f"/fhir/Patient/{record['patient']}",
                          headers={"Authorization": f"Bearer {token}"} if token else {})
    assert response.status_code == status
    OperationOutcome.model_validate(response.json)
    assert challenge in response.headers["WWW-Authenticate"]
    with app.app_context():
        assert data_of(db.session, actions.FHIR_READ) == [], "nothing was read"


def test_a_staff_session_alone_does_not_open_the_api(client, login_as, record):
    login_as("auditor")
    assert fhir_get(client, f"/fhir/Patient/{record['patient']}", None, 401)["issue"][0]["code"] == "login"


# --- reads and searches ------------------------------------------------------------------------------------------

def test_each_resource_reads_by_id_as_its_builder_makes_it(app, client, record, token):
    with app.app_context():
        patient = db.session.get(Patient, record["patient"])
        referral = db.session.get(Referral, record["referrals"][0])
        seen = db.session.get(Appointment, record["seen"])
        expected = [resources.patient(patient), resources.service_request(referral),
                    resources.appointment(seen, patient.id), resources.encounter(seen, patient.id),
                    resources.adjustment_flag(db.session.get(ReasonableAdjustment, record["adjustment"])),
                    *resources.communication_flags(patient),
                    resources.questionnaire_response(db.session.get(QuestionnaireResponse, record["questionnaire"]),
                                                     app.extensions["instruments"]["psfs"])]
    for resource in expected:
        assert fhir_get(client, f"/fhir/{resource['resourceType']}/{resource['id']}", token) == resource


@pytest.mark.parametrize("url", ["/fhir/Patient/999999", "/fhir/Encounter/{missed}", "/fhir/Flag/adjustment-x",
                                 "/fhir/Flag/communication-{patient}-braille", "/fhir/Practitioner/1",
                                 "/fhir/Patient/1/_history"])
def test_what_is_not_there_is_404_with_an_operation_outcome(client, record, token, url):
    assert fhir_get(client, url.format(**record), token, 404)["issue"][0]["code"] == "not-found"


def test_a_method_the_api_does_not_offer_is_405_with_an_operation_outcome(client):
    response = client.post("/fhir/Patient", json={"resourceType": "Patient"})
    assert (response.status_code, response.mimetype) == (405, "application/fhir+json")
    OperationOutcome.model_validate(response.json)


def test_each_search_finds_the_patients_resources_only(client, record, token):
    patient = f"Patient/{record['patient']}"
    assert ids(search(client, f"/fhir/Patient?identifier={NHS_NUMBER}|{record['nhs_number']}", token)) == [
        str(record["patient"])]
    assert len(search(client, f"/fhir/ServiceRequest?patient={patient}", token)) == 5
    assert ids(search(client, f"/fhir/ServiceRequest?patient={record['patient']}&status=active", token)) == [
        str(i) for i in record["referrals"][:4]]
    assert ids(search(client, f"/fhir/ServiceRequest?patient={patient}&status=on-hold,revoked", token)) == [
        str(record["referrals"][4])]
    assert ids(search(client, f"/fhir/Appointment?patient={patient}", token)) == [str(record["seen"]),
                                                                                 str(record["missed"])]
    assert ids(search(client, f"/fhir/Appointment?patient={patient}&date=ge2026-06-08&date=le2026-06-08",
                      token)) == [str(record["seen"])]
    assert ids(search(client, f"/fhir/Appointment?patient={patient}&date=gt2026-06-08", token)) == [
        str(record["missed"])]
    assert ids(search(client, f"/fhir/Encounter?patient={patient}", token)) == [str(record["seen"])]
    assert ids(search(client, f"/fhir/Flag?patient={patient}", token)) == [
        f"communication-{record['patient']}-easy-read", f"communication-{record['patient']}-large-print",
        f"adjustment-{record['adjustment']}"]
    assert ids(search(client, f"/fhir/QuestionnaireResponse?patient={patient}", token)) == [
        str(record["questionnaire"])]
    assert search(client, f"/fhir/Flag?patient=Patient/{record['stranger']}", token) == []


def test_paging_follows_next_links_through_every_match_once(client, record, token):
    first = fhir_get(client, f"/fhir/ServiceRequest?patient=Patient/{record['patient']}&_count=2", token)
    assert first["total"] == 5
    second = fhir_get(client, first["link"][1]["url"], token)
    assert "total" not in second, "counted on the first page only"
    found = search(client, f"/fhir/ServiceRequest?patient=Patient/{record['patient']}&_count=2", token)
    assert ids(found) == [str(i) for i in sorted(record["referrals"])], "three pages of 2, 2 and 1, in id order"
    flags = search(client, f"/fhir/Flag?patient=Patient/{record['patient']}&_count=1", token)
    assert len(set(ids(flags))) == len(flags) == 3, "a patient's flags page across both kinds"


def test_a_page_bigger_than_200_is_cut_to_200(client, record, token):
    bundle = fhir_get(client, f"/fhir/ServiceRequest?patient=Patient/{record['patient']}&_count=5000", token)
    assert urlsplit(bundle["link"][0]["url"]).query.endswith("_count=200")


@pytest.mark.parametrize(("query", "said"), [
    ("Patient?name=Sampleton", "Patient has no search parameter name"),
    ("Flag", "Flag: search with one patient"),
    ("Patient?identifier=12345", "identifier: expected"),
    ("ServiceRequest?status=cancelled", "status: cancelled is not one of"),
    ("Appointment?date=sa2026-06-08", "date: expected"),
    ("Appointment?date=2026-02-30", "date: expected"),
    ("Encounter?patient=Practitioner/1", "patient: expected"),
    ("Patient?_count=0", "_count: expected a whole number"),
    ("Patient?_after=x", "_after: not a page"),
])
def test_a_search_it_cannot_answer_is_400_saying_why(client, record, token, query, said):
    outcome = fhir_get(client, f"/fhir/{query}", token, 400)
    assert said in outcome["issue"][0]["diagnostics"]


# --- the access log ----------------------------------------------------------------------------------------------

def test_each_read_and_search_is_logged_as_access_with_the_client_and_what_it_read(app, client, record):
    client_id, secret = make_client(app)
    token = get_token(client, client_id, secret)
    fhir_get(client, f"/fhir/Patient/{record['patient']}", token)
    search(client, f"/fhir/Appointment?patient=Patient/{record['patient']}&date=ge2026-06-01", token)
    with app.app_context():
        logged = data_of(db.session, actions.FHIR_READ)
    assert all(read.pop(later.SHOWN_AT) for read in logged), "logged after the answer was sent, with its time"
    assert logged == [
        {"client_id": client_id, "resource_type": "Patient", "ids": [str(record["patient"])], "search": None,
         "count": 1},
        {"client_id": client_id, "resource_type": "Appointment", "ids": [str(record["seen"]), str(record["missed"])],
         "search": f"patient=Patient/{record['patient']}&date=ge2026-06-01", "count": 2}]


# --- clients -----------------------------------------------------------------------------------------------------

def test_flask_api_client_create_prints_the_secret_once_and_deactivate_stops_the_client(app, client):
    created = run(app, app.test_cli_runner(), "api-client", "create", "Trust warehouse",
                  "--scope", "system/Patient.read", "--scope", "system/Flag.read")
    assert created.exit_code == 0, created.output
    lines = dict(line.split(": ", 1) for line in created.output.splitlines() if line.startswith("client_"))
    get_token(client, lines["client_id"], lines["client_secret"])
    with app.app_context():
        [event] = data_of(db.session, actions.API_CLIENT_CREATED)
        assert event == {"client_id": lines["client_id"], "name": "Trust warehouse",
                         "scopes": "system/Patient.read system/Flag.read"}
        stored = db.session.scalar(select(ApiClient.secret_hash).where(ApiClient.client_id == lines["client_id"]))
        assert lines["client_secret"] not in stored, "only its hash is kept"
    deactivated = run(app, app.test_cli_runner(), "api-client", "deactivate", lines["client_id"])
    assert deactivated.exit_code == 0, deactivated.output
    response = client.post("/fhir/token", data={"grant_type": "client_credentials", **{
        key: value for key, value in lines.items()}})
    assert response.status_code == 401


def test_a_scope_the_api_does_not_serve_is_refused_at_creation(app):
    result = run(app, app.test_cli_runner(), "api-client", "create", "Rota tool", "--scope",
                 "system/Practitioner.read")
    assert result.exit_code != 0
    assert "system/Practitioner.read" in result.output


@pytest.mark.parametrize(("key", "error"), [(None, "FHIR_TOKEN_KEY is not set"),
                                            ("secret", "FHIR_TOKEN_KEY is not hexadecimal"),
                                            ("ab" * 31, "FHIR_TOKEN_KEY is shorter than 32 bytes")])
def test_the_app_refuses_to_start_without_a_usable_token_key(key, error):
    from tests.conftest import make_app

    with pytest.raises(RuntimeError, match=error):
        make_app("sqlite://", FHIR_TOKEN_KEY=key)
