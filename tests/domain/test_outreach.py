"""Outreach: sessions planned by the manager with named clinicians, and minimum records received from their devices
exactly once, whatever the network did."""
from dataclasses import fields
from datetime import timedelta

import pytest

from inclusive_access.domain import actions, outreach, outreach_records
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord, TransitionNotAllowed
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


BEFORE = SEEN - timedelta(days=7)  # a week before the session: it can still be cancelled


def _partner_edit(partner, **changes) -> outreach.PartnerDetails:
    """The partner's details as stored, with `changes`."""
    return outreach.PartnerDetails(**{field.name: changes.get(field.name, getattr(partner, field.name))
                                      for field in fields(outreach.PartnerDetails)})


def test_the_manager_corrects_a_partner_evented_with_what_changed(db_session, manager, session_with):
    partner, seq = session_with.venue.partner, head(db_session)
    changes = outreach.update_partner(db_session, manager, partner, partner.version,
                                      _partner_edit(partner, contact_phone="0113 496 0000"))
    assert changes == {"contact_phone": [None, "0113 496 0000"]}
    assert (partner.contact_phone, partner.version) == ("0113 496 0000", 2)
    assert data_of(db_session, actions.PARTNER_UPDATED, since=seq) == [
        {"name": partner.name, "changes": {"contact_phone": [None, "0113 496 0000"]}}]


def test_a_partner_saved_from_an_older_version_is_refused(db_session, manager, session_with):
    partner = session_with.venue.partner
    outreach.update_partner(db_session, manager, partner, partner.version, _partner_edit(partner, contact_name="Jo"))
    with pytest.raises(StaleRecord):
        outreach.update_partner(db_session, manager, partner, 1, _partner_edit(partner, contact_name="Kim"))
    assert partner.contact_name == "Jo"


def test_a_partner_cannot_take_another_partners_name(db_session, manager, session_with):
    other = outreach.add_partner(db_session, manager, outreach.parse_partner({
        "name": "Northside Day Centre Trust", "kind": "voluntary", "sharing_agreement": "ISA 2026"}))
    partner = session_with.venue.partner
    with pytest.raises(InvalidInput) as refused:
        outreach.update_partner(db_session, manager, partner, partner.version, _partner_edit(partner, name=other.name))
    assert refused.value.errors == {"name": "A partner with this name already exists"}


def test_the_manager_corrects_a_venue_evented(db_session, manager, session_with):
    venue, seq = session_with.venue, head(db_session)
    details = outreach.VenueDetails(venue.name, "day_centre", venue.postcode, venue.partner_id)
    assert outreach.update_venue(db_session, manager, venue, venue.version, details) == {
        "kind": ["hostel", "day_centre"]}
    assert data_of(db_session, actions.VENUE_UPDATED, since=seq)[0]["changes"] == {"kind": ["hostel", "day_centre"]}
    with pytest.raises(StaleRecord):
        outreach.update_venue(db_session, manager, venue, 1, details)


def test_a_cancelled_session_tells_its_clinician_why(db_session, manager, clinician, session_with):
    seq = head(db_session)
    outreach.cancel_session(db_session, manager, session_with, session_with.version, "Hostel closed for repairs",
                            now=BEFORE)
    [event] = data_of(db_session, actions.OUTREACH_SESSION_CANCELLED, since=seq)
    assert event["reason"] == "Hostel closed for repairs"
    mine = outreach.clinician_sessions(db_session, clinician.user_id, BEFORE)
    assert [(s.id, s.status, s.cancel_reason) for s in mine.upcoming] == [
        (session_with.id, "cancelled", "Hostel closed for repairs")]
    with pytest.raises(TransitionNotAllowed, match="already cancelled"):
        outreach.cancel_session(db_session, manager, session_with, session_with.version, "Again", now=BEFORE)


def test_a_session_is_cancelled_only_with_a_reason_and_before_it_took_place(db_session, manager, clinician,
                                                                             session_with):
    with pytest.raises(InvalidInput) as refused:
        outreach.cancel_session(db_session, manager, session_with, session_with.version, "  ", now=BEFORE)
    assert refused.value.errors == {"cancel_reason": "Enter why the session is cancelled"}
    received(db_session, clinician, session_with)
    with pytest.raises(TransitionNotAllowed, match="has taken place"):
        outreach.cancel_session(db_session, manager, session_with, session_with.version, "Closed", now=BEFORE)


@pytest.mark.parametrize("role", ["booking", "clinician", "senior", "auditor"])
def test_only_the_manager_corrects_partners_and_cancels_sessions(db_session, actor, role, session_with):
    partner = session_with.venue.partner
    with pytest.raises(NotPermitted):
        outreach.update_partner(db_session, actor, partner, partner.version, _partner_edit(partner, kind="other"))
    with pytest.raises(NotPermitted):
        outreach.cancel_session(db_session, actor, session_with, session_with.version, "Closed", now=BEFORE)


def test_a_clinicians_sessions_list_today_and_upcoming_before_recent_ones(db_session, manager, clinician):
    past = planned_session(db_session, manager, [clinician], starts_at=SEEN - timedelta(days=14))
    today = planned_session(db_session, manager, [clinician], starts_at=SEEN - timedelta(hours=5))
    later = planned_session(db_session, manager, [clinician], starts_at=SEEN + timedelta(days=7))
    mine = outreach.clinician_sessions(db_session, clinician.user_id, SEEN)
    assert ([s.id for s in mine.upcoming], [s.id for s in mine.recent]) == ([today.id, later.id], [past.id])
    assert outreach.is_named_on_any(db_session, clinician.user_id)
