"""Senior review before discharge: every decision on every kind of review, four eyes, what blocks a discharge,
lost contact, the review queue, and re-referral of a closed referral."""
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, appointments, discharge, event_chain, intake, reviews, safeguarding, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.discharge import Decision
from inclusive_access.domain.errors import (
    DuplicateSubmission,
    InvalidInput,
    NotPermitted,
    StaleRecord,
    TransitionNotAllowed,
)
from inclusive_access.domain.safeguarding import ConcernDetails
from inclusive_access.models import Appointment, BarrierCheck, Event, Referral, SafeguardingConcern, SeniorReview
from tests.event_log import actions_since, count, data_of, head, nothing_written
from tests.factories import (
    APPROVE,
    DECIDED,
    RECEIVED,
    REQUESTED,
    SCRIPT,
    SECOND_SLOT,
    SLOT,
    TRIAGED,
    accepted,
    attempt,
    book,
    complete,
    intake_row,
    make_referral,
    make_user,
    miss,
    staff,
)

CONCERN = ConcernDetails("lost_contact", "Not seen or reached for three weeks")
CONTINUE = Decision("continue", "Still engaged by text message", plan="Offer an evening video appointment")
SAFEGUARD = Decision("safeguarding", "Possible exploitation: refer on", concern=CONCERN)
DECISIONS = {"approved": APPROVE, "continue": CONTINUE, "safeguarding": SAFEGUARD}
CONTINUED = "Engagement continues after senior review"
# SLOT (10:00 BST on Monday 8 June 2026) is the first appointment, attended or missed; SECOND_SLOT the next
RE_REFERRED = datetime(2026, 6, 25, 12, 0, tzinfo=UTC)

#: (kind, decision) -> (state before, state after, events written, the decision event's summary)
OUTCOMES = {
    ("discharge", "approved"): ("discharge_review", "discharged", [actions.REFERRAL_DISCHARGED],
                                "Discharged: Treatment complete"),
    ("discharge", "continue"): ("discharge_review", "in_treatment", [actions.ENGAGEMENT_CONTINUED], CONTINUED),
    ("discharge", "safeguarding"): ("discharge_review", "in_treatment",
                                    [actions.SAFEGUARDING_RAISED, actions.ENGAGEMENT_CONTINUED], CONTINUED),
    ("attendance", "approved"): ("accepted", "discharged", [actions.REFERRAL_DISCHARGED],
                                 "Discharged: Non-attendance"),
    ("attendance", "continue"): ("accepted", "accepted", [actions.ENGAGEMENT_CONTINUED], CONTINUED),
    ("attendance", "safeguarding"): ("accepted", "accepted",
                                     [actions.SAFEGUARDING_RAISED, actions.ENGAGEMENT_CONTINUED], CONTINUED),
    ("rejection", "approved"): ("rejection_review", "rejected", [actions.REJECTION_UPHELD],
                                "Rejection upheld by a senior"),
    ("rejection", "continue"): ("rejection_review", "received", [actions.REJECTION_OVERTURNED],
                                "Returned to triage by a senior"),
    ("rejection", "safeguarding"): ("rejection_review", "received",
                                    [actions.SAFEGUARDING_RAISED, actions.REJECTION_OVERTURNED],
                                    "Returned to triage by a senior"),
}
KINDS = ("discharge", "attendance", "rejection")


# --- Helpers -------------------------------------------------------------------------------------

def attend(session, actor, referral, starts_at=SLOT, booked_at=TRIAGED) -> Appointment:
    appointment = book(session, actor, referral, starts_at=starts_at, now=booked_at)
    appointments.record_outcome(session, actor, appointment, appointment.version, "attended",
                                now=starts_at + timedelta(hours=1))
    return appointment


def in_treatment(session, clinician, **overrides) -> Referral:
    row = accepted(session, clinician, **overrides)
    attend(session, clinician, row)
    return row


def ask(session, actor, referral, reason="treatment_complete", text="Goals met", token=None,
        now=REQUESTED) -> SeniorReview:
    return discharge.request_discharge(session, actor, referral, referral.version, reason, text,
                                       submission_token=token, now=now)


def flagged_by_dnas(session, clinician, referral, complete_second=True) -> SeniorReview:
    """Two missed appointments (the first check completed before rebooking): the attendance review they open."""
    first = miss(session, clinician, referral)
    complete(session, clinician, first)
    second = miss(session, clinician, referral, starts_at=SECOND_SLOT, booked_at=SLOT + timedelta(hours=4))
    if complete_second:
        complete(session, clinician, second)
    return reviews.pending_review(session, referral.id)


def proposed_rejection(session, clinician) -> SeniorReview:
    row = make_referral(session, received_at=RECEIVED, housing_status="temporary")
    triage.triage_referral(session, clinician, row, row.version, SCRIPT, [], "reject", reason_code="not_eligible",
                           reason_text="Out of area", now=TRIAGED)
    return reviews.pending_review(session, row.id)


def pending(session, kind, clinician) -> SeniorReview:
    """A review of `kind` waiting for a senior: a clinician's discharge request on a referral in treatment,
    two missed appointments on an accepted referral, or a flagged referral's proposed rejection."""
    if kind == "discharge":
        return ask(session, clinician, in_treatment(session, clinician))
    if kind == "attendance":
        return flagged_by_dnas(session, clinician, accepted(session, clinician))
    return proposed_rejection(session, clinician)


def decide(session, actor, review, decision, now=DECIDED, version=None) -> None:
    seen = review.referral.version if version is None else version
    discharge.decide_review(session, actor, review, seen, decision, now=now)


def in_state(session, state, clinician, senior) -> Referral:
    """A referral in `state`, reached through the domain."""
    if state == "received":
        return make_referral(session, received_at=RECEIVED)
    if state == "accepted":
        return accepted(session, clinician)
    if state == "in_treatment":
        return in_treatment(session, clinician)
    if state == "discharge_review":
        return ask(session, clinician, in_treatment(session, clinician)).referral
    if state == "rejection_review":
        return proposed_rejection(session, clinician).referral
    if state == "rejected":
        row = make_referral(session, received_at=RECEIVED)
        triage.triage_referral(session, clinician, row, row.version, SCRIPT, [], "reject",
                               reason_code="wrong_service", reason_text="Refer to podiatry", now=TRIAGED)
        return row
    assert state == "discharged"
    review = ask(session, clinician, in_treatment(session, clinician))
    decide(session, senior, review, APPROVE)
    return review.referral


def refused_in(session, state, clinician, senior, made, change) -> None:
    """A referral in `state` (committed), and `change(referral)` is refused as not allowed there: nothing is written,
    no `made` row added, and the referral stays in `state`."""
    referral = in_state(session, state, clinician, senior)
    session.commit()
    rows = count(session, made)
    with nothing_written(session), pytest.raises(TransitionNotAllowed):
        change(referral)
    assert (count(session, made), session.get(Referral, referral.id).state) == (rows, state)


@pytest.fixture
def other_senior(db_session):
    return actor_for(make_user(db_session, role="senior", username="senior2"))


# --- Every decision on every kind of review ------------------------------------------------------

@pytest.mark.parametrize(("kind", "choice"), list(OUTCOMES))
def test_every_decision_on_every_kind_of_review(db_session, clinician, senior, kind, choice):
    review = pending(db_session, kind, clinician)
    db_session.commit()
    referral = review.referral
    state_before, state_after, written, summary = OUTCOMES[kind, choice]
    assert (review.kind, referral.state) == (kind, state_before)
    decision, before = DECISIONS[choice], head(db_session)
    decide(db_session, senior, review, decision)
    db_session.commit()
    assert actions_since(db_session, before) == written
    db_session.expire_all()

    stored = db_session.get(SeniorReview, review.id)
    assert (stored.decision, stored.decided_by, stored.decided_at, stored.rationale, stored.plan,
            stored.outcome_state, stored.safe_despite_concern) == (
        choice, senior.user_id, DECIDED, decision.rationale, decision.plan, state_after, None)
    assert reviews.pending_review(db_session, referral.id) is None
    row = db_session.get(Referral, referral.id)
    assert row.state == state_after

    event = db_session.scalars(select(Event).where(Event.seq > before, Event.action == written[-1])).one()
    assert (event.entity_type, event.entity_id, event.referral_id, event.patient_id, event.actor_id,
            event.actor_role, event.occurred_at) == (
        "referral", referral.id, referral.id, referral.patient_id, senior.user_id, "senior", DECIDED)
    payload = json.loads(event.data)
    expected = {"from": state_before, "to": state_after, "review_id": review.id, "kind": kind,
                "decision": choice, "rationale": decision.rationale, "plan": decision.plan, "summary": summary}
    assert {k: payload.get(k) for k in expected} == expected

    if choice == "approved" and kind != "rejection":
        reason = "non_attendance" if kind == "attendance" else "treatment_complete"
        assert (payload["reason"], payload["safe_despite_concern"]) == (reason, None)
        assert (row.discharged_at, row.discharge_reason) == (DECIDED, reason)
    else:
        assert (row.discharged_at, row.discharge_reason) == (None, None)
    if choice == "safeguarding":
        concern = db_session.scalars(select(SafeguardingConcern)).one()
        assert payload["concern_id"] == concern.id
        assert (concern.referral_id, concern.patient_id, concern.review_id, concern.category, concern.concern,
                concern.raised_by, concern.raised_role, concern.raised_at, concern.status) == (
            referral.id, referral.patient_id, review.id, CONCERN.category, CONCERN.concern, senior.user_id,
            "senior", DECIDED, "open")
        assert data_of(db_session, actions.SAFEGUARDING_RAISED) == [
            {"category": CONCERN.category, "concern": CONCERN.concern, "review_id": review.id,
             "followed_delay": "not_known", "delay_detail": None}]  # a review's concern is not asked about a delay
        assert [c.id for c in row.patient.open_concerns] == [concern.id]
    else:
        assert "concern_id" not in payload
        assert count(db_session, SafeguardingConcern) == 0
    if kind == "attendance":
        assert (row.senior_review_flagged_at, row.senior_review_reason) == (None, None)
    if kind == "rejection" and choice != "approved":
        # Back to triage afresh, at the top of the queue; the proposed rejection stays only in the log.
        assert (row.triage_priority, row.triage_due_at, row.triaged_at) == (0, DECIDED, None)
        assert (row.rejection_code, row.rejection_text) == (None, None)
    if kind == "rejection" and choice == "approved":
        assert (row.rejection_code, row.rejection_text) == ("not_eligible", "Out of area")
    assert event_chain.verify(db_session).ok


@pytest.mark.parametrize(("kind", "choice"), list(OUTCOMES))
def test_a_second_senior_on_a_stale_page_is_told_what_the_first_decided(db_session, clinician, senior,
                                                                         other_senior, kind, choice):
    """Both seniors opened the review at the same version; the second one's conflict lists the first's decision.

    The decision's event must carry a version newer than the one both seniors saw (referral_flow.changes_since
    lists events with payload version > seen_version).
    """
    review = pending(db_session, kind, clinician)
    db_session.commit()
    seen = review.referral.version
    decision_event = OUTCOMES[kind, choice][2][-1]
    decide(db_session, senior, review, DECISIONS[choice], version=seen)
    db_session.commit()
    with pytest.raises(StaleRecord) as stale:
        decide(db_session, other_senior, review, CONTINUE, version=seen)
    db_session.rollback()
    # Correct behaviour: the first senior's decision is in the conflict. For an attendance review decided
    # "continue" or "safeguarding" (continue_engagement keeps the state) referral_flow.transition flushes no
    # UPDATE, so the event records the version from before the decision, and the conflict lists nothing.
    assert decision_event in stale.value.changes
    assert data_of(db_session, decision_event)[-1]["version"] > seen


@pytest.mark.parametrize(("choice", "state"), [("continue", "accepted"), ("safeguarding", "accepted"),
                                               ("approved", "discharged")])
def test_a_discharge_request_before_first_contact_resumes_booking(db_session, clinician, senior, choice,
                                                                  state):
    review = ask(db_session, clinician, accepted(db_session, clinician), reason="patient_choice")
    db_session.commit()
    decide(db_session, senior, review, DECISIONS[choice])
    db_session.commit()
    db_session.expire_all()
    row = db_session.get(Referral, review.referral_id)
    assert (row.state, row.first_contact_at) == (state, None)
    assert db_session.get(SeniorReview, review.id).outcome_state == state
    if choice == "approved":
        assert row.discharge_reason == "patient_choice"


@pytest.mark.parametrize(("choice", "state"), [("continue", "in_treatment"), ("approved", "discharged")])
def test_an_attendance_review_in_treatment(db_session, clinician, senior, choice, state):
    referral = in_treatment(db_session, clinician)
    first = miss(db_session, clinician, referral, starts_at=SECOND_SLOT, booked_at=SLOT + timedelta(hours=2))
    complete(db_session, clinician, first)
    later = SECOND_SLOT + timedelta(days=7)
    complete(db_session, clinician, miss(db_session, clinician, referral, starts_at=later,
                                      booked_at=SECOND_SLOT + timedelta(hours=4)))
    review = reviews.pending_review(db_session, referral.id)
    assert (review.kind, review.reason_text, review.dna_count) == ("attendance", "2 missed appointments", 2)
    db_session.commit()
    before = head(db_session)
    decide(db_session, senior, review, DECISIONS[choice])
    db_session.commit()
    assert len(actions_since(db_session, before)) == 1
    db_session.expire_all()
    row = db_session.get(Referral, referral.id)
    assert (row.state, row.senior_review_flagged_at) == (state, None)
    assert data_of(db_session, actions_since(db_session, before)[0], before)[0]["from"] == "in_treatment"


# --- Four eyes and roles -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["discharge", "rejection"])
def test_the_senior_who_proposed_it_cannot_approve_it_but_another_senior_can(db_session, clinician, senior,
                                                                             other_senior, kind):
    review = pending(db_session, kind, senior)  # the senior asks, or proposes the rejection
    db_session.commit()
    assert review.opened_by == senior.user_id
    state, before = review.referral.state, head(db_session)
    with pytest.raises(NotPermitted):
        decide(db_session, senior, review, APPROVE)
    db_session.rollback()
    assert actions_since(db_session, before) == []
    stored = db_session.get(SeniorReview, review.id)
    assert (stored.decided_at, stored.decision, stored.referral.state) == (None, None, state)
    decide(db_session, other_senior, stored, APPROVE)
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(SeniorReview, review.id)
    assert (stored.decision, stored.decided_by) == ("approved", other_senior.user_id)
    assert stored.referral.state == {"discharge": "discharged", "rejection": "rejected"}[kind]


@pytest.mark.parametrize("choice", ["continue", "safeguarding"])
def test_the_requester_may_take_back_their_own_request(db_session, clinician, senior, choice):
    """Four eyes guards approval only: keeping the patient on the pathway needs no second senior."""
    review = ask(db_session, senior, in_treatment(db_session, clinician))
    decide(db_session, senior, review, DECISIONS[choice])
    assert (review.decision, review.referral.state) == (choice, "in_treatment")


def test_a_senior_who_recorded_the_dnas_may_discharge_after_review(db_session, senior):
    """An attendance review was opened by recording missed appointments, not by proposing a discharge."""
    review = flagged_by_dnas(db_session, senior, accepted(db_session, senior))
    assert (review.kind, review.opened_by) == ("attendance", senior.user_id)
    decide(db_session, senior, review, APPROVE)
    assert review.referral.state == "discharged"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ["booking", "clinician", "auditor", "manager"])
def test_only_a_senior_decides_a_review(db_session, clinician, kind, actor):
    review = pending(db_session, kind, clinician)
    db_session.commit()
    review_id, state, before = review.id, review.referral.state, head(db_session)
    for decision in DECISIONS.values():
        with pytest.raises(NotPermitted):
            decide(db_session, actor, db_session.get(SeniorReview, review_id), decision)
        db_session.rollback()
    assert actions_since(db_session, before) == []
    stored = db_session.get(SeniorReview, review_id)
    assert (stored.decided_at, stored.referral.state) == (None, state)
    assert count(db_session, SafeguardingConcern) == 0


# --- Requesting a discharge ----------------------------------------------------------------------

@pytest.mark.parametrize("role", ["clinician", "senior"])
def test_request_discharge_puts_the_referral_in_discharge_review(db_session, clinician, role):
    actor = staff(db_session, role)
    referral = in_treatment(db_session, clinician)
    db_session.commit()
    version, before = referral.version, head(db_session)
    review = ask(db_session, actor, referral, reason="moved_away", text="Moved to Cornwall", token="tok-1")
    db_session.commit()
    assert actions_since(db_session, before) == [actions.DISCHARGE_REQUESTED]
    db_session.expire_all()
    stored = db_session.get(SeniorReview, review.id)
    assert (stored.referral_id, stored.kind, stored.reason, stored.reason_text, stored.opened_by,
            stored.opened_at, stored.dna_count, stored.submission_token) == (
        referral.id, "discharge", "moved_away", "Moved to Cornwall", actor.user_id, REQUESTED, 0, "tok-1")
    assert (stored.decision, stored.decided_by, stored.decided_at, stored.outcome_state) == (None, None, None, None)
    row = db_session.get(Referral, referral.id)
    assert (row.state, row.version, row.discharged_at) == ("discharge_review", version + 1, None)
    assert reviews.pending_review(db_session, referral.id).id == review.id
    assert [r.id for r in reviews.review_queue(db_session, REQUESTED).rows] == [review.id]
    event = db_session.scalars(select(Event).where(Event.action == actions.DISCHARGE_REQUESTED)).one()
    assert (event.entity_type, event.entity_id, event.referral_id, event.actor_id, event.occurred_at) == (
        "senior_review", review.id, referral.id, actor.user_id, REQUESTED)
    assert json.loads(event.data) == {"from": "in_treatment", "to": "discharge_review", "version": version + 1,
                                      "reason": "moved_away", "reason_text": "Moved to Cornwall", "dna_count": 0,
                                      "summary": "Discharge requested: Moved out of the area"}
    assert event_chain.verify(db_session).ok


@pytest.mark.parametrize(("reason", "text", "fields"), [
    (None, "Goals met", {"reason"}),
    ("", "Goals met", {"reason"}),
    ("bored", "Goals met", {"reason"}),
    ("treatment_complete", "", {"reason_text"}),
    ("treatment_complete", None, {"reason_text"}),
    ("nope", "", {"reason", "reason_text"}),
])
def test_request_discharge_validation(db_session, clinician, reason, text, fields):
    referral = in_treatment(db_session, clinician)
    db_session.commit()
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        ask(db_session, clinician, referral, reason=reason, text=text)
    assert set(exc.value.errors) == fields
    assert count(db_session, SeniorReview) == 0
    assert db_session.get(Referral, referral.id).state == "in_treatment"


def test_non_attendance_waits_for_the_barrier_check(db_session, clinician):
    referral = accepted(db_session, clinician)
    check = miss(db_session, clinician, referral)
    db_session.commit()
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        ask(db_session, clinician, referral, reason="non_attendance", text="Missed the first appointment")
    assert set(exc.value.errors) == {"reason"}
    assert "barrier check" in exc.value.errors["reason"]
    assert (db_session.get(Referral, referral.id).state, count(db_session, SeniorReview)) == ("accepted", 0)
    complete(db_session, clinician, db_session.get(BarrierCheck, check.id))
    review = ask(db_session, clinician, referral, reason="non_attendance", text="Declines further appointments")
    assert (review.reason, review.dna_count, review.referral.state) == ("non_attendance", 1, "discharge_review")


def test_no_request_while_an_appointment_is_booked(db_session, clinician):
    referral = in_treatment(db_session, clinician)
    booked = book(db_session, clinician, referral, starts_at=SECOND_SLOT, now=SLOT + timedelta(hours=2))
    db_session.commit()
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        ask(db_session, clinician, referral)
    assert set(exc.value.errors) == {"reason"}
    assert count(db_session, SeniorReview) == 0
    appointments.record_outcome(db_session, clinician, db_session.get(Appointment, booked.id), 1, "cancelled_patient",
                                "No longer needed", now=SLOT + timedelta(days=2))
    assert ask(db_session, clinician, referral).referral.state == "discharge_review"


def test_no_request_while_a_review_is_pending(db_session, clinician):
    referral = accepted(db_session, clinician)
    attendance = flagged_by_dnas(db_session, clinician, referral)
    db_session.commit()
    with nothing_written(db_session), pytest.raises(TransitionNotAllowed):
        ask(db_session, clinician, referral, reason="patient_choice", text="Asked to stop")
    assert [r.id for r in reviews.reviews_for(db_session, referral.id)] == [attendance.id]
    assert db_session.get(Referral, referral.id).state == "accepted"


def test_a_double_submitted_request_names_the_first_review(db_session, clinician):
    """The same form posted twice (a double click) carries the same token and the same version it was loaded
    with: the second post must be recognised as a duplicate, as booking and raising a concern do."""
    referral = in_treatment(db_session, clinician)
    db_session.commit()
    loaded = referral.version
    first = discharge.request_discharge(db_session, clinician, referral, loaded, "treatment_complete", "Goals met",
                                        submission_token="tok-double", now=REQUESTED)
    db_session.commit()
    before = head(db_session)
    # Correct behaviour: DuplicateSubmission naming the first review (the route then shows it was already sent).
    # discharge.request_discharge checks the version and the state before reviews.open_review looks at the token,
    # so today the replay raises StaleRecord (or TransitionNotAllowed) instead.
    with pytest.raises(DuplicateSubmission) as dup:
        discharge.request_discharge(db_session, clinician, referral, loaded, "treatment_complete", "Goals met",
                                    submission_token="tok-double", now=REQUESTED + timedelta(seconds=1))
    assert dup.value.existing_id == first.id
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, SeniorReview) == 1


def test_a_reused_token_raises_duplicate_submission_with_the_first_review(db_session, clinician, senior):
    referral = in_treatment(db_session, clinician)
    first = ask(db_session, clinician, referral, token="tok-reused")
    decide(db_session, senior, first, CONTINUE)
    db_session.commit()
    before = head(db_session)
    with pytest.raises(DuplicateSubmission) as dup:
        ask(db_session, clinician, referral, token="tok-reused")
    assert dup.value.existing_id == first.id
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, SeniorReview) == 1
    assert db_session.get(Referral, referral.id).state == "in_treatment"


@pytest.mark.parametrize("role", ["booking", "auditor", "manager"])
def test_only_clinicians_and_seniors_request_discharge(db_session, clinician, role):
    actor = staff(db_session, role)
    referral = in_treatment(db_session, clinician)
    db_session.commit()
    with nothing_written(db_session), pytest.raises(NotPermitted):
        ask(db_session, actor, referral)
    assert (db_session.get(Referral, referral.id).state, count(db_session, SeniorReview)) == ("in_treatment", 0)


@pytest.mark.parametrize("state", ["received", "rejection_review", "rejected", "discharge_review", "discharged"])
def test_discharge_is_requested_only_from_accepted_or_in_treatment(db_session, clinician, senior, state):
    refused_in(db_session, state, clinician, senior, SeniorReview,
               lambda referral: ask(db_session, clinician, referral, reason="other", text="Try anyway"))


def test_request_with_a_stale_version(db_session, clinician):
    referral = in_treatment(db_session, clinician)
    db_session.commit()
    before = head(db_session)
    with pytest.raises(StaleRecord) as stale:
        discharge.request_discharge(db_session, clinician, referral, referral.version - 1, "treatment_complete",
                                    "Goals met", now=REQUESTED)
    assert actions.FIRST_CONTACT in stale.value.changes
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, SeniorReview) == 0


# --- What blocks a discharge ---------------------------------------------------------------------

def test_an_open_barrier_check_blocks_approval_until_completed(db_session, clinician, senior):
    referral = accepted(db_session, clinician)
    check = miss(db_session, clinician, referral)
    review = ask(db_session, clinician, referral, reason="moved_away", text="Moved to Cornwall")
    db_session.commit()
    assert set(discharge.discharge_blocks(db_session, referral)) == {"decision"}
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        decide(db_session, senior, review, APPROVE)
    assert set(exc.value.errors) == {"decision"}
    assert "barrier check" in exc.value.errors["decision"]
    assert (db_session.get(SeniorReview, review.id).decided_at, referral.state) == (None, "discharge_review")
    check = db_session.get(BarrierCheck, check.id)
    attempt(db_session, clinician, check, at=SLOT + timedelta(hours=2), reached=True)
    complete(db_session, clinician, check, "declined", at=SLOT + timedelta(hours=3))
    assert discharge.discharge_blocks(db_session, referral) == {}
    decide(db_session, senior, review, APPROVE)
    assert (referral.state, referral.discharge_reason) == ("discharged", "moved_away")


def test_an_open_barrier_check_blocks_approval_but_not_continuing(db_session, clinician, senior):
    review = flagged_by_dnas(db_session, clinician, accepted(db_session, clinician), complete_second=False)
    db_session.commit()
    before = head(db_session)
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        decide(db_session, senior, review, APPROVE)
    assert set(exc.value.errors) == {"decision"}
    review = db_session.get(SeniorReview, review.id)
    decide(db_session, senior, review, CONTINUE)
    assert actions_since(db_session, before) == [actions.ENGAGEMENT_CONTINUED]
    assert (review.decision, review.referral.state) == ("continue", "accepted")


def test_a_booked_appointment_blocks_approval(db_session, clinician, senior):
    referral = accepted(db_session, clinician)
    review = flagged_by_dnas(db_session, clinician, referral)
    book(db_session, clinician, referral, starts_at=SECOND_SLOT + timedelta(days=7),
         now=SECOND_SLOT + timedelta(hours=4))
    db_session.commit()
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        decide(db_session, senior, review, APPROVE)
    assert set(exc.value.errors) == {"decision"}
    assert "booked" in exc.value.errors["decision"]
    assert db_session.get(Referral, referral.id).state == "accepted"


def test_an_open_concern_blocks_discharge_unless_the_senior_records_why_it_is_safe(db_session, clinician,
                                                                                    senior):
    referral = in_treatment(db_session, clinician)
    concern = safeguarding.raise_concern(db_session, clinician, referral,
                                         ConcernDetails("self_neglect", "Flat unheated"), now=SLOT + timedelta(days=1))
    review = ask(db_session, clinician, referral)  # a concern does not stop the request, only the discharge
    db_session.commit()
    assert set(discharge.discharge_blocks(db_session, referral)) == {"safe_despite_concern"}
    before = head(db_session)
    for safe in (None, ""):
        with pytest.raises(InvalidInput) as exc:
            decide(db_session, senior, review, Decision("approved", "Goals met", safe_despite_concern=safe))
        assert set(exc.value.errors) == {"safe_despite_concern"}
        db_session.rollback()
    assert actions_since(db_session, before) == []
    assert db_session.get(Referral, referral.id).state == "discharge_review"

    why = "Social care now visits daily; the concern is theirs to close"
    review = db_session.get(SeniorReview, review.id)
    decide(db_session, senior, review, Decision("approved", "Goals met", safe_despite_concern=why))
    db_session.commit()
    assert actions_since(db_session, before) == [actions.REFERRAL_DISCHARGED]
    db_session.expire_all()
    stored = db_session.get(SeniorReview, review.id)
    assert (stored.decision, stored.safe_despite_concern, stored.outcome_state) == ("approved", why, "discharged")
    assert data_of(db_session, actions.REFERRAL_DISCHARGED)[0]["safe_despite_concern"] == why
    # The concern stays open (and on the banner) after the referral is discharged.
    assert db_session.get(SafeguardingConcern, concern.id).status == "open"
    assert [c.id for c in db_session.get(Referral, referral.id).patient.open_concerns] == [concern.id]


def test_a_concern_raised_on_the_patients_other_referral_also_blocks(db_session, clinician, senior):
    referral = in_treatment(db_session, clinician)
    other = make_referral(db_session, received_at=RECEIVED, nhs_number=referral.patient.nhs_number)
    assert other.patient_id == referral.patient_id
    safeguarding.raise_concern(db_session, clinician, other, ConcernDetails("domestic_abuse", "Disclosed at triage"),
                               now=SLOT)
    review = ask(db_session, clinician, referral)
    db_session.commit()
    with pytest.raises(InvalidInput) as exc:
        decide(db_session, senior, review, APPROVE)
    assert set(exc.value.errors) == {"safe_despite_concern"}


def test_closing_the_concern_unblocks_the_discharge(db_session, clinician, senior, other_senior):
    referral = in_treatment(db_session, clinician)
    concern = safeguarding.raise_concern(db_session, clinician, referral,
                                         ConcernDetails("exploitation_risk", "Cuckooing suspected"), now=SLOT)
    review = ask(db_session, clinician, referral)
    db_session.commit()
    with pytest.raises(InvalidInput):
        decide(db_session, senior, review, APPROVE)
    db_session.rollback()
    concern = db_session.get(SafeguardingConcern, concern.id)
    safeguarding.close_concern(db_session, other_senior, concern, concern.version, "Police involved",
                               "Closed by the multi-agency review", now=REQUESTED + timedelta(hours=1))
    db_session.commit()
    assert discharge.discharge_blocks(db_session, referral) == {}
    before = head(db_session)
    decide(db_session, senior, db_session.get(SeniorReview, review.id), APPROVE)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.REFERRAL_DISCHARGED]
    db_session.expire_all()
    assert db_session.get(Referral, referral.id).state == "discharged"
    assert db_session.get(SeniorReview, review.id).safe_despite_concern is None


def test_both_blocks_at_once_and_the_safe_text_answers_only_the_concern(db_session, clinician, senior):
    referral = accepted(db_session, clinician)
    miss(db_session, clinician, referral)
    safeguarding.raise_concern(db_session, clinician, referral, CONCERN, now=SLOT + timedelta(hours=2))
    review = ask(db_session, clinician, referral, reason="moved_away", text="Moved to Cornwall")
    assert set(discharge.discharge_blocks(db_session, referral)) == {"decision", "safe_despite_concern"}
    with pytest.raises(InvalidInput) as exc:
        decide(db_session, senior, review, Decision("approved", "Moved", safe_despite_concern="Local team has it"))
    assert set(exc.value.errors) == {"decision"}


# --- Continue engagement: back to triage ---------------------------------------------------------

@pytest.mark.parametrize("kind", ["discharge", "attendance"])
def test_continue_by_returning_to_the_top_of_triage(db_session, clinician, senior, kind):
    referral = accepted(db_session, clinician)
    if kind == "discharge":
        review = ask(db_session, clinician, referral, reason="patient_choice", text="Not sure they want it")
    else:
        review = flagged_by_dnas(db_session, clinician, referral)
    waiting = make_referral(db_session, received_at="2026-06-01 08:00")  # due long before the decision
    db_session.commit()
    state_before, version, before = referral.state, referral.version, head(db_session)
    decision = Decision("continue", "Wrong pathway for this patient", plan="Triage again for frailty",
                        return_to_triage=True)
    decide(db_session, senior, review, decision)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.ENGAGEMENT_CONTINUED]
    db_session.expire_all()
    row = db_session.get(Referral, referral.id)
    assert (row.state, row.triage_priority, row.triage_due_at, row.triaged_at) == ("received", 0, DECIDED, None)
    assert db_session.get(SeniorReview, review.id).outcome_state == "received"
    data = data_of(db_session, actions.ENGAGEMENT_CONTINUED)[0]
    assert (data["from"], data["to"], data["version"], data["plan"]) == (
        state_before, "received", version + 1, "Triage again for frailty")
    worklist = triage.triage_worklist(db_session, triage.WorklistFilters(), DECIDED).rows
    assert [r.id for r in worklist] == [referral.id, waiting.id]


@pytest.mark.parametrize("choice", ["continue", "safeguarding"])
def test_no_return_to_triage_after_first_contact(db_session, clinician, senior, choice):
    review = ask(db_session, clinician, in_treatment(db_session, clinician))
    db_session.commit()
    before = head(db_session)
    decision = Decision(choice, "Wrong pathway", plan="Triage again", return_to_triage=True, concern=CONCERN)
    with pytest.raises(InvalidInput) as exc:
        decide(db_session, senior, review, decision)
    assert set(exc.value.errors) == {"return_to_triage"}
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, SafeguardingConcern) == 0
    stored = db_session.get(SeniorReview, review.id)
    assert (stored.decided_at, stored.referral.state, stored.referral.triage_priority) == (
        None, "discharge_review", 1)


# --- What every decision needs -------------------------------------------------------------------

@pytest.fixture
def three_reviews(db_session, clinician) -> dict[str, SeniorReview]:
    found = {kind: pending(db_session, kind, clinician) for kind in KINDS}
    db_session.commit()
    return found


@pytest.mark.parametrize(("decision", "fields"), [
    (Decision("approved", ""), {"rationale"}),
    (Decision("approved", None), {"rationale"}),
    (Decision("continue", "", plan="A plan"), {"rationale"}),
    (Decision("safeguarding", "", concern=CONCERN), {"rationale"}),
    (Decision("continue", "Keep going"), {"plan"}),
    (Decision("continue", "Keep going", plan=""), {"plan"}),
    (Decision("continue", ""), {"rationale", "plan"}),
    (Decision("safeguarding", "Worried"), {"category", "concern"}),
    (Decision("safeguarding", "Worried", concern=ConcernDetails("", "Unkempt")), {"category"}),
    (Decision("safeguarding", "Worried", concern=ConcernDetails("witchcraft", "Unkempt")), {"category"}),
    (Decision("safeguarding", "Worried", concern=ConcernDetails("self_neglect", "")), {"concern"}),
    (Decision("discharge", "Just do it"), {"decision"}),
    (Decision("", "Just do it"), {"decision"}),
])
def test_a_decision_missing_what_it_needs_writes_nothing(db_session, senior, three_reviews, decision, fields):
    states = {kind: review.referral.state for kind, review in three_reviews.items()}
    before = head(db_session)
    for kind, review in three_reviews.items():
        with pytest.raises(InvalidInput) as exc:
            decide(db_session, senior, review, decision)
        assert set(exc.value.errors) == fields, kind
        assert actions_since(db_session, before) == []  # refused before anything was written
        db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, SafeguardingConcern) == 0
    for kind, review in three_reviews.items():
        stored = db_session.get(SeniorReview, review.id)
        assert (stored.decided_at, stored.decision, stored.referral.state) == (None, None, states[kind])
    assert reviews.count_pending(db_session) == 3


def test_a_stale_referral_version_is_refused(db_session, senior, three_reviews):
    before = head(db_session)
    for review in three_reviews.values():
        with pytest.raises(StaleRecord):
            decide(db_session, senior, review, CONTINUE, version=review.referral.version - 1)
        db_session.rollback()
    assert actions_since(db_session, before) == []
    assert reviews.count_pending(db_session) == 3


def test_a_decided_review_is_not_decided_again(db_session, senior, other_senior, three_reviews):
    review = three_reviews["discharge"]
    decide(db_session, senior, review, CONTINUE)
    db_session.commit()
    before = head(db_session)
    for decision in DECISIONS.values():
        with pytest.raises(TransitionNotAllowed):
            decide(db_session, other_senior, review, decision)
        db_session.rollback()
    assert actions_since(db_session, before) == []
    stored = db_session.get(SeniorReview, review.id)
    assert (stored.decision, stored.decided_by, stored.referral.state) == ("continue", senior.user_id,
                                                                           "in_treatment")


# --- The senior review list after missed appointments --------------------------------------------

@pytest.mark.parametrize("choice", ["continue", "safeguarding"])
def test_after_a_decision_a_further_dna_opens_a_new_review(db_session, clinician, senior, choice):
    referral = accepted(db_session, clinician)
    first = flagged_by_dnas(db_session, clinician, referral)
    assert (referral.senior_review_reason, referral.senior_review_flagged_at) == (
        "2 missed appointments", SECOND_SLOT + timedelta(hours=1))
    decide(db_session, senior, first, DECISIONS[choice])
    db_session.commit()
    assert (referral.senior_review_reason, referral.senior_review_flagged_at) == (None, None)
    third_slot = SECOND_SLOT + timedelta(days=14)
    appointment = book(db_session, clinician, referral, starts_at=third_slot, now=DECIDED)
    db_session.commit()
    before = head(db_session)
    appointments.record_outcome(db_session, clinician, appointment, appointment.version, "dna",
                                now=third_slot + timedelta(hours=1))
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_DNA, actions.BARRIER_CHECK_OPENED,
                                                 actions.SENIOR_REVIEW_FLAGGED]
    db_session.expire_all()
    second = reviews.pending_review(db_session, referral.id)
    assert second.id != first.id
    assert (second.kind, second.reason_text, second.dna_count, second.opened_at) == (
        "attendance", "3 missed appointments", 3, third_slot + timedelta(hours=1))
    row = db_session.get(Referral, referral.id)
    assert (row.senior_review_reason, row.senior_review_flagged_at) == (
        "3 missed appointments", third_slot + timedelta(hours=1))
    assert [r.id for r in reviews.reviews_for(db_session, referral.id)] == [first.id, second.id]
    assert data_of(db_session, actions.SENIOR_REVIEW_FLAGGED, before) == [
        {"reason": "3 missed appointments", "review_id": second.id}]


def test_while_a_review_is_pending_a_further_dna_opens_no_second_one(db_session, clinician):
    referral = accepted(db_session, clinician)
    first = flagged_by_dnas(db_session, clinician, referral)
    before = head(db_session)
    miss(db_session, clinician, referral, starts_at=SECOND_SLOT + timedelta(days=14), booked_at=DECIDED)
    assert actions.SENIOR_REVIEW_FLAGGED not in actions_since(db_session, before)
    assert [r.id for r in reviews.reviews_for(db_session, referral.id)] == [first.id]


# --- A discharged referral is read-only ----------------------------------------------------------

def test_a_discharged_referral_is_read_only(db_session, clinician, senior):
    referral = in_state(db_session, "discharged", clinician, senior)
    db_session.commit()
    version, before = referral.version, head(db_session)
    with pytest.raises(TransitionNotAllowed):
        book(db_session, clinician, referral, starts_at=DECIDED + timedelta(days=3), now=DECIDED)
    db_session.rollback()
    with pytest.raises(TransitionNotAllowed):
        ask(db_session, clinician, referral, now=DECIDED)
    db_session.rollback()
    with pytest.raises(TransitionNotAllowed):
        safeguarding.raise_concern(db_session, clinician, referral, CONCERN, now=DECIDED)
    db_session.rollback()
    assert actions_since(db_session, before) == []
    row = db_session.get(Referral, referral.id)
    assert (row.state, row.version) == ("discharged", version)
    assert (count(db_session, SeniorReview), count(db_session, SafeguardingConcern)) == (1, 0)
    assert count(db_session, Appointment) == 1


# --- Lost contact --------------------------------------------------------------------------------

def contact(session, referral) -> tuple[int, bool]:
    """The unreached attempts since the referral's last contact, and whether contact is lost."""
    return discharge.unreached_since_last_contact(session, referral), discharge.lost_contact(session, referral)


def test_three_unreached_attempts_since_the_dna_are_lost_contact(db_session, clinician):
    referral = accepted(db_session, clinician)
    assert contact(db_session, referral) == (0, False)
    check = miss(db_session, clinician, referral)
    for n in (1, 2):
        attempt(db_session, clinician, check, at=SLOT + timedelta(hours=1 + n))
        assert contact(db_session, referral) == (n, False)
    attempt(db_session, clinician, check, at=SLOT + timedelta(hours=4))
    assert contact(db_session, referral) == (3, True)
    assert reviews.pending_review(db_session, referral.id).kind == "attendance"
    attempt(db_session, clinician, check, at=SLOT + timedelta(hours=5))
    assert contact(db_session, referral) == (4, True)


def test_a_reached_attempt_resets_the_count(db_session, clinician):
    referral = accepted(db_session, clinician)
    check = miss(db_session, clinician, referral)
    for hours in (2, 3):
        attempt(db_session, clinician, check, at=SLOT + timedelta(hours=hours))
    attempt(db_session, clinician, check, at=SLOT + timedelta(hours=4), reached=True)
    assert contact(db_session, referral) == (0, False)
    attempt(db_session, clinician, check, at=SLOT + timedelta(hours=5))
    attempt(db_session, clinician, check, at=SLOT + timedelta(hours=6))
    assert contact(db_session, referral) == (2, False)
    attempt(db_session, clinician, check, at=SLOT + timedelta(hours=7))
    assert contact(db_session, referral) == (3, True)


def test_an_attended_appointment_resets_the_count_and_later_checks_add_up(db_session, clinician):
    referral = accepted(db_session, clinician)
    first = miss(db_session, clinician, referral)
    for hours in (2, 3, 4):
        attempt(db_session, clinician, first, at=SLOT + timedelta(hours=hours))
    complete(db_session, clinician, first, "not_reached", at=SLOT + timedelta(hours=5))
    assert contact(db_session, referral) == (3, True)
    attend(db_session, clinician, referral, starts_at=SECOND_SLOT, booked_at=SLOT + timedelta(hours=6))
    assert contact(db_session, referral) == (0, False)
    # Unreached attempts on two later checks count together: contact is lost across missed appointments.
    second = miss(db_session, clinician, referral, starts_at=SECOND_SLOT + timedelta(days=7),
                  booked_at=SECOND_SLOT + timedelta(hours=2))
    for days in (1, 2):
        attempt(db_session, clinician, second, at=SECOND_SLOT + timedelta(days=7 + days))
    complete(db_session, clinician, second, "not_reached", at=SECOND_SLOT + timedelta(days=10))
    third = miss(db_session, clinician, referral, starts_at=SECOND_SLOT + timedelta(days=14),
                 booked_at=SECOND_SLOT + timedelta(days=10, hours=1))
    assert contact(db_session, referral) == (2, False)
    attempt(db_session, clinician, third, at=SECOND_SLOT + timedelta(days=15))
    assert contact(db_session, referral) == (3, True)


def test_other_referrals_attempts_do_not_count(db_session, clinician):
    referral, other = accepted(db_session, clinician), accepted(db_session, clinician)
    check = miss(db_session, clinician, other)
    for hours in (2, 3, 4):
        attempt(db_session, clinician, check, at=SLOT + timedelta(hours=hours))
    assert (contact(db_session, other), contact(db_session, referral)) == ((3, True), (0, False))


# --- The review queue ----------------------------------------------------------------------------

def test_review_queue_runs_by_when_each_review_falls_due_and_leaves_out_decided_ones(db_session, clinician,
                                                                                     senior):
    # Requests made out of order: the queue sorts by when each falls due, 48 hours after it opened.
    later = ask(db_session, clinician, in_treatment(db_session, clinician), now=REQUESTED + timedelta(days=1))
    oldest = ask(db_session, clinician, in_treatment(db_session, clinician), now=REQUESTED)
    decided = ask(db_session, clinician, in_treatment(db_session, clinician), now=REQUESTED + timedelta(hours=1))
    today = ask(db_session, clinician, in_treatment(db_session, clinician), now=REQUESTED + timedelta(hours=2))
    db_session.commit()
    now = REQUESTED + timedelta(hours=49)  # 11:00 UTC on the Wednesday: the 12:00 one is due today
    assert reviews.review_queue(db_session, now).rows == [oldest, decided, today, later]
    decide(db_session, senior, decided, CONTINUE)
    db_session.commit()
    page = reviews.review_queue(db_session, now)
    assert [(group.heading, [entry.item for entry in group.entries]) for group in page.groups] == [
        ("Overdue", [oldest]), ("Due today", [today]), ("Due later", [later])]
    assert page.groups[1].entries[0].due == REQUESTED + timedelta(hours=50)
    assert reviews.review_queue(db_session, now, page=2, per_page=2).rows == [later]


# --- Re-referral ---------------------------------------------------------------------------------

def referral_raw(**overrides) -> dict:
    row = intake_row(**{"received_at": "2026-06-25 09:00", "reason": "Knee pain again", **overrides})
    return {name: row[name] for name in intake.REFERRAL_FIELDS}


@pytest.mark.parametrize("state", ["discharged", "rejected"])
def test_re_refer_a_closed_referral(db_session, clinician, senior, state):
    previous = in_state(db_session, state, clinician, senior)
    db_session.commit()
    version, before = previous.version, head(db_session)
    raw = referral_raw()
    new = intake.re_refer(db_session, clinician, previous, raw, now=RE_REFERRED)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.REFERRAL_RECEIVED, actions.REFERRAL_RE_REFERRED]
    db_session.expire_all()
    row = db_session.get(Referral, new.id)
    assert row.id != previous.id
    assert (row.state, row.previous_referral_id, row.patient_id, row.reason, row.external_ref) == (
        "received", previous.id, previous.patient_id, "Knee pain again", raw["external_ref"])
    assert (row.triage_priority, row.first_contact_at, row.discharged_at, row.version) == (1, None, None, 1)
    old = db_session.get(Referral, previous.id)
    assert (old.state, old.version) == (state, version)  # the closed referral stays as it was
    received = db_session.scalars(select(Event).where(Event.seq > before,
                                                      Event.action == actions.REFERRAL_RECEIVED)).one()
    assert (received.entity_type, received.entity_id, received.referral_id, received.actor_id) == (
        "referral", new.id, new.id, clinician.user_id)
    received_data = json.loads(received.data)
    assert (received_data["previous_referral_id"], received_data["linked_existing_patient"]) == (previous.id, True)
    re_referred = db_session.scalars(select(Event).where(Event.action == actions.REFERRAL_RE_REFERRED)).one()
    assert (re_referred.entity_type, re_referred.entity_id, re_referred.referral_id, re_referred.patient_id,
            re_referred.occurred_at) == ("referral", previous.id, previous.id, previous.patient_id, RE_REFERRED)
    assert json.loads(re_referred.data) == {"new_referral_id": new.id, "summary": f"Re-referred as referral {new.id}"}
    assert event_chain.verify(db_session).ok


def test_a_re_referral_is_flagged_from_the_patients_record(db_session, senior, clinician):
    upheld = proposed_rejection(db_session, clinician)
    decide(db_session, senior, upheld, APPROVE)
    previous = upheld.referral
    assert (previous.state, previous.flags) == ("rejected", ["housing"])
    new = intake.re_refer(db_session, clinician, previous, referral_raw(), now=RE_REFERRED)
    assert (new.flags, new.flagged, new.previous_referral_id) == (["housing"], True, previous.id)


@pytest.mark.parametrize("state", ["received", "accepted", "in_treatment", "discharge_review", "rejection_review"])
def test_only_a_closed_referral_is_re_referred(db_session, clinician, senior, state):
    refused_in(db_session, state, clinician, senior, Referral,
               lambda previous: intake.re_refer(db_session, clinician, previous, referral_raw(), now=RE_REFERRED))


@pytest.mark.parametrize(("overrides", "fields"), [
    ({"pathway": "astrology"}, {"pathway"}),
    ({"reason": ""}, {"reason"}),
    ({"urgency": "whenever"}, {"urgency"}),
    ({"received_at": "2026-06-26 09:00"}, {"received_at"}),  # after RE_REFERRED: in the future
    ({"received_at": "yesterday"}, {"received_at"}),
    ({"referrer_name": "", "referrer_contact": ""}, {"referrer_name", "referrer_contact"}),
])
def test_re_referral_fields_are_validated(db_session, clinician, senior, overrides, fields):
    previous = in_state(db_session, "discharged", clinician, senior)
    db_session.commit()
    referrals, before = count(db_session, Referral), head(db_session)
    with pytest.raises(InvalidInput) as exc:
        intake.re_refer(db_session, clinician, previous, referral_raw(**overrides), now=RE_REFERRED)
    assert set(exc.value.errors) == fields
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, Referral) == referrals


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_read_only_roles_cannot_re_refer(db_session, clinician, senior, role):
    previous = in_state(db_session, "discharged", clinician, senior)
    actor = staff(db_session, role)
    with pytest.raises(NotPermitted):
        intake.re_refer(db_session, actor, previous, referral_raw(), now=RE_REFERRED)
