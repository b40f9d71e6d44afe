"""AuditEvents through the FHIR API: an auditor's client reads who did what to a patient's record and when, paged
in log order, never the events' data; without the scope it is refused, and each read of them is itself logged."""
import json

from fhir.resources.R4B.auditevent import AuditEvent
from sqlalchemy import select

from inclusive_access.domain import actions, listing
from inclusive_access.domain.actors import Actor
from inclusive_access.extensions import db
from inclusive_access.models import Event
from tests.event_log import data_of
from tests.fhir.test_api import fhir_get, get_token, ids, make_client, search

AUDITOR_SCOPE = "system/AuditEvent.read"


def _patient_events(app, patient_id: int) -> list[Event]:
    with app.app_context():
        return list(db.session.scalars(select(Event).where(Event.patient_id == patient_id).order_by(Event.seq)))


def test_an_auditors_client_reads_a_patients_events_without_their_data(app, client, record):
    token = get_token(client, *make_client(app, [AUDITOR_SCOPE]))
    logged = _patient_events(app, record["patient"])
    found = search(client, f"/fhir/AuditEvent?patient=Patient/{record['patient']}", token)
    assert ids(found) == [str(event.seq) for event in logged], "every event of the patient, in log order"
    free_text = 0
    for resource, event in zip(found, logged, strict=True):
        AuditEvent.model_validate(resource)
        assert resource["subtype"][0]["code"] == event.action
        assert {"reference": f"Patient/{record['patient']}"} in [entity["what"] for entity in resource["entity"]]
        for value in json.loads(event.data).values():
            if isinstance(value, str) and " " in value:
                free_text += 1
                assert value not in json.dumps(resource), f"{event.action} leaks its data"
    assert free_text, "the record has events with free text to leak"
    received = next(r for r in found if r["subtype"][0]["code"] == actions.REFERRAL_RECEIVED)
    assert received["action"] == "C"
    assert fhir_get(client, f"/fhir/AuditEvent/{received['id']}", token) == received


def test_the_api_reads_are_audit_events_of_type_rest_and_reading_them_is_logged(app, client, record):
    client_id, secret = make_client(app)
    token = get_token(client, client_id, secret)
    fhir_get(client, f"/fhir/Patient/{record['patient']}", token)
    found = search(client, f"/fhir/AuditEvent?patient=Patient/{record['patient']}&date=ge2026-01-01", token)
    [api_read] = [r for r in found if r["type"]["code"] == "rest"]
    assert (api_read["action"], api_read["subtype"][0]["code"]) == ("R", actions.FHIR_READ)
    assert api_read["agent"][0]["who"]["identifier"]["system"].endswith("/api-client")
    assert search(client, f"/fhir/AuditEvent?patient=Patient/{record['patient']}&date=lt2026-01-01", token) == []
    with app.app_context():
        assert [read["resource_type"] for read in data_of(db.session, actions.FHIR_READ)] == [
            "Patient", "AuditEvent", "AuditEvent"]
        assert db.session.scalars(select(Event.patient_id).where(Event.action == actions.FHIR_READ)).all() == [
            record["patient"], None, None], "a read of the audit trail is not a view of the patient"


def test_audit_events_page_by_their_place_in_the_log(app, client, record):
    token = get_token(client, *make_client(app, [AUDITOR_SCOPE]))
    first = fhir_get(client, f"/fhir/AuditEvent?patient=Patient/{record['patient']}&_count=3", token)
    assert first["total"] == len(_patient_events(app, record["patient"])) > 3
    paged = search(client, f"/fhir/AuditEvent?patient=Patient/{record['patient']}&_count=3", token)
    assert ids(paged) == ids(search(client, f"/fhir/AuditEvent?patient=Patient/{record['patient']}", token))


def test_a_client_without_the_auditors_scope_may_not_read_audit_events(app, client, record):
    token = get_token(client, *make_client(app, ["system/Patient.read"]))
    outcome = fhir_get(client, f"/fhir/AuditEvent?patient=Patient/{record['patient']}", token, 403)
    assert AUDITOR_SCOPE in outcome["issue"][0]["diagnostics"]


def test_an_api_read_of_one_patients_data_shows_among_who_viewed_them(app, client, login_as, record):
    token = get_token(client, *make_client(app))
    fhir_get(client, f"/fhir/Patient/{record['patient']}", token)
    search(client, f"/fhir/Flag?patient=Patient/{record['patient']}", token)
    search(client, "/fhir/ServiceRequest?status=active", token)  # many patients': names none
    login_as("auditor")
    page = client.get(f"/audit/patients/{record['patient']}/access").get_data(as_text=True)
    assert page.count("Trust warehouse (API client)") == 2
    with app.app_context():
        changes = listing.timeline(db.session, Actor(None, "auditor"), patient_id=record["patient"])
    assert actions.FHIR_READ not in {event.action for event in changes.events}, "a read is no change to the record"
