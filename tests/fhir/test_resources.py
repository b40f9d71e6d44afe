"""Every record of the demo as FHIR R4 resources: each parses as R4 (fhir.resources' R4B models, the same shape for
these resources), names its UK Core profile and carries our codes; and one patient's resources read as worked by
hand."""
from datetime import UTC, date, datetime

import pytest
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.encounter import Encounter as FhirEncounter
from fhir.resources.R4B.flag import Flag as FhirFlag
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirQuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest as FhirServiceRequest
from sqlalchemy import select

from inclusive_access.domain import instrument_files, questionnaires
from inclusive_access.fhir import codes, resources
from inclusive_access.models import REFERRAL_STATES, Appointment, Patient, ReasonableAdjustment, Referral
from inclusive_access.models.appointments import STATUSES as APPOINTMENT_STATUSES
from tests.demo_snapshots import TO_JUNE, same_demo
from tests.factories import accepted, make_referral, staff

MODELS = {"Patient": FhirPatient, "ServiceRequest": FhirServiceRequest, "Appointment": FhirAppointment,
          "Encounter": FhirEncounter, "Flag": FhirFlag}


pytestmark = same_demo(**TO_JUNE)


@pytest.fixture
def demo_resources(db_session, load_demo) -> list[dict]:
    load_demo(**TO_JUNE)
    patients_of = dict(db_session.execute(select(Referral.id, Referral.patient_id)).all())
    made = []
    for patient in db_session.scalars(select(Patient)):
        made += [resources.patient(patient), *resources.communication_flags(patient)]
    made += [resources.service_request(referral) for referral in db_session.scalars(select(Referral))]
    for row in db_session.scalars(select(Appointment)):
        made += [resources.appointment(row, patients_of[row.referral_id]),
                 resources.encounter(row, patients_of[row.referral_id])]
    made += [resources.adjustment_flag(row) for row in db_session.scalars(select(ReasonableAdjustment))]
    return [resource for resource in made if resource is not None]


def test_every_demo_record_is_valid_fhir_r4_shaped_to_uk_core(demo_resources):
    kinds = {resource["resourceType"] for resource in demo_resources}
    assert kinds == set(MODELS), "the demo has every kind of record the API serves"
    for resource in demo_resources:
        parsed = MODELS[resource["resourceType"]].model_validate(resource)
        assert parsed.model_dump(mode="json", exclude_none=True, by_alias=True) == resource, resource["id"]
        assert resource["meta"]["profile"] == [codes.profile(resource["resourceType"])]


def test_every_referral_state_and_appointment_outcome_has_its_fhir_status(demo_resources):
    assert set(codes.SERVICE_REQUEST_STATUS) == set(REFERRAL_STATES)
    assert set(codes.APPOINTMENT_STATUS) == set(APPOINTMENT_STATUSES)
    statuses = {(r["resourceType"], r["status"]) for r in demo_resources if r["resourceType"] != "Patient"}
    assert {("Appointment", "noshow"), ("Appointment", "fulfilled"), ("Appointment", "booked"),
            ("ServiceRequest", "completed"), ("ServiceRequest", "active"), ("Flag", "active")} <= statuses


def test_a_patient_reads_as_worked_by_hand(db_session):
    row = Patient(id=7, nhs_number="9990001234", given_name="Ada", family_name="Example",
                  date_of_birth=date(1950, 2, 3), sex="indeterminate", postcode="LS1 4AP", ethnic_category="N",
                  communication_needs=["easy_read"],
                  created_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert resources.patient(row) == {
        "resourceType": "Patient", "id": "7",
        "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
        "extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
                       "valueCodeableConcept": {"coding": [{
                           "system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland", "code": "N",
                           "display": "Black or Black British - African"}]}}],
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990001234"}],
        "name": [{"use": "official", "family": "Example", "given": ["Ada"]}],
        "gender": "other", "birthDate": "1950-02-03", "address": [{"postalCode": "LS1 4AP"}]}
    [flag] = resources.communication_flags(row)
    assert (flag["id"], flag["code"]["coding"][0]["code"], flag["subject"]) == (
        "communication-7-easy-read", "easy_read", {"reference": "Patient/7"})


def test_a_patient_registered_from_an_outreach_record_has_no_identifier_and_a_birth_year(db_session):
    """Identity not verified, no NHS number, a date of birth estimated from an approximate age."""
    row = Patient(id=8, nhs_number=None, given_name="Alex", family_name="Not given", date_of_birth=date(1986, 7, 1),
                  date_of_birth_estimated=True, identity_verified=False, sex="not_known", ethnic_category="99",
                  communication_needs=[], created_at=datetime(2026, 6, 2, tzinfo=UTC))
    resource = resources.patient(row)
    FhirPatient.model_validate(resource)
    assert "identifier" not in resource
    assert resource["birthDate"] == "1986"


def test_a_questionnaire_response_reads_as_worked_by_hand(db_session):
    clinician = staff(db_session, "clinician")
    referral = accepted(db_session, clinician)
    instrument = instrument_files.load(instrument_files.SHIPPED_DIR)["psfs"]
    row = questionnaires.record_answers(db_session, clinician, referral, instrument, "first_contact",
                                        {"activity_1": "3", "activity_2": "6"}, "telephone_interpreter",
                                        datetime(2026, 6, 8, 10, 30, tzinfo=UTC), now=datetime(2026, 6, 9, tzinfo=UTC))
    resource = resources.questionnaire_response(row, instrument)
    FhirQuestionnaireResponse.model_validate(resource)
    assert resource["questionnaire"] == "https://inclusive-access.example/fhir/Questionnaire/psfs|1"
    assert (resource["status"], resource["authored"], resource["subject"], resource["basedOn"]) == (
        "completed", "2026-06-08T10:30:00Z", {"reference": f"Patient/{referral.patient_id}"},
        [{"reference": f"ServiceRequest/{referral.id}"}])
    assert [(item["linkId"], item["answer"][0]["valueCoding"]["code"]) for item in resource["item"]] == [
        ("activity_1", "3"), ("activity_2", "6")], "the optional third activity, not named, is left out"
    assert resource["extension"] == [{"url": codes.QUESTIONNAIRE_SCORE, "valueDecimal": 4.5}]
    assert "source" not in resource, "a clinician recorded it: the patient is not its source"


def test_a_referral_names_its_referrers_organisation_by_ods_code_when_given(db_session):
    referral = make_referral(db_session, referrer_ods_code="", imd_decile="1", housing_status="temporary")
    referral.referrer_ods_code = "Y99901"
    resource = resources.service_request(referral)
    FhirServiceRequest.model_validate(resource)
    assert resource["requester"] == {"display": "Dr Example, Test Surgery", "identifier": {
        "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y99901"}}
    assert [c["coding"][0]["code"] for c in resource["category"]] == ["deprivation", "housing"]
    assert (resource["status"], resource["priority"], resource["subject"]) == (
        "active", "routine", {"reference": f"Patient/{referral.patient_id}"})
