"""Contact details are checked as GOV.UK Notify will check them, kept by the booking team, versioned and evented."""
import json

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, contact_details
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord
from inclusive_access.models import ContactDetails, Event, Patient
from tests.factories import make_referral, staff

VALID = {"mobile": "+44 (0)7700 900-123", "email": " sam@example.com ", "address_line_1": "Flat 2",
         "address_line_3": "1 Example Street", "carer_name": "Jo Carer", "carer_mobile": "447700900456",
         "carer_address_line_1": "3 Sample Road", "carer_postcode": "ls29jt"}


@pytest.fixture
def patient(db_session) -> Patient:
    return db_session.get(Patient, make_referral(db_session).patient_id)


def test_details_are_read_as_notify_needs_them():
    info = contact_details.parse_contact_details({**VALID, "mobile": "07700900123"})
    assert info == contact_details.ContactInfo(
        mobile="07700 900123", email="sam@example.com", address_lines=("Flat 2", "1 Example Street"),
        carer_name="Jo Carer", carer_mobile="07700 900456", carer_address_lines=("3 Sample Road",),
        carer_postcode="LS2 9JT")
    assert contact_details.parse_contact_details({**VALID, "mobile": "+44 7700 900123"}).mobile == "07700 900123"


@pytest.mark.parametrize(("changed", "field", "message"), [
    ({"mobile": "0113 496 0000"}, "mobile", "Enter a UK mobile number, like 07700 900982"),
    ({"mobile": "07700 90012"}, "mobile", "Enter a UK mobile number, like 07700 900982"),
    ({"email": "sam.example.com"}, "email", "Enter the email address in the correct format, like name@example.com"),
    ({"email": "sam@example"}, "email", "Enter the email address in the correct format, like name@example.com"),
    ({"address_line_2": "x" * 36}, "address_line_2", "Line 2 of the address must be 35 characters or fewer"),
    ({"carer_name": ""}, "carer_name", "Enter the carer's or advocate's name, or remove their contact details"),
    ({"carer_postcode": ""}, "carer_postcode", "Enter the postcode of the carer's address"),
    ({"carer_address_line_1": ""}, "carer_address_line_1", "Enter the carer's address, or remove its postcode"),
    ({"carer_postcode": "LS99"}, "carer_postcode", "Enter a full UK postcode, like LS1 4AP"),
])
def test_details_notify_would_refuse_are_refused_beside_their_field(changed, field, message):
    with pytest.raises(InvalidInput) as refused:
        contact_details.parse_contact_details({**VALID, **changed})
    assert refused.value.errors[field] == message


def test_recording_details_keeps_them_and_says_what_changed(db_session, booker, patient):
    first = contact_details.record_contact_details(db_session, booker, patient, 0,
                                                   contact_details.parse_contact_details(VALID))
    assert (first.mobile, first.address_lines, first.carer_postcode, first.version) == (
        "07700 900123", ["Flat 2", "1 Example Street"], "LS2 9JT", 1)
    changed = contact_details.parse_contact_details({**VALID, "mobile": "", "email": "sam@example.org"})
    contact_details.record_contact_details(db_session, booker, patient, 1, changed)
    assert (first.mobile, first.email, first.version) == (None, "sam@example.org", 2)
    data = [json.loads(e.data) for e in db_session.scalars(select(Event).where(
        Event.action == actions.PATIENT_CONTACT_DETAILS_RECORDED, Event.patient_id == patient.id)
        .order_by(Event.seq))]
    assert data[1] == {"version": 2, "changed": ["mobile", "email"],
                       "changes": {"mobile": ["07700 900123", None], "email": ["sam@example.com", "sam@example.org"]}}
    assert sorted(data[0]["changed"]) == sorted(["mobile", "email", "address_lines", "carer_name", "carer_mobile",
                                                 "carer_address_lines", "carer_postcode"])


@pytest.mark.parametrize("seen", [0, 2])
def test_a_save_from_an_older_version_is_stale(db_session, booker, patient, seen):
    details = contact_details.parse_contact_details(VALID)
    contact_details.record_contact_details(db_session, booker, patient, 0, details)
    with pytest.raises(StaleRecord):
        contact_details.record_contact_details(db_session, booker, patient, seen, details)


def test_a_first_save_over_one_made_meanwhile_is_stale(db_session, booker, patient):
    with pytest.raises(StaleRecord):
        contact_details.record_contact_details(db_session, booker, patient, 1, contact_details.ContactInfo())
    assert db_session.scalar(select(ContactDetails)) is None


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_only_the_booking_team_and_clinicians_record_them(db_session, patient, role):
    with pytest.raises(NotPermitted):
        contact_details.record_contact_details(db_session, staff(db_session, role), patient, 0,
                                               contact_details.ContactInfo(mobile="07700 900123"))
