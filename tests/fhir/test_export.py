"""Bulk export ($export) as an analytics platform uses it: a kick-off answered 202 with a status URL, the worker
(`flask fhir export-run`) writing the files, the manifest, each type's NDJSON; and _since, cancellation, expiry,
and who may see which export."""
import importlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from sqlalchemy import select, update

from inclusive_access.domain import actions, api_clients, export_jobs
from inclusive_access.extensions import db
from inclusive_access.fhir import export_run
from inclusive_access.models import Event, ExportJob, Patient, Referral
from tests.blueprints.records import propose_rejection, record_adjustment
from tests.event_log import data_of
from tests.factories import staff
from tests.fhir.test_api import fhir_get, get_token, make_client, search
from tests.test_cli import run

ASYNC = {"Accept": "application/fhir+json", "Prefer": "respond-async"}


@pytest.fixture
def token(app, client) -> str:
    """A token of a client granted every scope."""
    return get_token(client, *make_client(app))


@pytest.fixture(autouse=True)
def export_dir(app, tmp_path):
    app.config["FHIR_EXPORT_DIR"] = str(tmp_path)
    return tmp_path


def kick_off(client, token: str | None, query: str = "", headers: dict | None = None, status: int = 202):
    sent = {**ASYNC, **({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    response = client.get(f"/fhir/$export{query}", headers={k: v for k, v in sent.items() if v is not None})
    assert response.status_code == status, response.data[:300]
    if status != 202:
        assert response.mimetype == "application/fhir+json"
        OperationOutcome.model_validate(response.json)
        return response
    return urlsplit(response.headers["Content-Location"]).path


def run_worker(app) -> str:
    result = run(app, app.test_cli_runner(), "fhir", "export-run", "--once")
    assert result.exit_code == 0, result.output
    return result.output


def poll(client, token: str, status_url: str, status: int = 200):
    return client.get(status_url, headers={"Authorization": f"Bearer {token}"}).status_code == status


def manifest(client, token: str, status_url: str) -> dict:
    response = client.get(status_url, headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.mimetype) == (200, "application/json"), response.data[:300]
    return response.json


def lines(client, token: str, url: str) -> list[dict]:
    response = client.get(urlsplit(url).path, headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.mimetype) == (200, "application/fhir+ndjson")
    text = response.get_data(as_text=True)
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def files(client, token: str, status_url: str) -> dict[str, list[dict]]:
    return {output["type"]: lines(client, token, output["url"])
            for output in manifest(client, token, status_url)["output"]}


def export(app, client, token: str, query: str = "") -> tuple[dict, dict[str, list[dict]]]:
    """A whole export: kick-off, the worker, the manifest and every file."""
    status_url = kick_off(client, token, query)
    run_worker(app)
    return manifest(client, token, status_url), files(client, token, status_url)


def _model(resource_type: str):
    return getattr(importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}"), resource_type)


# --- the kick-off ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "headers", "said"), [
    ("", {"Prefer": None}, "Prefer: respond-async"),
    ("", {"Accept": "text/html"}, "Accept: application/fhir+json"),
    ("?_outputFormat=text/csv", {}, "_outputFormat"),
    ("?_type=Patient,Practitioner", {}, "does not serve Practitioner"),
    ("?_since=2026-12-01", {}, "_since: expected a FHIR instant"),
    ("?_since=2026-02-30T09:00:00Z", {}, "_since: not a real time"),
    ("?_typeFilter=Patient%3Fgender%3Dfemale", {}, "does not answer _typeFilter"),
])
def test_a_kick_off_the_server_cannot_answer_as_asked_is_400(client, token, query, headers, said):
    outcome = kick_off(client, token, query, headers, status=400).json
    assert said in outcome["issue"][0]["diagnostics"]


def test_an_unknown_parameter_is_ignored_when_the_client_asks_for_lenient_handling(app, client, token):
    kick_off(client, token, "?_typeFilter=x", {"Prefer": "respond-async, handling=lenient"})


@pytest.mark.parametrize("sent", [None, "not-a-token"])
def test_no_url_of_an_export_opens_without_a_valid_token(app, client, record, token, sent):
    status_url = kick_off(client, token, "?_type=Patient")
    run_worker(app)
    [output] = manifest(client, token, status_url)["output"]
    kick_off(client, sent, status=401)
    for url in (status_url, urlsplit(output["url"]).path):
        response = client.get(url, headers={"Authorization": f"Bearer {sent}"} if sent else {})
        assert response.status_code == 401
        OperationOutcome.model_validate(response.json)


def test_the_capability_statement_offers_the_export(client):
    statement = fhir_get(client, "/fhir/metadata", None)
    assert statement["rest"][0]["operation"][0]["definition"] == (
        "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export")


# --- a whole export ----------------------------------------------------------------------------------------------

def test_an_export_holds_what_the_read_api_serves_each_type_in_its_file(app, client, record, token):
    status_url = kick_off(client, token)
    queued = client.get(status_url, headers={"Authorization": f"Bearer {token}"})
    assert (queued.status_code, queued.headers["X-Progress"], queued.headers["Retry-After"]) == (202, "Queued", "5")
    assert "Ran 1 export job." in run_worker(app)
    found = manifest(client, token, status_url)
    with app.app_context():
        job = db.session.scalar(select(ExportJob))
        logged = list(db.session.scalars(select(Event.seq).where(Event.seq <= job.head_seq).order_by(Event.seq)))
        patients = list(db.session.scalars(select(Patient.id)))
    assert (found["requiresAccessToken"], found["error"]) == (True, [])
    assert found["request"] == "http://localhost/fhir/$export"
    assert datetime.fromisoformat(found["transactionTime"]) == job.transaction_time
    exported = files(client, token, status_url)
    counts = {output["type"]: output["count"] for output in found["output"]}
    assert counts == {resource_type: len(made) for resource_type, made in exported.items()}
    for resource_type in ("Patient", "ServiceRequest", "Appointment", "Encounter", "QuestionnaireResponse"):
        assert counts[resource_type] == fhir_get(client, f"/fhir/{resource_type}?_count=1", token)["total"]
    assert counts["Flag"] == sum(len(search(client, f"/fhir/Flag?patient={patient}", token)) for patient in patients)
    assert [int(made["id"]) for made in exported["AuditEvent"]] == logged, "the log as it stood at the snapshot"
    for resource_type, made in exported.items():
        for resource in made:
            _model(resource_type).model_validate(resource)
            assert fhir_get(client, f"/fhir/{resource_type}/{resource['id']}", token) == resource
    with app.app_context():
        [event] = data_of(db.session, actions.FHIR_EXPORTED)
    assert (event["counts"], event["types"], event["since"]) == (counts, list(api_clients.RESOURCE_TYPES), None)
    assert datetime.fromisoformat(event["transaction_time"]) == job.transaction_time


def test_an_auditors_client_sees_that_an_export_happened(app, client, record, token):
    export(app, client, token, "?_type=Patient")
    auditor = get_token(client, *make_client(app, ["system/AuditEvent.read"]))
    [exported] = [event for event in search(client, "/fhir/AuditEvent?_count=200", auditor)
                  if event["subtype"][0]["code"] == actions.FHIR_EXPORTED]
    assert (exported["type"]["code"], exported["action"]) == ("rest", "R")
    assert exported["agent"][0]["who"]["identifier"]["system"].endswith("/api-client")


def test_only_the_types_the_client_may_read_are_exported(app, client, record):
    token = get_token(client, *make_client(app, ["system/Patient.read", "system/Flag.read"]))
    found, _made = export(app, client, token)
    assert [output["type"] for output in found["output"]] == ["Patient", "Flag"]
    refused = kick_off(client, token, "?_type=Patient,ServiceRequest", status=403)
    assert "system/ServiceRequest.read" in refused.json["issue"][0]["diagnostics"]


def test_an_export_is_its_clients_alone(app, client, record, token):
    status_url = kick_off(client, token, "?_type=Patient")
    run_worker(app)
    [output] = manifest(client, token, status_url)["output"]
    other = get_token(client, *make_client(app))
    for method, url in (("get", status_url), ("get", urlsplit(output["url"]).path), ("delete", status_url)):
        response = getattr(client, method)(url, headers={"Authorization": f"Bearer {other}"})
        assert response.status_code == 404, (method, url)
    assert len(lines(client, token, output["url"])) == output["count"], "still there for its own client"


def test_one_export_at_a_time_per_client(client, token):
    kick_off(client, token)
    assert kick_off(client, token, status=429).headers["Retry-After"] == "5"


# --- incremental exports -----------------------------------------------------------------------------------------

def test_since_the_last_exports_time_only_what_changed_since_is_exported(app, client, record, token):
    first, _made = export(app, client, token)
    with app.app_context():
        clinician = staff(db.session, "clinician", username="later.clinician")
        stranger = db.session.scalar(select(Referral).where(Referral.patient_id == record["stranger"]))
        propose_rejection(db.session, clinician, stranger)
        adjustment = record_adjustment(db.session, clinician, stranger.patient)
        db.session.commit()
        changed = {"ServiceRequest": [str(stranger.id)], "Flag": [f"adjustment-{adjustment.id}"]}
        head = db.session.scalar(select(ExportJob.head_seq))
    found, made = export(app, client, token, f"?_since={quote(first['transactionTime'])}")
    assert {resource_type: [r["id"] for r in resources] for resource_type, resources in made.items()
            if resource_type != "AuditEvent"} == changed
    assert made["ServiceRequest"] == [fhir_get(client, f"/fhir/ServiceRequest/{stranger.id}", token)], "as it is now"
    assert all(int(event["id"]) > head for event in made["AuditEvent"]), "only the log after the first export"
    assert found["request"].endswith(f"_since={first['transactionTime']}")


# --- cancel and expiry -------------------------------------------------------------------------------------------

def test_a_cancelled_export_is_gone_before_and_after_it_ran(app, client, record, token, export_dir):
    queued = kick_off(client, token)
    assert client.delete(queued, headers={"Authorization": f"Bearer {token}"}).status_code == 202
    assert poll(client, token, queued, 404)
    assert run_worker(app) == "", "nothing left to run"
    done = kick_off(client, token, "?_type=Patient")
    run_worker(app)
    [output] = manifest(client, token, done)["output"]
    assert client.delete(done, headers={"Authorization": f"Bearer {token}"}).status_code == 202
    assert poll(client, token, done, 404)
    assert client.get(urlsplit(output["url"]).path, headers={"Authorization": f"Bearer {token}"}).status_code == 404
    assert list(export_dir.iterdir()) == [], "its files removed"


def test_a_job_cancelled_while_it_runs_stops_and_leaves_nothing(app, client, record, token, export_dir):
    kick_off(client, token)
    with app.app_context():
        job = export_jobs.claim_next(db.session)
        db.session.execute(update(ExportJob).values(state="cancelled"))
        db.session.commit()
        export_run.run_job(db.session, db.engine, job, export_dir, app.extensions["instruments"], timedelta(hours=1))
        assert db.session.scalar(select(ExportJob.state)) == "cancelled"
        assert data_of(db.session, actions.FHIR_EXPORTED) == [], "nothing was exported"
    assert list(export_dir.iterdir()) == []


def test_an_export_expires_after_its_hours_and_its_files_go(app, client, record, token, export_dir):
    status_url = kick_off(client, token, "?_type=Patient")
    run_worker(app)
    with app.app_context():
        db.session.execute(update(ExportJob).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        db.session.commit()
    assert poll(client, token, status_url, 404)
    run_worker(app)
    with app.app_context():
        assert db.session.scalar(select(ExportJob.state)) == "expired"
    assert list(export_dir.iterdir()) == []


def test_a_job_whose_worker_went_silent_is_run_again(app, client, record, token):
    status_url = kick_off(client, token, "?_type=Patient")
    with app.app_context():
        export_jobs.claim_next(db.session)
        db.session.execute(update(ExportJob).values(heartbeat_at=datetime.now(UTC) - export_jobs.STALE_AFTER))
        db.session.commit()
    assert poll(client, token, status_url, 202)
    run_worker(app)
    assert manifest(client, token, status_url)["output"][0]["type"] == "Patient"


def test_behind_a_proxy_that_serves_the_files_the_app_only_authorises_the_download(app, client, record, token):
    status_url = kick_off(client, token, "?_type=Patient")
    run_worker(app)
    [output] = manifest(client, token, status_url)["output"]
    app.config["FHIR_EXPORT_ACCEL_REDIRECT"] = "/fhir-export-files/"
    response = client.get(urlsplit(output["url"]).path, headers={"Authorization": f"Bearer {token}"})
    job_id = status_url.rsplit("/", 1)[1]
    assert (response.status_code, response.data) == (200, b"")
    assert response.headers["X-Accel-Redirect"] == f"/fhir-export-files/{job_id}/Patient.ndjson"
