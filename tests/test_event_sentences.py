"""Each event as a sentence in staff words: every action has one, codes read as their labels, times in UK time,
and a sentence says nothing the viewer's role may not read."""
import json
from datetime import UTC, datetime

import pytest

from inclusive_access.domain import actions, event_view
from inclusive_access.domain.events import canonical_json
from inclusive_access.event_sentences import SENTENCES, sentence
from inclusive_access.models import Event

ROLES = ("booking", "clinician", "senior", "auditor", "manager")
#: 11 Dec 2026, 18:00 UTC: the time the events below were recorded
RECORDED = datetime(2026, 12, 11, 18, 0, tzinfo=UTC)
#: an event of each action that names no patient, every value readable by someone and by no one else
UNLINKED = {
    actions.USER_CREATED: {"username": "jo.bloggs", "role": "clinician", "via": "NHS CIS2"},
    actions.USER_ROLE_CHANGED: {"from": "booking", "to": "senior", "via": "NHS CIS2"},
    actions.LOGIN_SUCCEEDED: {"source": "192.0.2.7", "via": "NHS CIS2"},
    actions.LOGIN_FAILED: {"username": "hunter2-typed-as-name", "reason": "bad password", "failures": 3,
                          "source": "192.0.2.8", "via": "NHS CIS2", "roles": ["R8010", "S8000"]},
    actions.LOGIN_LOCKED: {"until": "2026-12-11T18:15:00+00:00", "source": "192.0.2.9", "lockouts": 2},
    actions.LOGIN_THROTTLED: {"scope": "source", "source": "192.0.2.10", "username": "typed.name",
                             "until": "2026-12-11T18:05:00+00:00"},
    actions.PASSWORD_CHANGED: {"other_sessions_ended": True},
    actions.ACCESS_DENIED: {"endpoint": "admin.list_users", "method": "GET", "shown_at": "2026-07-01T09:00:00+00:00"},
    "audit.log_verified": {"ok": False, "count": 812, "head_hash": "ab12cd", "bad_seq": 77,
                           "reason": "hash does not match"},
    "audit.sample_drawn": {"record_type": "adjustment", "first_month": "2026-10", "last_month": "2026-11",
                           "pathway": "msk", "segment": None, "segment_value": None, "stratify_by": None,
                           "allocation": None, "size": 20, "seed": 7, "population": 163, "taken": 19},
    "governance.opened": {"kpi": "improvement_gap", "pathway": "msk", "month": "2026-11", "gap_days": 14.5,
                          "ratio": None, "threshold_days": 10, "breach": True, "special_cause": False,
                          "restatement": True, "first_reported_at": "2026-12-01T02:00:00+00:00",
                          "first_reported_gap_days": 1.0},
    "governance.months_reported": {"kpi": "wait_gap", "months": [{"pathway": "msk", "month": "2026-11",
                                                                  "gap_days": 1.0, "q1_n": 9, "q5_n": 8,
                                                                  "judged": True, "breach": False}]},
    "governance.plan_recorded": {"variance_explanation": "Fewer evening slots", "corrective_action": "Add clinics",
                                 "lead_name": "Sam Lead", "due_date": "2027-01-31", "remeasure_month": "2027-02"},
    "governance.closed": {"kpi": "wait_gap", "closure_note": "Gap closed", "remeasure_month": "2027-02",
                          "remeasured_gap_days": 0.5},
    "partnership_review.recorded": {
        "held_on": "2026-07-14", "title": "Quarterly outreach review", "period_start": "2026-04-01",
        "period_end": "2026-06-30", "partner_ids": [3, 5], "minutes": "Agreed a second weekly session",
        "learning": "Complaint about queueing outside",
        "figures": {"partners": [{"partner_id": 3, "name": "Harbour Housing", "records": 12, "people": 9,
                                  "safeguarding": "*", "follow_ups": 10}],
                    "total": {"records": 12, "people": 9, "safeguarding": "*", "follow_ups": 10}}},
    "partnership_review.minutes_edited": {"minutes": "Agreed two weekly sessions", "learning": "Queue indoors",
                                          "version": 2},
    "partnership_review.action_added": {"review_id": 4, "description": "Find an indoor waiting space",
                                        "lead_name": "Priya Shah", "due_on": "2026-08-01"},
    "partnership_review.action_completed": {"review_id": 4, "done_on": "2026-07-30"},
    **{action: {"file_name": "march.csv", "mode": "valid_rows", "total_rows": 12, "valid_rows": 9, "invalid_rows": 2,
                "present_rows": 1, "imported_rows": 8, "refused_rows": 1}
       for action in ("import.staged", "import.started", "import.refused", "import.completed")},
    "import.rejects_downloaded": {"file_name": "march.csv", "rows": 3, "shown_at": "2026-07-01T09:00:00+00:00"},
    "api_client.created": {"client_id": "c-3xq9", "name": "Trust warehouse", "scopes": "system/Patient.read"},
    "api_client.deactivated": {"client_id": "c-3xq9"},
    "fhir.read": {"client_id": "c-3xq9", "resource_type": "ServiceRequest", "ids": ["41", "42"],
                  "search": "patient=Patient/17", "count": 2, "shown_at": "2026-07-01T09:00:00+00:00"},
    "fhir.exported": {"client_id": "c-3xq9", "job_id": "9f3a", "types": ["Patient", "Flag"],
                      "since": "2026-12-10T18:00:00+00:00", "transaction_time": "2026-12-11T17:59:00+00:00",
                      "counts": {"Patient": 1200, "Flag": 310}},
    "partner.updated": {"name": "Harbour Housing Trust", "changes": {"contact_phone": [None, "0113 496 0000"]}},
    "venue.updated": {"name": "Quayside Hostel", "changes": {"kind": ["hostel", "day_centre"]}},
    "outreach_session.cancelled": {"venue_id": 4, "starts_at": "2026-12-15T13:00:00+00:00",
                                   "reason": "Hostel closed for repairs"},
    "fhir.write": {"client_id": "c-3xq9", "resource_type": "ServiceRequest", "id": "43", "identifier": "GP-881",
                   "linked_existing_patient": True},
}


def _event(action: str, role: str = "auditor", /, **data):
    stored = Event(seq=1, occurred_at=RECORDED, actor_id=None, actor_role="booking", action=action,
                   entity_type="test", data=canonical_json(data))
    return event_view.shown(stored, "Demo Booking User", role)


def _leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [leaf for inner in value.values() for leaf in _leaves(inner)]
    if isinstance(value, list):
        return [leaf for inner in value for leaf in _leaves(inner)]
    return [str(value)] if isinstance(value, str | int | float) and not isinstance(value, bool) else []


def test_every_action_the_policy_knows_has_a_sentence():
    """The policy test keeps POLICY complete for every action the domain defines, so this keeps SENTENCES so."""
    assert set(event_view.POLICY) - set(SENTENCES) == set(), "add a sentence for these actions"


def test_a_booking_reads_as_what_was_booked_for_when_with_the_support_to_arrange():
    booked = _event(actions.APPOINTMENT_BOOKED, "booking", starts_at="2026-12-12T10:00:00+00:00",
                    format="telephone_interpreter", place=None, notes="Somali interpreter", version=3,
                    summary="Appointment booked (Telephone with interpreter)")
    assert sentence(booked) == ("Booked an appointment for 12 Dec, 10:00 (Telephone with interpreter). "
                                "Support to arrange: Somali interpreter")


def test_a_missed_appointment_and_a_concern_read_as_staff_say_them():
    missed = _event(actions.APPOINTMENT_DNA, status="dna", attendance_code="3", reason=None,
                    starts_at="2026-12-12T10:00:00+00:00", format="telephone")
    assert sentence(missed) == "Recorded a missed appointment (12 Dec, 10:00, Telephone)"
    raised = _event(actions.SAFEGUARDING_RAISED, "booking", category="self_neglect", concern="Cold home",
                    review_id=None)
    assert sentence(raised) == "Raised a safeguarding concern: Self-neglect"


@pytest.mark.parametrize(("role", "said"), [
    ("clinician", "Recorded an urgent contact: Emergency department attendance. On: 9 Dec 2026. Told by: A carer or "
                  "relative. Followed a delay on the pathway: Yes. The delay: Ten weeks waiting for triage"),
    ("booking", "Recorded an urgent contact: Emergency department attendance. On: 9 Dec 2026. Told by: A carer or "
                "relative. Followed a delay on the pathway: Yes"),
])
def test_an_urgent_contact_reads_with_its_delay_described_to_clinical_readers_alone(role, said):
    recorded = _event(actions.URGENT_CONTACT_RECORDED, role, kind="ed_attendance", occurred_on="2026-12-09",
                      source="carer", followed_delay="yes", delay_detail="Ten weeks waiting for triage")
    assert sentence(recorded) == said


def test_a_questionnaire_link_reads_as_what_was_sent_for_when_and_until_when():
    sent = _event(actions.QUESTIONNAIRE_LINK_ISSUED, "booking", instrument="experience",
                  title="Your experience of our service", time_point="discharge", easy_read=True,
                  expires_at="2026-12-25T18:00:00+00:00")
    assert sentence(sent) == ("Sent the patient a questionnaire link: Your experience of our service. "
                              "When in the referral: At discharge. Wording: easy read. Expires: 25 Dec, 18:00")


def test_times_are_uk_time_with_the_year_only_when_it_is_not_the_events_year():
    summer = _event(actions.APPOINTMENT_ATTENDED, status="attended", attendance_code="5", reason=None,
                    starts_at="2026-07-01T09:30:00+00:00", format="clinic")
    assert "(1 Jul, 10:30, Clinic)" in sentence(summer), "BST"
    next_year = _event(actions.APPOINTMENT_BOOKED, starts_at="2027-01-05T09:00:00+00:00", format="video",
                       place=None, notes=None, version=2, summary="Appointment booked (Video)")
    assert "for 5 Jan 2027, 09:00 (Video)" in sentence(next_year)


@pytest.mark.parametrize("role", ROLES)
def test_a_past_contact_says_it_was_entered_retrospectively_to_every_role_and_why_to_the_care_team(role):
    data = {"starts_at": "2026-12-10T15:00:00+00:00", "format": "telephone", "place": None, "notes": None,
            "version": 4, "summary": "Past contact recorded (Telephone)", "retrospective": True,
            "reason": "Seen at the drop-in clinic"}
    for action, extra in ((actions.APPOINTMENT_BOOKED, {}),
                          (actions.APPOINTMENT_ATTENDED, {"status": "attended", "attendance_code": "5"})):
        said = sentence(_event(action, role, **{**data, **extra}))
        assert "entered retrospectively" in said
        assert ("Seen at the drop-in clinic" in said) == (role != "manager"), (action, role)
    moved = sentence(_event(actions.APPOINTMENT_ATTENDED, role, **data, status="attended", attendance_code="5",
                            first_contact_was="2026-12-11T09:00:00+00:00"))
    assert "entered retrospectively: now the first contact, before the one of 11 Dec, 09:00" in moved


def test_codes_read_as_their_labels():
    completed = _event(actions.BARRIER_CHECK_COMPLETED, outcome="alternative_offered",
                       alternative_format="telephone_interpreter", barriers=["transport_cost", "childcare"],
                       adjustment_id=None, safeguarding="no_concern", concern_id=None)
    assert sentence(completed) == (
        "Completed the barrier check: Alternative format offered, not yet rebooked. Alternative offered: Telephone "
        "with interpreter. Barriers: Transport cost, Childcare. Safeguarding: No safeguarding concern")
    corrected = _event(actions.PATIENT_UPDATED, changes={"housing_status": ["settled", "temporary"],
                                                        "interpreter_needed": [None, True]}, version=2)
    assert sentence(corrected) == ("Corrected the patient's details. Changed: housing status Settled accommodation → "
                                   "Temporary or hostel accommodation; interpreter needed Not known → Yes")


def test_a_rebooking_the_role_may_not_read_says_only_that_it_was_rebooked():
    moved = {"from": {"starts_at": "2026-12-12T10:00:00+00:00", "format": "clinic", "place": "Room 4"},
             "to": {"starts_at": "2026-12-14T11:00:00+00:00", "format": "video", "place": None}}
    assert sentence(_event(actions.APPOINTMENT_REBOOKED, "clinician", **moved)) == (
        "Rebooked an appointment from 12 Dec, 10:00, Clinic, Room 4 to 14 Dec, 11:00, Video")
    assert sentence(_event(actions.APPOINTMENT_REBOOKED, "manager", **moved)) == "Rebooked an appointment"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(UNLINKED))
def test_the_sentence_of_an_event_naming_no_patient_holds_only_what_the_role_may_read(action, role):
    data = UNLINKED[action]
    said = sentence(_event(action, role, **data))
    withheld = {leaf for key, value in data.items() if not event_view.may_read(action, key, role)
                for leaf in _leaves(value)}
    readable = {leaf for key, value in data.items() if event_view.may_read(action, key, role)
                for leaf in _leaves(value)}
    assert [leaf for leaf in withheld - readable if leaf in said] == [], said
    assert not said.startswith(action), "a sentence, not the action code"


@pytest.mark.parametrize(("kpi", "said"), [
    ("improvement_gap", "Opened a governance item on the improvement gap for msk, 2026-11. Gap in percentage points:"
                        " 14.5. Threshold in percentage points: 10"),
    (None, "Opened a governance item on the wait gap for msk, 2026-11. Gap in days: 14.5. Threshold in days: 10"),
], ids=["improvement-gap", "recorded-before-there-were-two-kpis"])
def test_a_governance_item_reads_with_its_kpi_and_unit(kpi, said):
    data = {**UNLINKED[actions.GOVERNANCE_OPENED], "kpi": kpi, "restatement": False, "first_reported_at": None,
            "first_reported_gap_days": None}
    assert sentence(_event(actions.GOVERNANCE_OPENED, **data)).startswith(said)


def test_an_action_without_a_sentence_shows_its_code_rather_than_failing_the_page():
    assert sentence(_event("referral.teleported", note="Somewhere")) == "referral.teleported"


def test_the_unlinked_examples_carry_every_key_the_policy_decides():
    assert {action: set(data) for action, data in UNLINKED.items()} == {
        action: set(event_view.POLICY[action]) for action in UNLINKED}
    assert json.loads(canonical_json(UNLINKED))  # plain JSON, as stored


@pytest.mark.parametrize(("role", "said"), [
    ("booking", "Agreed an engagement plan with Harbour Housing Trust on 2 Jun 2026. Agreed by: Alex and Sam. "
                "Steps: The service (Nurse Demo): Register with a GP, by 9 Jun 2026"),
    ("manager", "Agreed an engagement plan with Harbour Housing Trust on 2 Jun 2026"),
])
def test_an_engagement_plan_reads_with_its_steps_to_the_care_team_alone(role, said):
    agreed = _event(actions.ENGAGEMENT_PLAN_AGREED, role, partner_id=3, partner="Harbour Housing Trust",
                    agreed_on="2026-06-02", agreed_by="Alex and Sam",
                    steps=[{"owner": "service", "owner_name": "Nurse Demo", "action": "Register with a GP",
                            "due_on": "2026-06-09"}])
    assert sentence(agreed) == said


@pytest.mark.parametrize(("action", "data", "said"), [
    (actions.MESSAGE_DELIVERED, {"kind": "appointment_reminder", "channel": "letter", "template": "letter"},
     "Appointment reminder by letter delivered"),
    (actions.MESSAGE_DELIVERED, {"kind": "rebooking_offer", "channel": "letter", "template": "letter_easy_read",
                                 "addressed_to": "carer"},
     "Rebooking offer by easy read letter delivered to the carer"),
    (actions.MESSAGE_DELIVERY_FAILED, {"kind": "appointment_confirmation", "channel": "sms", "template": "sms",
                                       "failure": "permanent"},
     "Appointment confirmation by text message could not be delivered (permanent failure)"),
    (actions.MESSAGE_DELIVERY_FAILED, {"channel": "sms", "failure": "permanent"},
     "Message by text message could not be delivered (permanent failure)"),
], ids=["letter", "easy-read-to-a-carer", "text", "kind-not-recorded"])
def test_a_messages_outcome_reads_as_what_was_sent_and_what_became_of_it(action, data, said):
    assert sentence(_event(action, "booking", **{"addressed_to": "patient", **data})) == said
@pytest.mark.parametrize(("role", "said"), [
    ("booking", "Recorded the patient's contact details. Changed: mobile number none → 07700 900123; address "
                "1 Example Street, Leeds → none"),
    ("manager", "Recorded the patient's contact details. Changed: mobile number, address"),
])
def test_contact_details_read_as_what_changed_their_values_to_the_care_team_alone(role, said):
    recorded = _event(actions.PATIENT_CONTACT_DETAILS_RECORDED, role, version=2, changed=["mobile", "address_lines"],
                      changes={"mobile": [None, "07700 900123"], "address_lines": [["1 Example Street", "Leeds"], []]})
    assert sentence(recorded) == said
