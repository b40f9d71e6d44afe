"""A minimum record of someone not on file registers them, identity not verified, on an outreach referral received
by the intake's rules; someone on file with no open referral gets that referral. Either way the record is linked."""
from datetime import date

import pytest

from inclusive_access.domain import actions, outreach_registration
from inclusive_access.domain.errors import InvalidInput, NotPermitted
from inclusive_access.models import Referral
from tests.event_log import actions_since, data_of, head
from tests.factories import REQUESTED, discharged, make_referral, next_nhs_number, staff
from tests.outreach_factories import SEEN, planned_session, received


@pytest.fixture
def planned(db_session, clinician):
    return planned_session(db_session, staff(db_session, "manager"), [clinician])


def test_a_person_not_on_file_is_registered_unverified_with_an_estimated_birth_date(db_session, clinician, planned):
    record = received(db_session, clinician, planned, given_name="Alex", approximate_age="40", flags=["housing"])
    seq = head(db_session)
    patient = outreach_registration.register_and_link(db_session, clinician, record, record.version)
    assert (patient.nhs_number, patient.identity_verified, patient.given_name, patient.family_name) == (
        None, False, "Alex", "Not given")
    assert (patient.date_of_birth, patient.date_of_birth_estimated) == (date(2026 - 40, 7, 1), True)
    assert (patient.ethnic_category, patient.sex, patient.housing_status) == ("99", "not_known", "no_fixed_abode")
    assert actions_since(db_session, seq) == [actions.PATIENT_REGISTERED, actions.REFERRAL_RECEIVED,
                                              actions.OUTREACH_RECORD_LINKED]
    assert data_of(db_session, actions.PATIENT_REGISTERED, seq)[0]["identity_verified"] is False
    assert (record.reconciliation, record.patient_id) == ("new_patient", patient.id)
    [received_event] = data_of(db_session, actions.REFERRAL_RECEIVED, seq)
    assert (received_event["pathway_code"], received_event["flags"]) == ("outreach", ["housing"])
    assert received_event["referrer_name"] == "Test clinician"
    assert received_event["referrer_organisation"] == planned.venue.partner.name
    assert received_event["reason"] == record.presenting_need


def test_the_outreach_referral_is_received_when_the_person_was_seen_and_its_triage_clock_runs(
        db_session, clinician, planned):
    record = received(db_session, clinician, planned, given_name="Alex", family_name="Ward",
                      date_of_birth="1979-02-03", exploitation_risk="yes", safeguarding_detail="Cuckooing")
    patient = outreach_registration.register_and_link(db_session, clinician, record, record.version)
    referral = db_session.get(Referral, record.referral_id)
    assert (patient.family_name, patient.date_of_birth, patient.date_of_birth_estimated) == (
        "Ward", date(1979, 2, 3), False)
    assert (referral.received_at, referral.urgency, referral.state) == (SEEN, "urgent", "received")
    assert referral.triage_due_at > SEEN


def test_two_people_without_nhs_numbers_are_two_patients(db_session, clinician, planned):
    first, second = (received(db_session, clinician, planned, given_name=name) for name in ("Alex", "Sam"))
    assert (outreach_registration.register_and_link(db_session, clinician, first, first.version).id
            != outreach_registration.register_and_link(db_session, clinician, second, second.version).id)


def test_a_record_whose_nhs_number_is_on_file_is_matched_not_registered(db_session, clinician, planned):
    number = next_nhs_number()
    make_referral(db_session, nhs_number=number)
    record = received(db_session, clinician, planned, nhs_number=number)
    with pytest.raises(InvalidInput) as refused:
        outreach_registration.register_and_link(db_session, clinician, record, record.version)
    assert "nhs_number" in refused.value.errors


def test_a_person_with_no_age_or_birth_date_is_not_registered(db_session, clinician, planned):
    record = received(db_session, clinician, planned, approximate_age="")
    with pytest.raises(InvalidInput):
        outreach_registration.register_and_link(db_session, clinician, record, record.version)


def test_only_the_sessions_clinicians_register_from_its_records(db_session, clinician, planned):
    record = received(db_session, clinician, planned)
    with pytest.raises(NotPermitted):
        outreach_registration.register_and_link(db_session, staff(db_session, "senior"), record, record.version)


def test_a_patient_on_file_with_no_open_referral_gets_an_outreach_referral(db_session, clinician, senior, planned):
    closed = discharged(db_session, clinician, senior, "2026-05-01 09:00", REQUESTED)
    record = received(db_session, clinician, planned)
    seq = head(db_session)
    referral = outreach_registration.refer_and_link(db_session, clinician, record, closed.patient, record.version)
    assert (referral.patient_id, referral.pathway.code, record.referral_id, record.reconciliation) == (
        closed.patient_id, "outreach", referral.id, "matched")
    assert actions_since(db_session, seq) == [actions.REFERRAL_RECEIVED, actions.OUTREACH_RECORD_LINKED]
    other = received(db_session, clinician, planned)
    with pytest.raises(InvalidInput):  # now open: the record joins that referral instead
        outreach_registration.refer_and_link(db_session, clinician, other, closed.patient, other.version)
