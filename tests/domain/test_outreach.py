"""Outreach: sessions planned by the manager with named clinicians, and minimum records received from their devices
exactly once, whatever the network did."""
from datetime import timedelta

import pytest

from inclusive_access.domain import actions, outreach, outreach_records
from inclusive_access.domain.errors import InvalidInput, NotPermitted
from inclusive_access.models import OutreachRecord
from tests.event_log import count, data_of, head
from tests.factories import staff
from tests.outreach_factories import SEEN, minimum_record, planned_session, received


@pytest.fixture
def manager(db_session):
    return staff(db_session, "manager")


@pytest.fixture
def session_with(db_session, manager, clinician):
    """A hostel session with the clinician named on it, committed."""
    planned = planned_session(db_session, manager, [clinician])
    db_session.commit()
    return planned


def test_the_manager_plans_a_session_and_only_its_named_clinicians_see_it(db_session, manager, clinician, senior):
    planned = planned_session(db_session, manager, [clinician])
    assert [s.id for s in outreach.sessions_for_clinician(db_session, clinician.user_id, SEEN)] == [planned.id]
    assert outreach.sessions_for_clinician(db_session, senior.user_id, SEEN) == []
    assert planned.venue.partner.kind == "housing"


@pytest.mark.parametrize("role", ["booking", "clinician", "senior", "auditor"])
def test_only_the_manager_plans_outreach(db_session, actor, role):
    with pytest.raises(NotPermitted):
        outreach.add_partner(db_session, actor, outreach.parse_partner({
            "name": "Any", "kind": "voluntary", "sharing_agreement": "ISA"}))


def test_a_session_needs_a_clinician_and_an_end_after_its_start(db_session, manager, session_with):
    with pytest.raises(InvalidInput) as refused:
        outreach.parse_session_plan(db_session, {"venue_id": str(session_with.venue_id),
                                                 "starts_at": "2026-06-02T13:00", "ends_at": "2026-06-02T12:00"}, [])
    assert refused.value.errors == {"ends_at": "The end must be after the start",
                                    "clinician_ids": "Select at least one clinician"}


def test_a_record_sent_twice_is_stored_once(db_session, clinician, session_with):
    raw = minimum_record()
    first, created = outreach_records.receive_record(db_session, clinician, session_with, raw, now=SEEN)
    again, created_again = outreach_records.receive_record(db_session, clinician, session_with, raw, now=SEEN)
    assert (created, created_again, again.id) == (True, False, first.id)
    assert count(db_session, OutreachRecord) == 1
    assert len(data_of(db_session, actions.OUTREACH_RECORD_RECEIVED)) == 1


def test_a_clinician_not_named_on_the_session_cannot_send_to_it(db_session, senior, session_with):
    with pytest.raises(NotPermitted):
        outreach_records.receive_record(db_session, senior, session_with, minimum_record(), now=SEEN)


def test_the_record_is_kept_as_the_device_sent_it_and_evented(db_session, clinician, session_with):
    seq = head(db_session)
    record = received(db_session, clinician, session_with, given_name="Blue", name_is_alias="yes",
                      nhs_number="", flags=["language", "housing"])
    assert (record.given_name, record.name_is_alias, record.nhs_number, record.flags) == (
        "Blue", True, None, ["housing", "language"])
    assert (record.reconciliation, record.seen_at) == ("unreconciled", SEEN)
    [event] = data_of(db_session, actions.OUTREACH_RECORD_RECEIVED, since=seq)
    assert (event["given_name"], event["session_id"]) == ("Blue", session_with.id)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"given_name": ""}, "given_name", "Enter a name or the name they want to be called"),
    ({"exploitation_risk": "yes"}, "safeguarding_detail", "Enter what the safeguarding worry is"),
    ({"consent_to_share": "no", "shared_with_partner_ids": ["1"]}, "shared_with_partner_ids",
     "Nothing may be shared without the person's agreement"),
    ({"follow_up_on": "2026-06-09", "follow_up_plan": ""}, "follow_up_plan", "Enter the follow-up planned"),
    ({"follow_up_on": "2026-06-01"}, "follow_up_on",
     "The follow-up date must be on or after the day the person was seen"),
    ({"seen_at": (SEEN + timedelta(days=1)).isoformat()}, "seen_at",
     "The time the person was seen is in the future: check the device's clock"),
    ({"nhs_number": "1234567890"}, "nhs_number", "Enter a valid NHS number (the check digit does not match)"),
    ({"flags": ["tall"]}, "flags", "Select inequality flags from the list"),
    ({"client_key": "short"}, "client_key", "The record's key from the device is missing or not recognised"),
    ({"approximate_age": 40}, "approximate_age", "Send this answer as text"),
])
def test_a_record_with_a_problem_is_refused_naming_it(db_session, clinician, session_with, overrides, field,
                                                       message):
    with pytest.raises(InvalidInput) as refused:
        outreach_records.receive_record(db_session, clinician, session_with, minimum_record(**overrides),
                                        now=SEEN + timedelta(minutes=5))
    assert refused.value.errors[field] == message
    assert count(db_session, OutreachRecord) == 0
