"""Every answer the FHIR API gives for the demo data, checked against HL7's FHIR R4 JSON Schema.

Usage (pip install -e .[dev]):
    .venv/bin/python tools/fhir_validate.py [--patients 2000] [--referrals 2500] [--seed N] [--out DIR]

Loads the demo (`flask demo-data`'s sizes by default) into a fresh SQLite database, then, as a system client granted
every scope, GETs /fhir/metadata, every page of every search (Flag per patient, as the API searches it), every
resource by its id and three errors, and POSTs a referral to be refused; writes each answer to DIR (a temporary
folder unless given) and checks it. Prints the counts and each problem; exits 1 on any problem.

This is not the official HL7 validator (validator_cli.jar), which could not be installed on this project's machines
(tools/README.md says why and how to run it on the files this writes). The JSON Schema is the one HL7 publishes with
R4 (tools/fhir.schema.json.gz): it checks each element's name and type, the required elements it lists, the codes of
required bindings and the primitive formats; not invariants, cardinality beyond that, or terminology.
"""
import argparse
import gzip
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from flask_migrate import upgrade
from jsonschema import Draft6Validator

from config import DevelopmentConfig
from inclusive_access import create_app, demo
from inclusive_access.domain import api_clients
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.extensions import db

SCHEMA = Path(__file__).with_name("fhir.schema.json.gz")
#: the largest page the API serves: fewer requests
PAGE = 200
#: a referral sent as FHIR with none of the details the intake needs: refused with an issue for each
UNREADABLE_REFERRAL = {"resourceType": "Bundle", "type": "transaction", "entry": [
    {"fullUrl": "urn:uuid:5f0c2d4e-3a9b-4c1d-8e7f-6a5b4c3d2e1f", "resource": {"resourceType": "Patient"},
     "request": {"method": "POST", "url": "Patient"}},
    {"resource": {"resourceType": "ServiceRequest", "status": "active", "intent": "order",
                  "subject": {"reference": "urn:uuid:5f0c2d4e-3a9b-4c1d-8e7f-6a5b4c3d2e1f"}},
     "request": {"method": "POST", "url": "ServiceRequest"}}]}


@cache
def _definitions() -> dict:
    """The schema's definitions, as published for R4 (4.0.0), with the code 4.0.1 added to the FHIR versions a
    resource may name, as the technical correction's own schema has it (tools/README.md)."""
    definitions = json.loads(gzip.decompress(SCHEMA.read_bytes()))["definitions"]
    for definition in definitions.values():
        for element in definition.get("properties", {}).values():
            codes = element.get("enum") or element.get("items", {}).get("enum")
            if codes is not None and codes[-2:] == ["3.5.0", "4.0.0"]:
                codes.append("4.0.1")
    return definitions


@cache
def _validator(resource_type: str) -> Draft6Validator:
    """The schema of one resource type. A Bundle's entries are taken as any resource here and checked as their own
    types apart: the schema's check of an entry against every type at once is slow, and says only that it matches
    none of them."""
    definitions = _definitions()
    if resource_type == "Bundle":
        definitions = {**definitions, "ResourceList": {"type": "object"}}
    return Draft6Validator({"$ref": f"#/definitions/{resource_type}", "definitions": definitions})


def problems(resource: dict) -> list[str]:
    """What HL7's R4 JSON Schema finds wrong with `resource`, each as "path: message"; none when it is valid."""
    resource_type = resource.get("resourceType")
    if "resourceType" not in _definitions().get(resource_type, {}).get("properties", {}):
        return [f"resourceType: {resource_type!r} is not an R4 resource type"]
    found = [f"{'.'.join(map(str, error.absolute_path)) or '(resource)'}: {error.message}"
             for error in _validator(resource_type).iter_errors(resource)]
    if resource_type == "Bundle":
        for index, entry in enumerate(resource.get("entry", [])):
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                found += [f"entry.{index}.resource.{problem}" for problem in problems(entry["resource"])]
    return found


def served(client, token: str) -> Iterator[tuple[str, dict]]:
    """(request, answer) for every answer the API gives: the CapabilityStatement, each page of each search and each
    resource read by its id, AuditEvents last (the reads before them are logged, so they are among them), then a
    missing token, a missing resource, a bad search and a referral refused."""
    headers = {"Authorization": f"Bearer {token}"}

    def get(url: str, status: int = 200, with_token: bool = True) -> dict:
        response = client.get(url, headers=headers if with_token else {})
        assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True))
        assert response.mimetype == "application/fhir+json", (url, response.mimetype)
        return response.json

    def search(url: str) -> Iterator[tuple[str, dict]]:
        while url:
            page = get(url)
            yield url, page
            url = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)

    def search_and_read(url: str) -> Iterator[tuple[str, dict]]:
        found = []
        for request, page in search(url):
            yield request, page
            found += [entry["resource"] for entry in page.get("entry", [])]
        for resource in found:
            request = f"/fhir/{resource['resourceType']}/{resource['id']}"
            yield request, get(request)

    yield "/fhir/metadata", get("/fhir/metadata", with_token=False)
    patient_ids = []
    for request, answer in search_and_read(f"/fhir/Patient?_count={PAGE}"):
        if answer["resourceType"] == "Patient":
            patient_ids.append(answer["id"])
        yield request, answer
    for resource_type in ("ServiceRequest", "Appointment", "Encounter", "QuestionnaireResponse"):
        yield from search_and_read(f"/fhir/{resource_type}?_count={PAGE}")
    for patient_id in patient_ids:
        yield from search_and_read(f"/fhir/Flag?patient=Patient/{patient_id}&_count={PAGE}")
    yield from search(f"/fhir/AuditEvent?_count={PAGE}")
    yield "/fhir/Patient (no token)", get("/fhir/Patient", 401, with_token=False)
    yield "/fhir/Patient/0", get("/fhir/Patient/0", 404)
    yield "/fhir/Appointment?date=tomorrow", get("/fhir/Appointment?date=tomorrow", 400)
    response = client.post("/fhir/ServiceRequest", json=UNREADABLE_REFERRAL, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    yield "POST /fhir/ServiceRequest (a referral without its details)", response.json


def resources_in(answer: dict) -> list[dict]:
    """The resources an answer carries: a search page's entries, or the answer itself."""
    if answer["resourceType"] == "Bundle":
        return [entry["resource"] for entry in answer.get("entry", [])]
    return [answer]


def check(client, token: str, out: Path) -> tuple[Counter, Counter, list[str]]:
    """Every answer served, written to `out` (one JSON file each) and checked: how many answers of each type, how
    many resources of each type they served (each counted once, however often served), and each problem found,
    after the request that got it."""
    answers, served_ids, found = Counter(), set(), []
    for number, (request, answer) in enumerate(served(client, token), 1):
        (out / f"{number:06d}-{answer['resourceType']}.json").write_text(json.dumps(answer, indent=1))
        answers[answer["resourceType"]] += 1
        found += [f"{request}: {problem}" for problem in problems(answer)]
        served_ids |= {(resource["resourceType"], resource["id"]) for resource in resources_in(answer)
                       if "id" in resource}
    return answers, Counter(resource_type for resource_type, _ in served_ids), found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--referrals", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--out", type=Path, help="keep the answers here (default: a temporary folder, removed)")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the migrations' and each request's log lines

    with tempfile.TemporaryDirectory(prefix="fhir-validate-") as scratch:
        app = create_app(DevelopmentConfig, {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{scratch}/demo.db", "SECRET_KEY": "validate-only-not-a-secret",
            "AUDIT_CHAIN_KEY": "fa" * 32, "FHIR_TOKEN_KEY": "fb" * 32, "FHIR_TOKEN_MINUTES": 24 * 60})
        started = time.perf_counter()
        with app.app_context():
            upgrade()
            demo.load(db.session, args.patients, args.referrals, args.seed)
            client_row, secret = api_clients.create_client(db.session, SYSTEM, "FHIR validation",
                                                           api_clients.SCOPES)
            db.session.commit()
            client_id = client_row.client_id
        loaded = time.perf_counter()
        client = app.test_client()
        token = client.post("/fhir/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                                 "client_secret": secret}).json["access_token"]
        out = args.out or Path(scratch) / "answers"
        out.mkdir(parents=True, exist_ok=True)
        answers, resources, found = check(client, token, out)
    print(f"Demo of {args.patients} patients and {args.referrals} referrals loaded in {loaded - started:.0f} s; "
          f"answers served and checked in {time.perf_counter() - loaded:.0f} s against HL7's FHIR R4 JSON Schema.")
    print(f"{sum(answers.values())} answers: " + ", ".join(f"{n} {kind}" for kind, n in sorted(answers.items())))
    print(f"{sum(resources.values())} resources in them: "
          + ", ".join(f"{n} {kind}" for kind, n in sorted(resources.items())))
    if args.out:
        print(f"Answers kept in {args.out} (tools/README.md: running HL7's validator on them).")
    for problem in found:
        print(problem)
    print(f"{len(found)} problems.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
