"""Verifying the identity of a patient registered from an outreach record: with their NHS number and how it was
checked, evented; never with another patient's number, never twice, only by a clinician."""
import pytest

from inclusive_access.domain import actions, outreach_registration, patient_identity
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord, TransitionNotAllowed
from tests.event_log import actions_since, data_of, head
from tests.factories import make_referral, next_nhs_number, staff
from tests.outreach_factories import planned_session, received

HOW = "Traced on the Spine with name and date of birth"


@pytest.fixture
def unverified(db_session, clinician):
    record = received(db_session, clinician, planned_session(db_session, staff(db_session, "manager"), [clinician]))
    return outreach_registration.register_and_link(db_session, clinician, record, record.version)


def test_a_clinician_verifies_identity_with_the_nhs_number_and_how_it_was_checked(db_session, clinician,
                                                                                    unverified):
    number, seq = next_nhs_number(), head(db_session)
    patient_identity.verify_identity(db_session, clinician, unverified, unverified.version,
                                     {"nhs_number": number, "how": HOW})
    assert (unverified.nhs_number, unverified.identity_verified) == (number, True)
    assert actions_since(db_session, seq) == [actions.PATIENT_IDENTITY_VERIFIED]
    assert data_of(db_session, actions.PATIENT_IDENTITY_VERIFIED, seq)[0]["how"] == HOW
    with pytest.raises(TransitionNotAllowed):
        patient_identity.verify_identity(db_session, clinician, unverified, unverified.version,
                                         {"nhs_number": number, "how": HOW})


def test_another_patients_number_is_a_merge_not_a_verification(db_session, clinician, unverified):
    taken = make_referral(db_session).patient.nhs_number
    with pytest.raises(InvalidInput) as refused:
        patient_identity.verify_identity(db_session, clinician, unverified, unverified.version,
                                         {"nhs_number": taken, "how": HOW})
    assert set(refused.value.errors) == {"nhs_number"}
    with pytest.raises(InvalidInput) as refused:
        patient_identity.verify_identity(db_session, clinician, unverified, unverified.version, {})
    assert set(refused.value.errors) == {"nhs_number", "how"}


def test_only_a_clinician_on_the_current_details_verifies(db_session, clinician, unverified):
    with pytest.raises(NotPermitted):
        patient_identity.verify_identity(db_session, staff(db_session, "booking"), unverified, unverified.version,
                                         {"nhs_number": next_nhs_number(), "how": HOW})
    with pytest.raises(StaleRecord):
        patient_identity.verify_identity(db_session, clinician, unverified, unverified.version - 1,
                                         {"nhs_number": next_nhs_number(), "how": HOW})
