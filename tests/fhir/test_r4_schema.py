"""Every answer the FHIR API gives for a small demo passes HL7's FHIR R4 JSON Schema, as tools/fhir_validate.py
checks it (`make fhir-validate` runs it over the full demo); and that check names what R4 does not allow."""
from inclusive_access.domain import api_clients
from tests.demo_snapshots import TO_JUNE, same_demo
from tests.fhir.test_api import get_token, make_client
from tools import fhir_validate


@same_demo(**TO_JUNE)
def test_every_answer_the_api_gives_for_the_demo_passes_hl7s_r4_json_schema(app, client, load_demo):
    load_demo(**TO_JUNE)
    answers = list(fhir_validate.served(client, get_token(client, *make_client(app))))
    served = {resource["resourceType"] for _, answer in answers for resource in fhir_validate.resources_in(answer)}
    assert served == {*api_clients.RESOURCE_TYPES, "CapabilityStatement", "OperationOutcome"}
    assert [f"{request}: {problem}" for request, answer in answers for problem in fhir_validate.problems(answer)] == []


def test_the_check_names_a_code_a_format_an_element_and_a_type_r4_does_not_have():
    appointment = {"resourceType": "Appointment", "status": "dna", "start": "8 June 2026", "colour": "blue",
                   "participant": [{"actor": {"reference": "Patient/1"}, "status": "accepted"}]}
    status, start, colour = fhir_validate.problems(appointment)
    assert status.startswith("status: 'dna' is not one of ['proposed', 'pending', 'booked'")
    assert start.startswith("start: '8 June 2026' does not match")
    assert colour == "(resource): Additional properties are not allowed ('colour' was unexpected)"
    assert fhir_validate.problems({"resourceType": "Referral"}) == [
        "resourceType: 'Referral' is not an R4 resource type"]


def test_a_search_pages_entries_are_each_checked_as_their_own_type():
    page = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "Patient", "gender": "female"}},
        {"resource": {"resourceType": "Patient", "gender": "F"}}]}
    assert fhir_validate.problems(page) == [
        "entry.1.resource.gender: 'F' is not one of ['male', 'female', 'other', 'unknown']"]


def test_the_capability_statement_may_name_r4s_technical_correction():
    statement = {"resourceType": "CapabilityStatement", "status": "active", "date": "2026-12-06", "kind": "instance",
                 "format": ["json"]}
    assert fhir_validate.problems({**statement, "fhirVersion": "4.0.1"}) == []
    assert fhir_validate.problems({**statement, "fhirVersion": "4.0.2"})[0].startswith(
        "fhirVersion: '4.0.2' is not one of")
