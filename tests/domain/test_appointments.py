"""Appointments: booking, double submits, rebooking, outcomes and first contact."""
from datetime import UTC, datetime, timedelta

import pytest

from inclusive_access.domain import actions, appointments, discharge, dna, event_chain, reviews, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.clocks import LONDON
from inclusive_access.domain.errors import (
    DuplicateSubmission,
    InvalidInput,
    NotPermitted,
    StaleRecord,
    TransitionNotAllowed,
)
from inclusive_access.models import Appointment, Referral, ReferralFact
from tests.event_log import actions_since, count, data_of, head, nothing_written
from tests.factories import SCRIPT, SLOT, TRIAGED, book, make_referral, make_user, staff

#: 19:30 on Wednesday 10 June 2026 in London (BST): an evening clinic
EVENING = datetime(2026, 6, 10, 19, 30, tzinfo=LONDON)


# --- Booking -------------------------------------------------------------------------------------

def test_book_an_evening_appointment(db_session, booker, referral):
    version = referral.version
    before = head(db_session)
    appointment = book(db_session, booker, referral, starts_at=EVENING, fmt="telephone_interpreter",
                       notes="Polish interpreter", duration=45, now=TRIAGED)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_BOOKED]
    db_session.expire_all()
    stored = db_session.get(Appointment, appointment.id)
    assert stored.starts_at == datetime(2026, 6, 10, 18, 30, tzinfo=UTC)
    assert stored.starts_at.astimezone(LONDON).hour == 19
    assert (stored.format, stored.place, stored.notes, stored.duration_minutes) == (
        "telephone_interpreter", None, "Polish interpreter", 45)
    assert (stored.status, stored.first_contact, stored.version) == ("booked", False, 1)
    assert (stored.booked_by, stored.booked_at) == (booker.user_id, TRIAGED)
    assert referral.state == "accepted"
    assert referral.version == version + 1  # a booking is a change stale forms must notice
    data = data_of(db_session, actions.APPOINTMENT_BOOKED)[0]
    assert data["starts_at"] == "2026-06-10T18:30:00+00:00"
    assert data["format"] == "telephone_interpreter"
    assert data["version"] == referral.version


def test_book_a_received_referral_is_not_allowed(db_session, booker):
    row = make_referral(db_session, received_at="2026-06-01 09:00")
    before = head(db_session)
    with pytest.raises(TransitionNotAllowed):
        book(db_session, booker, row, SLOT, now=TRIAGED)
    assert actions_since(db_session, before) == []
    assert count(db_session, Appointment) == 0


@pytest.mark.parametrize("state", ["awaiting_clarification", "rejection_review", "rejected"])
def test_book_in_other_states_is_not_allowed(db_session, booker, state):
    row = make_referral(db_session, received_at="2026-06-01 09:00", housing_status="temporary")
    senior = actor_for(make_user(db_session, role="senior"))
    if state == "awaiting_clarification":
        triage.triage_referral(db_session, booker, row, row.version, SCRIPT, [], "clarify", now=TRIAGED,
                               clarify={"question": "Q?", "channel": "email", "contact_name": "GP"})
    else:
        triage.triage_referral(db_session, senior, row, row.version, SCRIPT, [], "reject", now=TRIAGED,
                               reason_code="other", reason_text="No")
        if state == "rejected":
            other = actor_for(make_user(db_session, role="senior"))  # four eyes: not the proposer
            discharge.decide_review(db_session, other, reviews.pending_review(db_session, row.id), row.version,
                                    discharge.Decision("approved", "Agreed"), now=TRIAGED)
    assert row.state == state
    with pytest.raises(TransitionNotAllowed):
        book(db_session, senior, row, SLOT, now=TRIAGED)
    assert count(db_session, Appointment) == 0


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_book_needs_a_permitted_role(db_session, referral, role):
    actor = staff(db_session, role)
    before = head(db_session)
    with pytest.raises(NotPermitted):
        book(db_session, actor, referral, SLOT, now=TRIAGED)
    assert actions_since(db_session, before) == []
    assert count(db_session, Appointment) == 0


@pytest.mark.parametrize("role", ["clinician", "senior"])
def test_clinicians_and_seniors_can_book(db_session, referral, role):
    actor = staff(db_session, role)
    assert book(db_session, actor, referral, SLOT, now=TRIAGED).booked_by == actor.user_id


@pytest.mark.parametrize(("fmt", "place", "duration", "fields"), [
    ("clinic", None, 30, {"place"}),
    ("clinic", "", 30, {"place"}),
    ("community_venue", None, 30, {"place"}),
    ("evening", None, 30, {"format"}),
    ("carrier_pigeon", "Loft", 30, {"format"}),
    ("telephone", None, 4, {"duration_minutes"}),
    ("telephone", None, 241, {"duration_minutes"}),
])
def test_book_validation(db_session, booker, referral, fmt, place, duration, fields):
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        book(db_session, booker, referral, SLOT, fmt=fmt, place=place, duration=duration, now=TRIAGED)
    assert set(exc.value.errors) == fields
    assert count(db_session, Appointment) == 0


def test_book_without_a_time(db_session, booker, referral):
    with pytest.raises(InvalidInput) as exc:
        book(db_session, booker, referral, starts_at=None, now=TRIAGED)
    assert set(exc.value.errors) == {"starts_at"}


@pytest.mark.parametrize(("fmt", "place"), [("clinic", "Room 3, Hillside Health Centre"),
                                            ("community_venue", "St Mark's Community Hall"),
                                            ("video", None), ("home_visit", None), ("telephone", None)])
def test_venues_need_a_place_and_remote_formats_do_not(db_session, booker, referral, fmt, place):
    appointment = book(db_session, booker, referral, SLOT, fmt=fmt, place=place, now=TRIAGED)
    assert (appointment.format, appointment.place) == (fmt, place)


def test_stale_referral_version_is_refused(db_session, booker, referral):
    seen = referral.version
    book(db_session, booker, referral, SLOT, now=TRIAGED)
    with pytest.raises(StaleRecord) as stale:
        appointments.book_appointment(db_session, booker, referral, seen, SLOT + timedelta(days=1), "telephone",
                                      None, now=TRIAGED)
    assert actions.APPOINTMENT_BOOKED in stale.value.changes
    assert count(db_session, Appointment) == 1


def test_a_double_submit_creates_one_appointment(db_session, booker, referral):
    seen = referral.version
    before = head(db_session)
    first = appointments.book_appointment(db_session, booker, referral, seen, SLOT, "telephone", None,
                                          submission_token="tok-appt-1", now=TRIAGED)
    db_session.commit()
    # The second click carries the same token and the version the form was opened at.
    with pytest.raises(DuplicateSubmission) as dup:
        appointments.book_appointment(db_session, booker, referral, seen, SLOT, "telephone", None,
                                      submission_token="tok-appt-1", now=TRIAGED)
    assert dup.value.existing_id == first.id
    db_session.rollback()
    assert count(db_session, Appointment) == 1
    assert actions_since(db_session, before) == [actions.APPOINTMENT_BOOKED]


# --- Rebooking -----------------------------------------------------------------------------------

def test_rebook_moves_the_appointment_and_records_from_and_to(db_session, booker, referral):
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    db_session.commit()
    before = head(db_session)
    appointments.rebook_appointment(db_session, booker, appointment, 1, EVENING, "clinic", "Room 3",
                                    notes="Evening clinic", now=TRIAGED + timedelta(days=1))
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_REBOOKED]
    db_session.expire_all()
    stored = db_session.get(Appointment, appointment.id)
    assert stored.starts_at == datetime(2026, 6, 10, 18, 30, tzinfo=UTC)
    assert (stored.format, stored.place, stored.notes, stored.status) == ("clinic", "Room 3", "Evening clinic",
                                                                          "booked")
    assert stored.version == 2
    assert count(db_session, Appointment) == 1
    data = data_of(db_session, actions.APPOINTMENT_REBOOKED)[0]
    assert data["from"] == {"starts_at": "2026-06-08T09:00:00+00:00", "format": "telephone", "place": None}
    assert data["to"] == {"starts_at": "2026-06-10T18:30:00+00:00", "format": "clinic", "place": "Room 3"}


def test_rebook_with_a_stale_appointment_version(db_session, booker, clinician, referral):
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    appointments.rebook_appointment(db_session, booker, appointment, 1, SLOT + timedelta(days=1), "telephone", None,
                                    now=TRIAGED)
    db_session.commit()
    before = head(db_session)
    with pytest.raises(StaleRecord):
        appointments.rebook_appointment(db_session, booker, appointment, 1, SLOT + timedelta(days=2), "video",
                                        None, now=TRIAGED)
    with pytest.raises(StaleRecord):
        appointments.record_outcome(db_session, clinician, appointment, 1, "cancelled_patient", "Moved away",
                                    now=TRIAGED)
    assert actions_since(db_session, before) == []
    assert appointment.starts_at == SLOT + timedelta(days=1)


def test_rebook_validates_like_booking(db_session, booker, referral):
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    with pytest.raises(InvalidInput) as exc:
        appointments.rebook_appointment(db_session, booker, appointment, 1, EVENING, "clinic", None, now=TRIAGED)
    assert set(exc.value.errors) == {"place"}
    auditor = actor_for(make_user(db_session, role="auditor"))
    with pytest.raises(NotPermitted):
        appointments.rebook_appointment(db_session, auditor, appointment, 1, EVENING, "video", None, now=TRIAGED)


def test_an_appointment_with_an_outcome_cannot_be_rebooked(db_session, booker, clinician, referral):
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    appointments.record_outcome(db_session, clinician, appointment, 1, "cancelled_service", "Clinician ill",
                                now=TRIAGED)
    with pytest.raises(TransitionNotAllowed):
        appointments.rebook_appointment(db_session, booker, appointment, appointment.version, EVENING, "video",
                                        None, now=TRIAGED)


# --- Outcomes and first contact ------------------------------------------------------------------

def test_first_attendance_is_first_contact(db_session, booker, clinician, referral):
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    db_session.commit()
    before = head(db_session)
    recorded = SLOT + timedelta(minutes=40)
    appointments.record_outcome(db_session, clinician, appointment, 1, "attended", now=recorded)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_ATTENDED, actions.FIRST_CONTACT]
    db_session.expire_all()
    stored = db_session.get(Appointment, appointment.id)
    assert (stored.status, stored.first_contact, stored.outcome_recorded_at) == ("attended", True, recorded)
    assert stored.cancel_reason is None
    row = db_session.get(Referral, referral.id)
    assert row.first_contact_at == SLOT
    assert row.state == "in_treatment"
    attended = data_of(db_session, actions.APPOINTMENT_ATTENDED)[0]
    assert (attended["status"], attended["attendance_code"]) == ("attended", "5")
    first = data_of(db_session, actions.FIRST_CONTACT)[0]
    assert (first["from"], first["to"], first["appointment_id"]) == ("accepted", "in_treatment", appointment.id)
    assert first["first_contact_at"] == "2026-06-08T09:00:00+00:00"
    assert event_chain.verify(db_session).ok


def test_a_later_attendance_does_not_change_first_contact(db_session, booker, clinician, referral):
    first = book(db_session, booker, referral, SLOT, now=TRIAGED)
    appointments.record_outcome(db_session, clinician, first, 1, "attended", now=SLOT + timedelta(hours=1))
    db_session.commit()
    assert referral.state == "in_treatment"
    second = book(db_session, booker, referral, SLOT + timedelta(days=7), now=TRIAGED)  # in_treatment may book
    db_session.commit()
    before = head(db_session)
    appointments.record_outcome(db_session, clinician, second, 1, "attended", now=SLOT + timedelta(days=7, hours=1))
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_ATTENDED]
    db_session.expire_all()
    assert db_session.get(Referral, referral.id).first_contact_at == SLOT
    assert db_session.get(Referral, referral.id).state == "in_treatment"
    assert db_session.get(Appointment, second.id).first_contact is False
    assert db_session.get(Appointment, first.id).first_contact is True


def test_first_contact_is_the_first_attended_not_the_first_booked(db_session, booker, clinician, referral):
    missed = book(db_session, booker, referral, SLOT, now=TRIAGED)
    appointments.record_outcome(db_session, clinician, missed, 1, "dna", now=SLOT + timedelta(hours=1))
    # The missed appointment's barrier check records its outcome before the referral is booked again.
    check = dna.open_check_for(db_session, referral.id)
    dna.complete_barrier_check(db_session, clinician, check, check.version, "rebooked", now=SLOT + timedelta(hours=2))
    kept = book(db_session, booker, referral, starts_at=SLOT + timedelta(days=3), fmt="home_visit", now=TRIAGED)
    assert check.rebooked_appointment_id == kept.id
    appointments.record_outcome(db_session, clinician, kept, 1, "attended", now=SLOT + timedelta(days=3, hours=1))
    assert referral.first_contact_at == SLOT + timedelta(days=3)
    assert (missed.first_contact, kept.first_contact) == (False, True)


def test_did_not_attend(db_session, booker, clinician, referral):
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    before = head(db_session)
    appointments.record_outcome(db_session, clinician, appointment, 1, "dna", now=SLOT + timedelta(minutes=20))
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_DNA, actions.BARRIER_CHECK_OPENED]
    assert appointment.status == "dna"
    assert appointment.first_contact is False
    data = data_of(db_session, actions.APPOINTMENT_DNA)[0]
    assert (data["status"], data["attendance_code"]) == ("dna", "3")
    assert (referral.state, referral.first_contact_at) == ("accepted", None)


#: DOMAIN.md's attendance codes of an appointment that took place: (outcome, code, seen, the event it records)
TOOK_PLACE = [("attended", "5", True, actions.APPOINTMENT_ATTENDED),
              ("attended_late", "6", True, actions.APPOINTMENT_ATTENDED),
              ("late_not_seen", "7", False, actions.APPOINTMENT_LATE_NOT_SEEN),
              ("dna", "3", False, actions.APPOINTMENT_DNA)]


@pytest.mark.parametrize(("outcome", "code", "seen", "action"), TOOK_PLACE)
def test_each_attendance_code_is_recorded_and_only_being_seen_is_a_contact(db_session, booker, clinician, referral,
                                                                           outcome, code, seen, action):
    """Seen on time or late is first contact; arriving too late to be seen is not, nor is it a DNA (no barrier
    check); the facts count it where DOMAIN.md's DNA rate does."""
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    before = head(db_session)
    appointments.record_outcome(db_session, clinician, appointment, 1, outcome, now=SLOT + timedelta(minutes=40))
    db_session.commit()
    recorded = actions_since(db_session, before)
    assert recorded[0] == action
    assert (actions.FIRST_CONTACT in recorded, actions.BARRIER_CHECK_OPENED in recorded) == (seen, outcome == "dna")
    assert (data_of(db_session, action)[0]["status"], data_of(db_session, action)[0]["attendance_code"]) == (
        outcome, code)
    assert (appointment.status, appointment.first_contact, referral.first_contact_at is not None) == (
        outcome, seen, seen)
    fact = db_session.get(ReferralFact, referral.id)
    assert (fact.attended, fact.arrived_late_not_seen, fact.dnas) == (
        int(seen), int(outcome == "late_not_seen"), int(outcome == "dna"))


def test_a_past_contact_can_have_any_code_of_an_appointment_that_took_place():
    assert {code for outcome, code in appointments.ATTENDANCE_CODES.items() if outcome in appointments.PAST_OUTCOMES
            } == {code for _outcome, code, _seen, _action in TOOK_PLACE}


@pytest.mark.parametrize(("outcome", "code"), [("cancelled_patient", "2"), ("cancelled_service", "4")])
def test_cancellation_needs_a_reason(db_session, booker, clinician, referral, outcome, code):
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    before = head(db_session)
    for reason in (None, ""):
        with pytest.raises(InvalidInput) as exc:
            appointments.record_outcome(db_session, clinician, appointment, 1, outcome, reason, now=TRIAGED)
        assert "reason" in exc.value.errors
    assert actions_since(db_session, before) == []
    assert appointment.status == "booked"
    # Cancelling ahead of the start time is allowed, unlike recording attendance.
    appointments.record_outcome(db_session, clinician, appointment, 1, outcome, "Carer unavailable", now=TRIAGED)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_CANCELLED]
    assert (appointment.status, appointment.cancel_reason) == (outcome, "Carer unavailable")
    data = data_of(db_session, actions.APPOINTMENT_CANCELLED)[0]
    assert (data["attendance_code"], data["reason"]) == (code, "Carer unavailable")
    assert (referral.state, referral.first_contact_at) == ("accepted", None)


@pytest.mark.parametrize("outcome", sorted(appointments.TOOK_PLACE))
def test_attendance_cannot_be_recorded_before_the_start(db_session, booker, clinician, referral, outcome):
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    before = head(db_session)
    with pytest.raises(InvalidInput) as exc:
        appointments.record_outcome(db_session, clinician, appointment, 1, outcome, now=SLOT - timedelta(minutes=1))
    assert "outcome" in exc.value.errors
    assert actions_since(db_session, before) == []
    assert appointment.status == "booked"
    # at the start time itself it can
    appointments.record_outcome(db_session, clinician, appointment, 1, outcome, now=SLOT)
    assert appointment.status == outcome


def test_an_outcome_is_recorded_once(db_session, booker, clinician, referral):
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    appointments.record_outcome(db_session, clinician, appointment, 1, "attended", now=SLOT + timedelta(hours=1))
    db_session.commit()
    before = head(db_session)
    for outcome, reason in (("attended", None), ("dna", None), ("cancelled_patient", "Oops")):
        with pytest.raises(TransitionNotAllowed):
            appointments.record_outcome(db_session, clinician, appointment, appointment.version, outcome, reason,
                                        now=SLOT + timedelta(hours=2))
    assert actions_since(db_session, before) == []
    assert appointment.status == "attended"


def test_outcome_validation(db_session, booker, clinician, referral):
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    with pytest.raises(InvalidInput) as exc:
        appointments.record_outcome(db_session, clinician, appointment, 1, "vanished", now=SLOT + timedelta(hours=1))
    assert "outcome" in exc.value.errors
    assert appointment.status == "booked"


def test_appointments_for_lists_by_start_time(db_session, booker, referral):
    later = book(db_session, booker, referral, starts_at=SLOT + timedelta(days=2), now=TRIAGED)
    sooner = book(db_session, booker, referral, starts_at=SLOT, now=TRIAGED)
    assert [a.id for a in appointments.appointments_for(db_session, referral)] == [sooner.id, later.id]


# --- Times: never before the referral arrived; a contact that already happened is recorded as such ---------------

RECEIVED = datetime(2026, 6, 1, 9, 0, tzinfo=LONDON)  # the fixture referral, received in UK time


def test_an_appointment_cannot_be_booked_before_the_referral_arrived(db_session, booker, referral):
    before = head(db_session)
    with pytest.raises(InvalidInput) as exc:
        book(db_session, booker, referral, starts_at=RECEIVED - timedelta(days=1), now=RECEIVED - timedelta(days=2))
    assert "before the referral was received" in exc.value.errors["starts_at"]
    db_session.rollback()
    appointment = book(db_session, booker, referral, SLOT, now=TRIAGED)
    with pytest.raises(InvalidInput) as exc:
        appointments.rebook_appointment(db_session, booker, appointment, 1, RECEIVED - timedelta(minutes=1),
                                        "telephone", None, now=RECEIVED - timedelta(days=2))
    assert "before the referral was received" in exc.value.errors["starts_at"]
    assert actions_since(db_session, before) == [actions.APPOINTMENT_BOOKED]
    assert appointment.starts_at == SLOT


def test_an_appointment_cannot_be_booked_in_the_past(db_session, booker, referral):
    later = SLOT + timedelta(days=1)
    with pytest.raises(InvalidInput) as exc:
        book(db_session, booker, referral, starts_at=SLOT, now=later)
    assert "record a past contact" in exc.value.errors["starts_at"]
    appointment = book(db_session, booker, referral, starts_at=later + timedelta(days=1), now=later)
    with pytest.raises(InvalidInput) as exc:
        appointments.rebook_appointment(db_session, booker, appointment, 1, SLOT, "telephone", None, now=later)
    assert "record a past contact" in exc.value.errors["starts_at"]
    # a time in the minute the form is sent is not in the past
    assert book(db_session, booker, referral, starts_at=later.replace(second=0), now=later + timedelta(seconds=40))
    assert count(db_session, Appointment) == 2


def record_past(session, actor, referral, starts_at=SLOT, outcome="attended", reason="Seen at the drop-in clinic",
                **kwargs) -> Appointment:
    return appointments.record_past_contact(session, actor, referral, referral.version, starts_at, "clinic",
                                            "Drop-in clinic", outcome, reason,
                                            now=kwargs.pop("now", SLOT + timedelta(days=2)), **kwargs)


def test_a_clinician_records_a_past_contact_with_a_reason(db_session, clinician, referral):
    before = head(db_session)
    appointment = record_past(db_session, clinician, referral)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_BOOKED, actions.APPOINTMENT_ATTENDED,
                                                 actions.FIRST_CONTACT]
    assert (appointment.status, appointment.first_contact, appointment.starts_at) == ("attended", True, SLOT)
    assert (referral.state, referral.first_contact_at) == ("in_treatment", SLOT)
    for action in (actions.APPOINTMENT_BOOKED, actions.APPOINTMENT_ATTENDED):
        data = data_of(db_session, action)[0]
        assert (data["retrospective"], data["reason"]) == (True, "Seen at the drop-in clinic")
    assert "Past contact recorded" in data_of(db_session, actions.APPOINTMENT_BOOKED)[0]["summary"]
    # the wait is counted from receipt to the contact itself, not to when it was written down
    assert (referral.first_contact_at - referral.received_at).days == 7
    assert event_chain.verify(db_session).ok


def test_a_past_missed_appointment_opens_a_barrier_check(db_session, clinician, referral):
    record_past(db_session, clinician, referral, outcome="dna", reason="Missed while the system was down")
    assert dna.open_check_for(db_session, referral.id) is not None
    assert (referral.state, referral.first_contact_at) == ("accepted", None)


@pytest.mark.parametrize(("changes", "field"), [
    ({"reason": None}, "reason"),
    ({"reason": ""}, "reason"),
    ({"starts_at": RECEIVED - timedelta(hours=1)}, "starts_at"),
    ({"starts_at": SLOT + timedelta(days=3)}, "starts_at"),  # in the future: book it instead
    ({"outcome": "cancelled_patient"}, "outcome"),
])
def test_a_past_contact_needs_a_reason_and_a_time_between_receipt_and_now(db_session, clinician, referral,
                                                                          changes, field):
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        record_past(db_session, clinician, referral, **changes)
    assert field in exc.value.errors
    assert count(db_session, Appointment) == 0


def test_only_clinicians_record_a_past_contact(db_session, booker, referral):
    with pytest.raises(NotPermitted):
        record_past(db_session, booker, referral)
    assert count(db_session, Appointment) == 0


def test_a_past_contact_before_the_first_contact_becomes_the_first_contact(db_session, clinician, referral):
    """DOMAIN.md: first contact is the first attended appointment, whenever it was written down."""
    later = record_past(db_session, clinician, referral, starts_at=SLOT + timedelta(days=1))
    before = head(db_session)
    earlier = record_past(db_session, clinician, referral, starts_at=SLOT)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_BOOKED, actions.APPOINTMENT_ATTENDED]
    assert (earlier.first_contact, later.first_contact) == (True, False)
    assert (referral.state, referral.first_contact_at) == ("in_treatment", SLOT)
    assert data_of(db_session, actions.APPOINTMENT_ATTENDED)[-1]["first_contact_was"] == (
        SLOT + timedelta(days=1)).isoformat()
    fact = db_session.get(ReferralFact, referral.id)
    assert fact.first_contact_at.replace(tzinfo=UTC) == SLOT
    assert event_chain.verify(db_session).ok
