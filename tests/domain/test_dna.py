"""Missed appointments: the barrier check, the rebooking block and override, senior review, was not brought."""
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from inclusive_access.domain import actions, adjustments, appointments, dna, event_chain, reviews, safeguarding
from inclusive_access.domain.clocks import ClockSettings
from inclusive_access.domain.errors import BarrierCheckOpen, InvalidInput, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.policy import Policy
from inclusive_access.models import (
    Appointment,
    BarrierCheck,
    BarrierContactAttempt,
    Event,
    Patient,
    ReasonableAdjustment,
    Referral,
    SafeguardingConcern,
)
from tests.event_log import actions_since, count, data_of, head, nothing_written
from tests.factories import SLOT, TRIAGED, accepted, attempt, book, complete, miss

# SLOT (10:00 BST on Monday 8 June 2026) is the appointment that is missed
#: when the DNA is recorded (the barrier check opens then; the 14-day clock runs from SLOT)
MISSED = SLOT + timedelta(hours=1)
LEFT_BARRIERS = "Record the barriers found (or none)"
LEFT_ATTEMPT = "Log at least one contact attempt"
LEFT_SAFEGUARDING = "Answer the safeguarding question (was not brought)"
LEFT_OUTCOME = "Record the outcome"
NEGLECT = safeguarding.ConcernDetails("self_neglect", "Mother says he has not left his bed for a week")


# --- Fixtures ------------------------------------------------------------------------------------

@pytest.fixture
def check(db_session, clinician, referral) -> BarrierCheck:
    found = miss(db_session, clinician, referral)
    db_session.commit()
    return found


# --- A DNA opens a barrier check -----------------------------------------------------------------

def test_a_dna_opens_exactly_one_barrier_check(db_session, clinician, referral):
    appointment = book(db_session, clinician, referral, SLOT, now=TRIAGED)
    db_session.commit()
    before = head(db_session)
    appointments.record_outcome(db_session, clinician, appointment, 1, "dna", now=MISSED)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_DNA, actions.BARRIER_CHECK_OPENED]
    db_session.expire_all()
    check = db_session.scalars(select(BarrierCheck)).one()
    assert (check.referral_id, check.appointment_id, check.opened_at, check.missed_at) == (
        referral.id, appointment.id, MISSED, SLOT)
    # None until recorded: "no barriers found" ([]) is an answer, not a blank.
    assert (check.was_not_brought, check.barriers, check.safeguarding, check.outcome) == (False, None, None, None)
    assert (check.completed_at, check.rebooked_appointment_id, check.adjustment_id, check.version) == (
        None, None, None, 1)
    assert dna.open_check_for(db_session, referral.id).id == check.id
    assert data_of(db_session, actions.BARRIER_CHECK_OPENED) == [
        {"appointment_id": appointment.id, "was_not_brought": False}]
    event = db_session.scalars(select(Event).where(Event.action == actions.BARRIER_CHECK_OPENED)).one()
    assert (event.entity_type, event.entity_id, event.patient_id, event.referral_id, event.actor_id) == (
        "barrier_check", check.id, referral.patient_id, referral.id, clinician.user_id)
    stored = db_session.get(Referral, referral.id)
    assert stored.state == "accepted"  # a missed appointment is never a discharge
    assert (stored.senior_review_reason, stored.senior_review_flagged_at) == (None, None)
    assert {a: c.id for a, c in dna.checks_by_appointment(db_session, referral.id).items()} == {
        appointment.id: check.id}
    assert event_chain.verify(db_session).ok


@pytest.mark.parametrize(("outcome", "reason"), [("attended", None), ("cancelled_patient", "Moved"),
                                                 ("cancelled_service", "Clinician ill")])
def test_other_outcomes_open_no_check(db_session, clinician, referral, outcome, reason):
    appointment = book(db_session, clinician, referral, SLOT, now=TRIAGED)
    before = head(db_session)
    appointments.record_outcome(db_session, clinician, appointment, 1, outcome, reason, now=MISSED)
    assert actions.BARRIER_CHECK_OPENED not in actions_since(db_session, before)
    assert count(db_session, BarrierCheck) == 0
    assert dna.open_check_for(db_session, referral.id) is None
    assert book(db_session, clinician, referral, starts_at=SLOT + timedelta(days=7), now=TRIAGED).status == "booked"


# --- Rebooking waits for the check; a clinician may override -------------------------------------

def test_rebooking_is_blocked_while_the_check_is_open(db_session, booker, referral, check):
    before = head(db_session)
    with pytest.raises(BarrierCheckOpen) as blocked:
        book(db_session, booker, referral, starts_at=SLOT + timedelta(days=3), now=MISSED + timedelta(hours=1))
    assert blocked.value.check_id == check.id
    assert isinstance(blocked.value, TransitionNotAllowed)
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, Appointment) == 1


def test_the_booking_role_cannot_override(db_session, booker, referral, check):
    before = head(db_session)
    with pytest.raises(BarrierCheckOpen):
        book(db_session, booker, referral, starts_at=SLOT + timedelta(days=1), now=MISSED,
             override_reason="Urgent: wound review")
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, Appointment) == 1
    assert dna.open_check_for(db_session, referral.id).id == check.id


@pytest.mark.parametrize("role", ["clinician", "senior"])
def test_a_clinician_or_senior_overrides_with_a_reason(db_session, referral, check, role, actor):
    before = head(db_session)
    for reason in (None, ""):
        with pytest.raises(InvalidInput) as exc:
            book(db_session, actor, referral, starts_at=SLOT + timedelta(days=1), now=MISSED,
                 override_reason=reason)
        assert set(exc.value.errors) == {"override_reason"}
        db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, Appointment) == 1

    urgent = book(db_session, actor, referral, starts_at=SLOT + timedelta(days=1), now=MISSED,
                  override_reason="Urgent: leg ulcer needs review this week")
    db_session.commit()
    assert actions_since(db_session, before) == [actions.BARRIER_CHECK_OVERRIDDEN, actions.APPOINTMENT_BOOKED]
    assert data_of(db_session, actions.BARRIER_CHECK_OVERRIDDEN) == [
        {"reason": "Urgent: leg ulcer needs review this week"}]
    event = db_session.scalars(select(Event).where(Event.action == actions.BARRIER_CHECK_OVERRIDDEN)).one()
    assert (event.entity_type, event.entity_id, event.actor_id, event.actor_role, event.referral_id) == (
        "barrier_check", check.id, actor.user_id, role, referral.id)
    assert urgent.booked_by == actor.user_id
    db_session.expire_all()
    # The override books; it does not complete the check, which still has to record its outcome.
    stored = db_session.get(BarrierCheck, check.id)
    assert (stored.completed_at, stored.rebooked_appointment_id) == (None, None)
    assert dna.open_check_for(db_session, referral.id).id == check.id
    assert event_chain.verify(db_session).ok


def test_after_completion_booking_works_and_links_the_rebooking(db_session, clinician, referral, check):
    attempt(db_session, clinician, check, reached=True)
    complete(db_session, clinician, check, "rebooked", at=MISSED + timedelta(days=1))
    db_session.commit()
    assert dna.open_check_for(db_session, referral.id) is None
    assert dna.latest_completed_check(db_session, referral.id).id == check.id
    before = head(db_session)
    rebooked = book(db_session, clinician, referral, starts_at=SLOT + timedelta(days=9),
                    now=MISSED + timedelta(days=2))
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_BOOKED]
    db_session.expire_all()
    assert db_session.get(BarrierCheck, check.id).rebooked_appointment_id == rebooked.id
    assert dna.latest_completed_check(db_session, referral.id) is None
    # A later booking does not move the link: the first rebooking is the one measured.
    book(db_session, clinician, referral, starts_at=SLOT + timedelta(days=20), now=MISSED + timedelta(days=3))
    assert db_session.get(BarrierCheck, check.id).rebooked_appointment_id == rebooked.id


def test_link_rebooking_keeps_the_first(db_session, clinician, referral, check):
    first, second = Appointment(id=101), Appointment(id=102)
    dna.link_rebooking(check, first)
    dna.link_rebooking(check, second)
    assert check.rebooked_appointment_id == 101


# --- Barriers and contact attempts ---------------------------------------------------------------

def test_save_barriers(db_session, clinician, referral, check):
    before = head(db_session)
    dna.save_barriers(db_session, clinician, check, 1, ["work", "childcare", "other", "childcare"],
                      "Bus pass expired", None, now=MISSED + timedelta(hours=1))
    db_session.commit()
    assert actions_since(db_session, before) == [actions.BARRIER_CHECK_UPDATED]
    db_session.expire_all()
    stored = db_session.get(BarrierCheck, check.id)
    assert (stored.barriers, stored.other_barrier, stored.safeguarding, stored.version) == (
        ["childcare", "other", "work"], "Bus pass expired", None, 2)
    assert data_of(db_session, actions.BARRIER_CHECK_UPDATED) == [
        {"barriers": ["childcare", "other", "work"], "other": "Bus pass expired", "safeguarding": None,
         "concern_id": None}]
    # Saving again replaces the list; the "other" text goes with the "other" tick.
    dna.save_barriers(db_session, clinician, stored, 2, ["transport_cost"], "Stale text", None)
    assert (stored.barriers, stored.other_barrier) == (["transport_cost"], None)


@pytest.mark.parametrize(("barriers", "other", "safeguarding", "fields"), [
    (["childcare", "weather"], None, None, {"barriers"}),
    (["other"], None, None, {"other_barrier"}),
    (["other"], "", None, {"other_barrier"}),
    (["flood", "other"], None, None, {"barriers", "other_barrier"}),
    (["work"], None, "not_sure", {"safeguarding"}),
])
def test_save_barriers_validation(db_session, clinician, referral, check, barriers, other, safeguarding, fields):
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        dna.save_barriers(db_session, clinician, check, 1, barriers, other, safeguarding)
    assert set(exc.value.errors) == fields
    stored = db_session.get(BarrierCheck, check.id)
    assert (stored.barriers, stored.version) == (None, 1)


def test_log_attempt(db_session, clinician, referral, check):
    before = head(db_session)
    at = MISSED + timedelta(hours=3)
    logged = dna.log_attempt(db_session, clinician, check, "text", False, "Left a message", now=at)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.BARRIER_CHECK_ATTEMPTED]
    db_session.expire_all()
    stored = db_session.get(BarrierContactAttempt, logged.id)
    assert (stored.barrier_check_id, stored.attempted_at, stored.method, stored.reached, stored.note,
            stored.recorded_by) == (check.id, at, "text", False, "Left a message", clinician.user_id)
    assert data_of(db_session, actions.BARRIER_CHECK_ATTEMPTED) == [
        {"method": "text", "reached": False, "note": "Left a message"}]
    assert [a.id for a in db_session.get(BarrierCheck, check.id).attempts] == [logged.id]
    assert db_session.get(Referral, referral.id).senior_review_flagged_at is None


@pytest.mark.parametrize("method", ["", "carrier_pigeon", None])
def test_log_attempt_needs_a_known_method(db_session, clinician, referral, check, method):
    with pytest.raises(InvalidInput) as exc:
        dna.log_attempt(db_session, clinician, check, method, False, None, now=MISSED)
    assert set(exc.value.errors) == {"method"}
    assert count(db_session, BarrierContactAttempt) == 0


# --- Senior review: three unreached attempts, or a second DNA ------------------------------------

def test_three_unreached_attempts_flag_senior_review_once(db_session, clinician, referral, check):
    for hours in (1, 2):
        attempt(db_session, clinician, check, at=MISSED + timedelta(hours=hours))
    db_session.commit()
    assert db_session.get(Referral, referral.id).senior_review_flagged_at is None
    before = head(db_session)
    third = MISSED + timedelta(days=1)
    attempt(db_session, clinician, check, at=third)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.BARRIER_CHECK_ATTEMPTED, actions.SENIOR_REVIEW_FLAGGED]
    db_session.expire_all()
    stored = db_session.get(Referral, referral.id)
    assert (stored.senior_review_reason, stored.senior_review_flagged_at) == (
        "Not reached after 3 contact attempts", third)
    review = reviews.pending_review(db_session, referral.id)
    assert (review.kind, review.reason_text, review.opened_at) == ("attendance", "Not reached after 3 contact attempts",
                                                                   third)
    assert data_of(db_session, actions.SENIOR_REVIEW_FLAGGED) == [{"reason": "Not reached after 3 contact attempts",
                                                                  "review_id": review.id}]
    flag = db_session.scalars(select(Event).where(Event.action == actions.SENIOR_REVIEW_FLAGGED)).one()
    assert (flag.entity_type, flag.entity_id, flag.referral_id) == ("referral", referral.id, referral.id)
    # A fourth unreached attempt does not flag it again.
    attempt(db_session, clinician, db_session.get(BarrierCheck, check.id), at=third + timedelta(hours=1))
    db_session.commit()
    assert actions_since(db_session, before).count(actions.SENIOR_REVIEW_FLAGGED) == 1
    assert db_session.get(Referral, referral.id).senior_review_flagged_at == third
    assert event_chain.verify(db_session).ok


@pytest.mark.parametrize("reached_at", [0, 1, 2])
def test_a_reached_attempt_prevents_the_flag(db_session, clinician, referral, check, reached_at):
    before = head(db_session)
    for i in range(4):
        attempt(db_session, clinician, check, reached=i == reached_at, at=MISSED + timedelta(hours=i + 1))
    db_session.commit()
    assert actions.SENIOR_REVIEW_FLAGGED not in actions_since(db_session, before)
    assert db_session.get(Referral, referral.id).senior_review_flagged_at is None


def test_a_second_dna_flags_senior_review(db_session, clinician, referral, check):
    complete(db_session, clinician, check, "rebooked")
    db_session.commit()
    assert db_session.get(Referral, referral.id).senior_review_flagged_at is None  # one DNA is not enough
    second_slot = SLOT + timedelta(days=7)
    appointment = book(db_session, clinician, referral, starts_at=second_slot, now=MISSED + timedelta(days=1))
    db_session.commit()
    before = head(db_session)
    recorded = second_slot + timedelta(minutes=30)
    appointments.record_outcome(db_session, clinician, appointment, appointment.version, "dna", now=recorded)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_DNA, actions.BARRIER_CHECK_OPENED,
                                                 actions.SENIOR_REVIEW_FLAGGED]
    db_session.expire_all()
    stored = db_session.get(Referral, referral.id)
    assert (stored.senior_review_reason, stored.senior_review_flagged_at) == ("2 missed appointments", recorded)
    assert stored.state == "accepted"
    assert count(db_session, BarrierCheck) == 2
    assert dna.open_check_for(db_session, referral.id).appointment_id == appointment.id
    assert event_chain.verify(db_session).ok


def test_the_first_reason_stands_until_a_senior_reviews(db_session, clinician, referral, check):
    for hours in (1, 2, 3):
        attempt(db_session, clinician, check, at=MISSED + timedelta(hours=hours))
    complete(db_session, clinician, check, "not_reached", at=MISSED + timedelta(hours=4))
    appointment = book(db_session, clinician, referral, starts_at=SLOT + timedelta(days=7), now=MISSED)
    before = head(db_session)
    appointments.record_outcome(db_session, clinician, appointment, appointment.version, "dna",
                                now=SLOT + timedelta(days=7, hours=1))
    assert actions_since(db_session, before) == [actions.APPOINTMENT_DNA, actions.BARRIER_CHECK_OPENED]
    assert referral.senior_review_reason == "Not reached after 3 contact attempts"
    assert referral.senior_review_flagged_at == MISSED + timedelta(hours=3)


# --- Was not brought -----------------------------------------------------------------------------

@pytest.mark.parametrize(("overrides", "not_brought"), [
    ({}, False),
    ({"date_of_birth": "2014-03-15"}, True),
    ({"date_of_birth": "2008-06-09"}, True),  # 18 tomorrow: still a child on the day of the appointment
    ({"date_of_birth": "2008-06-08"}, False),  # 18 today
    ({"learning_disability": "yes"}, True),
    ({"cognitive_impairment": "yes"}, True),
    ({"learning_disability": "no", "cognitive_impairment": "no", "caring_responsibilities": "yes"}, False),
])
def test_was_not_brought_for_children_and_adults_who_depend_on_others(db_session, clinician, overrides,
                                                                        not_brought):
    row = accepted(db_session, clinician, **overrides)
    check = miss(db_session, clinician, row)
    assert check.was_not_brought is not_brought
    assert data_of(db_session, actions.BARRIER_CHECK_OPENED)[-1]["was_not_brought"] is not_brought
    by_appointment = dna.checks_by_appointment(db_session, row.id)
    assert [(a, c.id, c.was_not_brought) for a, c in by_appointment.items()] == [
        (check.appointment_id, check.id, not_brought)]
    patient = db_session.get(Patient, row.patient_id)
    assert dna.depends_on_others(patient, SLOT.date()) is not_brought


@pytest.mark.parametrize(("category", "ended", "not_brought"), [
    ("support_person", False, True),
    ("support_person", True, False),
    ("timing", False, False),
])
def test_an_active_support_person_adjustment_means_was_not_brought(db_session, clinician, category, ended,
                                                                   not_brought):
    row = accepted(db_session, clinician)
    patient = db_session.get(Patient, row.patient_id)
    assert patient.active_adjustments == []  # loaded before the adjustment exists
    item = adjustments.record_adjustment(db_session, clinician, patient, adjustments.AdjustmentDetails(
        category=category, description="Daughter brings him to every appointment", consent_basis="patient"),
        "patient_request", now=TRIAGED)
    deliveries = {item.id: (False, "Daughter was at work")}
    if ended:
        adjustments.end_adjustment(db_session, clinician, item, item.version, "Now travels alone", now=TRIAGED)
        deliveries = {}
    # Same transaction, no commit: the rules must see the register as it is now.
    check = miss(db_session, clinician, row, deliveries=deliveries)
    assert check.was_not_brought is not_brought


def test_a_not_brought_check_needs_the_safeguarding_answer(db_session, clinician):
    row = accepted(db_session, clinician, date_of_birth="2016-09-30")
    check = miss(db_session, clinician, row)
    db_session.commit()
    assert check.was_not_brought is True
    attempt(db_session, clinician, check, reached=True)
    dna.save_barriers(db_session, clinician, check, check.version, ["transport_cost"], None, None)
    assert dna.remaining(db_session, check) == [LEFT_SAFEGUARDING, LEFT_OUTCOME]
    db_session.commit()
    before = head(db_session)
    for outcome in ("rebooked", "declined"):
        with pytest.raises(InvalidInput) as exc:
            complete(db_session, clinician, check, outcome)
        assert set(exc.value.errors) == {"safeguarding"}
        db_session.rollback()
    assert actions_since(db_session, before) == []
    assert db_session.get(BarrierCheck, check.id).completed_at is None

    dna.save_barriers(db_session, clinician, check, check.version, ["transport_cost"], None, "follow_up_planned")
    assert check.safeguarding == "follow_up_planned"
    assert dna.remaining(db_session, check) == [LEFT_OUTCOME]
    # A later save of the barriers alone keeps the answer.
    dna.save_barriers(db_session, clinician, check, check.version, ["transport_cost", "childcare"], None, None)
    assert check.safeguarding == "follow_up_planned"
    complete(db_session, clinician, check, "rebooked")
    db_session.commit()
    assert db_session.get(BarrierCheck, check.id).completed_at is not None
    assert data_of(db_session, actions.BARRIER_CHECK_COMPLETED)[0]["safeguarding"] == "follow_up_planned"


def test_answering_concern_raised_raises_the_concern_on_the_safeguarding_route(db_session, clinician):
    row = accepted(db_session, clinician, date_of_birth="2016-09-30")
    check = miss(db_session, clinician, row)
    attempt(db_session, clinician, check, reached=True)
    db_session.commit()
    before = head(db_session)
    with pytest.raises(InvalidInput) as exc:
        dna.save_barriers(db_session, clinician, check, check.version, [], None, "concern_raised")
    assert exc.value.errors == {"concern_category": "Select the kind of concern",
                                "concern_text": "Describe the concern"}
    db_session.rollback()
    with pytest.raises(InvalidInput) as exc:  # a concern described under another answer is not dropped silently
        dna.save_barriers(db_session, clinician, check, check.version, [], None, "no_concern", NEGLECT)
    assert set(exc.value.errors) == {"safeguarding"}
    db_session.rollback()
    assert actions_since(db_session, before) == []

    at = MISSED + timedelta(hours=2)
    dna.save_barriers(db_session, clinician, check, check.version, [], None, "concern_raised", NEGLECT, now=at)
    concern = db_session.scalars(select(SafeguardingConcern)).one()
    assert (concern.referral_id, concern.category, concern.concern, concern.status, concern.raised_by,
            concern.raised_at) == (row.id, "self_neglect", NEGLECT.concern, "open", clinician.user_id, at)
    assert actions_since(db_session, before) == [actions.SAFEGUARDING_RAISED, actions.BARRIER_CHECK_UPDATED]
    assert data_of(db_session, actions.BARRIER_CHECK_UPDATED)[-1]["concern_id"] == concern.id
    assert dna.remaining(db_session, check) == [LEFT_OUTCOME]
    # Saving the barriers again keeps the answer and raises no second concern.
    dna.save_barriers(db_session, clinician, check, check.version, ["work"], None, None)
    complete(db_session, clinician, check, "rebooked")
    db_session.commit()
    assert count(db_session, SafeguardingConcern) == 1
    assert data_of(db_session, actions.BARRIER_CHECK_COMPLETED)[0]["concern_id"] == concern.id


def test_concern_raised_stands_for_a_concern_already_open_on_the_referral(db_session, clinician, senior):
    row = accepted(db_session, clinician, date_of_birth="2016-09-30")
    open_concern = safeguarding.raise_concern(db_session, clinician, row, NEGLECT, now=TRIAGED)
    closed = safeguarding.raise_concern(db_session, clinician, row, NEGLECT, now=TRIAGED)
    safeguarding.close_concern(db_session, senior, closed, closed.version, "Resolved", "Seen at home", now=TRIAGED)
    check = miss(db_session, clinician, row)
    dna.save_barriers(db_session, clinician, check, check.version, [], None, "concern_raised")
    assert count(db_session, SafeguardingConcern) == 2
    assert data_of(db_session, actions.BARRIER_CHECK_UPDATED)[-1]["concern_id"] == open_concern.id


def test_a_concern_raised_answer_with_no_concern_on_the_route_cannot_complete(db_session, clinician):
    row = accepted(db_session, clinician, date_of_birth="2016-09-30")
    check = miss(db_session, clinician, row)
    attempt(db_session, clinician, check, reached=True)
    check.safeguarding = "concern_raised"  # as answered before the answer raised the concern
    db_session.commit()
    assert dna.remaining(db_session, check) == [LEFT_BARRIERS, dna.LEFT_RAISE_CONCERN, LEFT_OUTCOME]
    with pytest.raises(InvalidInput) as exc:
        complete(db_session, clinician, check, "rebooked")
    assert exc.value.errors == {"concern_text": dna.LEFT_RAISE_CONCERN}


def test_an_adult_check_completes_without_the_safeguarding_answer(db_session, clinician, referral, check):
    complete(db_session, clinician, check, "rebooked")
    assert check.completed_at is not None
    assert check.safeguarding is None


# --- Completing the check ------------------------------------------------------------------------

@pytest.mark.parametrize(("outcome", "alternative", "fields"), [
    (None, None, {"outcome"}),
    ("", None, {"outcome"}),
    ("discharged", None, {"outcome"}),
    ("alternative_offered", None, {"alternative_format"}),
    ("alternative_offered", "", {"alternative_format"}),
    ("alternative_offered", "smoke_signals", {"alternative_format"}),
    ("rebooked", "smoke_signals", {"alternative_format"}),
])
def test_complete_validation(db_session, clinician, referral, check, outcome, alternative, fields):
    attempt(db_session, clinician, check)
    db_session.commit()
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        complete(db_session, clinician, check, outcome, alternative_format=alternative)
    assert set(exc.value.errors) == fields
    stored = db_session.get(BarrierCheck, check.id)
    assert (stored.completed_at, stored.outcome) == (None, None)


@pytest.mark.parametrize(("outcome", "alternative"), [("declined", None), ("not_reached", None),
                                                      ("alternative_offered", "video")])
def test_contact_attempts_are_needed_unless_rebooked(db_session, clinician, referral, check, outcome, alternative):
    with pytest.raises(InvalidInput) as exc:
        complete(db_session, clinician, check, outcome, alternative_format=alternative)
    assert set(exc.value.errors) == {"method"}
    db_session.rollback()
    attempt(db_session, clinician, check)
    complete(db_session, clinician, check, outcome, alternative_format=alternative)
    assert check.outcome == outcome


def test_rebooked_needs_no_contact_attempt(db_session, clinician, referral, check):
    complete(db_session, clinician, check, "rebooked")
    assert (check.outcome, check.attempts) == ("rebooked", [])


def test_complete_records_the_outcome(db_session, booker, clinician, referral, check):
    attempt(db_session, booker, check, reached=True)
    dna.save_barriers(db_session, booker, check, 1, ["childcare"], None, None)
    db_session.commit()
    before = head(db_session)
    at = MISSED + timedelta(days=1)
    dna.complete_barrier_check(db_session, clinician, check, 2, "alternative_offered", "evening", now=at)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.BARRIER_CHECK_COMPLETED]
    db_session.expire_all()
    stored = db_session.get(BarrierCheck, check.id)
    assert (stored.outcome, stored.alternative_format, stored.completed_at, stored.completed_by) == (
        "alternative_offered", "evening", at, clinician.user_id)
    assert (stored.adjustment_id, stored.version) == (None, 3)
    assert data_of(db_session, actions.BARRIER_CHECK_COMPLETED) == [
        {"outcome": "alternative_offered", "alternative_format": "evening", "barriers": ["childcare"],
         "adjustment_id": None, "safeguarding": None, "concern_id": None}]
    assert dna.open_check_for(db_session, referral.id) is None
    assert dna.remaining(db_session, stored) == []
    assert count(db_session, ReasonableAdjustment) == 0


def test_a_completed_check_cannot_be_changed(db_session, clinician, referral, check):
    complete(db_session, clinician, check, "rebooked")
    db_session.commit()
    before = head(db_session)
    with pytest.raises(InvalidInput):
        dna.save_barriers(db_session, clinician, check, check.version, ["work"], None, None)
    with pytest.raises(InvalidInput):
        dna.log_attempt(db_session, clinician, check, "telephone", True, None, now=MISSED)
    with pytest.raises(InvalidInput):
        complete(db_session, clinician, check, "declined")
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert db_session.get(BarrierCheck, check.id).outcome == "rebooked"


def test_completing_with_an_adjustment_records_it(db_session, clinician, referral, check):
    before = head(db_session)
    at = MISSED + timedelta(hours=5)
    details = adjustments.AdjustmentDetails(category="timing", description="Evening appointments after 18:00",
                                            consent_basis="patient")
    dna.complete_barrier_check(db_session, clinician, check, 1, "rebooked", "evening", details, now=at)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.ADJUSTMENT_RECORDED, actions.BARRIER_CHECK_COMPLETED]
    db_session.expire_all()
    item = db_session.scalars(select(ReasonableAdjustment)).one()
    stored = db_session.get(BarrierCheck, check.id)
    assert stored.adjustment_id == item.id
    assert (item.patient_id, item.category, item.description, item.source, item.consent_basis) == (
        referral.patient_id, "timing", "Evening appointments after 18:00", "barrier_check", "patient")
    assert (item.recorded_by, item.recorded_role, item.recorded_at, item.status) == (
        clinician.user_id, "clinician", at, "active")
    assert data_of(db_session, actions.BARRIER_CHECK_COMPLETED)[0]["adjustment_id"] == item.id
    assert data_of(db_session, actions.ADJUSTMENT_RECORDED)[0]["source"] == "barrier_check"
    assert [a.id for a in db_session.get(Patient, referral.patient_id).active_adjustments] == [item.id]
    assert event_chain.verify(db_session).ok


def test_an_invalid_adjustment_leaves_the_check_open(db_session, clinician, referral, check):
    before = head(db_session)
    details = adjustments.AdjustmentDetails(category="magic", description="", consent_basis="")
    with pytest.raises(InvalidInput) as exc:
        complete(db_session, clinician, check, "rebooked", adjustment=details)
    assert {"category", "description", "consent_basis"} <= set(exc.value.errors)
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, ReasonableAdjustment) == 0
    assert db_session.get(BarrierCheck, check.id).completed_at is None


# --- What is left, the 14-day rebooking, the worklist --------------------------------------------

def test_remaining_lists_what_is_left(db_session, clinician, referral, check):
    assert dna.remaining(db_session, check) == [LEFT_BARRIERS, LEFT_ATTEMPT, LEFT_OUTCOME]
    dna.save_barriers(db_session, clinician, check, 1, ["digital_access"], None, None)
    assert dna.remaining(db_session, check) == [LEFT_ATTEMPT, LEFT_OUTCOME]
    attempt(db_session, clinician, check)
    assert dna.remaining(db_session, check) == [LEFT_OUTCOME]
    complete(db_session, clinician, check, "not_reached")
    assert dna.remaining(db_session, check) == []


def test_remaining_for_a_not_brought_check(db_session, clinician):
    row = accepted(db_session, clinician, learning_disability="yes")
    check = miss(db_session, clinician, row)
    assert dna.remaining(db_session, check) == [LEFT_BARRIERS, LEFT_ATTEMPT, LEFT_SAFEGUARDING, LEFT_OUTCOME]
    dna.save_barriers(db_session, clinician, check, 1, [], None, "no_concern")
    # "None found" answers the barriers question as well.
    assert check.barriers == []
    assert dna.remaining(db_session, check) == [LEFT_ATTEMPT, LEFT_OUTCOME]


@pytest.mark.parametrize(("after", "met"), [
    (timedelta(days=1), True),
    (timedelta(days=14), True),  # on the deadline itself
    (timedelta(days=14, minutes=1), False),
])
def test_rebooking_within_14_days_of_the_missed_appointment(db_session, clinician, referral, check, after, met):
    complete(db_session, clinician, check, "rebooked", at=MISSED)
    rebooked = book(db_session, clinician, referral, starts_at=SLOT + after + timedelta(days=2), now=SLOT + after)
    assert check.rebooked_appointment_id == rebooked.id
    status = dna.rebooking_status(check, dna.rebooking_of(db_session, check), now=SLOT + timedelta(days=30))
    # The clock runs from the missed appointment, not from when the DNA was recorded.
    assert status == {"deadline": SLOT + timedelta(days=14), "met": met, "booked_at": SLOT + after}


def test_an_urgent_booking_past_the_open_check_is_its_rebooking(db_session, clinician, referral, check):
    """The check's page says what the 14-day measure counts: a booking made for urgent need before the check was
    done rebooked the patient on time."""
    urgent = book(db_session, clinician, referral, starts_at=SLOT + timedelta(days=3), now=SLOT + timedelta(days=1),
                  override_reason="Urgent: wound review")
    complete(db_session, clinician, check, "rebooked", at=SLOT + timedelta(days=2))
    assert dna.rebooking_of(db_session, check) == urgent
    status = dna.rebooking_status(check, urgent, now=SLOT + timedelta(days=20))
    assert (status["met"], status["booked_at"]) == (True, SLOT + timedelta(days=1))


@pytest.mark.parametrize(("now", "met"), [
    (MISSED, None),
    (SLOT + timedelta(days=14), None),
    (SLOT + timedelta(days=14, seconds=1), False),
])
def test_rebooking_not_yet_booked(db_session, clinician, referral, check, now, met):
    assert dna.rebooking_status(check, None, now) == {"deadline": SLOT + timedelta(days=14), "met": met,
                                                      "booked_at": None}


def test_rebooking_deadline_follows_the_policy(db_session, clinician, referral, check):
    policy = replace(Policy(), clocks=ClockSettings(rebooking_days=7))
    status = dna.rebooking_status(check, None, SLOT + timedelta(days=8), policy)
    assert (status["deadline"], status["met"]) == (SLOT + timedelta(days=7), False)


def test_barrier_worklist_runs_by_rebooking_deadline_and_leaves_out_completed_checks(db_session, clinician):
    # DNAs recorded out of order: the worklist sorts by each rebooking deadline, 14 days after the missed slot.
    later = miss(db_session, clinician, accepted(db_session, clinician), starts_at=SLOT + timedelta(days=3))
    oldest = miss(db_session, clinician, accepted(db_session, clinician), starts_at=SLOT)
    done = miss(db_session, clinician, accepted(db_session, clinician), starts_at=SLOT + timedelta(days=1))
    today = miss(db_session, clinician, accepted(db_session, clinician), starts_at=SLOT + timedelta(days=2))
    db_session.commit()
    now = SLOT + timedelta(days=16, hours=-1)  # the third deadline is an hour away
    assert dna.barrier_worklist(db_session, now).rows == [oldest, done, today, later]
    complete(db_session, clinician, done, "rebooked", at=SLOT + timedelta(days=4))
    db_session.commit()
    page = dna.barrier_worklist(db_session, now)
    assert [(group.heading, [entry.item for entry in group.entries]) for group in page.groups] == [
        ("Overdue", [oldest]), ("Due today", [today]), ("Due later", [later])]
    assert [entry.due for group in page.groups for entry in group.entries] == [
        SLOT + timedelta(days=14), SLOT + timedelta(days=16), SLOT + timedelta(days=17)]
    assert dna.barrier_worklist(db_session, now, page=2, per_page=2).rows == [later]
    assert dna.count_open(db_session) == 3


# --- Stale versions ------------------------------------------------------------------------------

def test_a_stale_version_is_refused(db_session, clinician, referral, check):
    dna.save_barriers(db_session, clinician, check, 1, ["work"], None, None)
    db_session.commit()
    before = head(db_session)
    with pytest.raises(StaleRecord):
        dna.save_barriers(db_session, clinician, check, 1, ["safety"], None, None)
    with pytest.raises(StaleRecord):
        dna.complete_barrier_check(db_session, clinician, check, 1, "rebooked", now=MISSED)
    db_session.rollback()
    assert actions_since(db_session, before) == []
    stored = db_session.get(BarrierCheck, check.id)
    assert (stored.barriers, stored.completed_at, stored.version) == (["work"], None, 2)


def test_a_change_saved_elsewhere_meanwhile_is_refused_at_flush(db_session, clinician, referral, check):
    """Another worker saved the check after this one read it: the UPDATE finds no row at version 1."""
    check_id = check.id
    assert check.version == 1
    db_session.execute(text("UPDATE barrier_checks SET version = 2 WHERE id = :id"), {"id": check_id})
    with pytest.raises(StaleRecord, match="changed while you were saving"):
        dna.save_barriers(db_session, clinician, check, 1, ["work"], None, None)
    db_session.rollback()
    stale = db_session.get(BarrierCheck, check_id)
    assert stale.version == 1  # what this worker read
    db_session.execute(text("UPDATE barrier_checks SET version = 2 WHERE id = :id"), {"id": check_id})
    with pytest.raises(StaleRecord, match="changed while you were saving"):
        dna.complete_barrier_check(db_session, clinician, stale, 1, "rebooked", now=MISSED)
    db_session.rollback()
    assert db_session.get(BarrierCheck, check_id).completed_at is None
