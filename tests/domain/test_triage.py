"""Triage: the booking script, the four outcomes and their events, senior sign-off, locking, the worklist."""
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, clarification, discharge, event_chain, reviews, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.triage import BookingScript, WorklistFilters, suggest_adjustments, suggest_formats
from inclusive_access.extensions import db
from inclusive_access.models import Clarification, Event, ReasonableAdjustment, Referral, TriageRecord
from tests.conftest import make_app
from tests.event_log import actions_since, count, head, nothing_written
from tests.factories import make_referral, make_user, staff

NOW = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)  # a Monday
SCRIPT = BookingScript(
    contact_method="telephone", contact_times="Weekday mornings", safe_to_leave_message=True,
    interpreter_needed=False, language="", communication_needs="", mobility="none", caring_or_work="",
    digital_access="phone_only",
)
ADJUSTMENTS = [{"category": "timing", "description": "Morning appointments"}]
CLARIFY = {"question": "How long has the knee been swollen?", "channel": "telephone", "contact_name": "Dr Example"}


# --- Helpers -------------------------------------------------------------------------------------

def event_data(session, action: str) -> dict:
    return json.loads(session.scalars(select(Event.data).where(Event.action == action)).one())


def new_referral(session, received_at="2026-02-02 09:00", **overrides) -> Referral:
    referral = make_referral(session, received_at=received_at, **overrides)
    session.commit()
    return referral


def triage_it(session, actor, referral, outcome, **kwargs):
    return triage.triage_referral(session, actor, referral, referral.version, SCRIPT, kwargs.pop("adjustments", []),
                                  outcome, now=kwargs.pop("now", NOW), **kwargs)


# --- Accept --------------------------------------------------------------------------------------

def test_accept_stores_the_script_records_its_adjustment_and_writes_three_events(db_session, booker):
    referral = new_referral(db_session)
    assert referral.version == 1
    before = head(db_session)
    record = triage.triage_referral(db_session, booker, referral, 1, SCRIPT, ADJUSTMENTS, "accept", now=NOW)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.TRIAGE_SCRIPT_RECORDED, actions.ADJUSTMENT_RECORDED,
                                                 actions.TRIAGE_ACCEPTED]
    db_session.expire_all()
    assert referral.state == "accepted"
    assert referral.triaged_at == NOW
    assert referral.version == 2
    stored = db_session.scalars(select(TriageRecord)).one()
    assert stored.id == record.id
    assert stored.referral_id == referral.id
    assert stored.answers == SCRIPT.as_dict()
    assert stored.answers["safe_to_leave_message"] is True
    assert stored.suggested_formats == ["telephone", "clinic"]
    assert stored.proposed_adjustments == ADJUSTMENTS
    assert stored.outcome == "accepted"
    assert stored.recorded_by == booker.user_id
    assert stored.recorded_at == NOW
    accepted = event_data(db_session, actions.TRIAGE_ACCEPTED)
    assert accepted["from"] == "received"
    assert accepted["to"] == "accepted"
    assert accepted["version"] == 2
    script = event_data(db_session, actions.TRIAGE_SCRIPT_RECORDED)
    assert script["answers"] == SCRIPT.as_dict()
    assert script["proposed_adjustments"] == ADJUSTMENTS
    assert script["suggested_formats"] == ["telephone", "clinic"]
    event = db_session.scalars(select(Event).where(Event.action == actions.TRIAGE_ACCEPTED)).one()
    assert (event.actor_id, event.actor_role, event.referral_id) == (booker.user_id, "booking", referral.id)
    assert event.occurred_at == NOW
    adjustment = db_session.scalars(select(ReasonableAdjustment)).one()
    assert (adjustment.patient_id, adjustment.category, adjustment.description, adjustment.source) == (
        referral.patient_id, "timing", "Morning appointments", "triage_script")
    assert event_chain.verify(db_session).ok


def test_an_unknown_outcome_is_refused_and_nothing_is_written(db_session, booker):
    referral = new_referral(db_session)
    before = head(db_session)
    with pytest.raises(InvalidInput) as exc:
        triage_it(db_session, booker, referral, "park")
    assert "outcome" in exc.value.errors
    assert actions_since(db_session, before) == []
    assert count(db_session, TriageRecord) == 0


def test_invalid_proposed_adjustment_is_refused(db_session, booker):
    referral = new_referral(db_session)
    before = head(db_session)
    for bad in ({"category": "magic", "description": "x"}, {"category": "timing", "description": ""}, {}):
        with pytest.raises(InvalidInput) as exc:
            triage_it(db_session, booker, referral, "accept", adjustments=[bad])
        assert "proposed_adjustments" in exc.value.errors
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert db_session.get(Referral, referral.id).state == "received"


def test_stale_version_is_refused_with_what_changed(db_session, booker, clinician):
    referral = new_referral(db_session)
    triage_it(db_session, booker, referral, "escalate", reason_text="Complex history")
    db_session.commit()
    before = head(db_session)
    with pytest.raises(StaleRecord) as stale:
        triage.triage_referral(db_session, clinician, referral, 1, SCRIPT, [], "accept", now=NOW)
    assert set(stale.value.changes) == {actions.TRIAGE_ESCALATED}
    assert stale.value.changes[actions.TRIAGE_ESCALATED]["by"] == "Test booking"
    assert stale.value.changes[actions.TRIAGE_ESCALATED]["value"] == "Escalated to senior triage"
    assert actions_since(db_session, before) == []


# --- Clarify -------------------------------------------------------------------------------------

def test_clarify_requests_a_clarification_due_in_24_hours(db_session, booker):
    referral = new_referral(db_session)
    before = head(db_session)
    record = triage_it(db_session, booker, referral, "clarify", clarify=CLARIFY)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.TRIAGE_SCRIPT_RECORDED, actions.CLARIFICATION_REQUESTED]
    assert referral.state == "awaiting_clarification"
    assert referral.version == 2
    assert referral.triaged_at is None
    assert record.outcome == "clarification"
    item = db_session.scalars(select(Clarification)).one()
    assert item.referral_id == referral.id
    assert (item.question, item.channel, item.contact_name) == (CLARIFY["question"], "telephone", "Dr Example")
    assert item.requested_at == NOW
    assert item.due_at == NOW + timedelta(hours=24)
    assert item.requested_by == booker.user_id
    event = db_session.scalars(select(Event).where(Event.action == actions.CLARIFICATION_REQUESTED)).one()
    assert (event.entity_type, event.entity_id) == ("clarification", item.id)
    data = json.loads(event.data)
    assert data["due_at"] == (NOW + timedelta(hours=24)).isoformat()
    assert (data["from"], data["to"]) == ("received", "awaiting_clarification")


def test_clarify_without_a_question_saves_nothing(db_session, booker):
    referral = new_referral(db_session)
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        triage_it(db_session, booker, referral, "clarify", clarify={**CLARIFY, "question": ""})
    assert set(exc.value.errors) == {"question"}
    assert count(db_session, Clarification) == 0
    assert count(db_session, TriageRecord) == 0
    assert db_session.get(Referral, referral.id).state == "received"


# --- Escalate ------------------------------------------------------------------------------------

def test_escalate_needs_a_reason(db_session, booker):
    referral = new_referral(db_session)
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        triage_it(db_session, booker, referral, "escalate", reason_text="")
    assert "reason_text" in exc.value.errors
    assert db_session.get(Referral, referral.id).triage_escalated_at is None


def test_escalate_waits_for_a_senior(db_session, booker, clinician, senior):
    referral = new_referral(db_session)
    before = head(db_session)
    record = triage_it(db_session, booker, referral, "escalate", reason_text="Safeguarding history unclear")
    db_session.commit()
    assert actions_since(db_session, before) == [actions.TRIAGE_SCRIPT_RECORDED, actions.TRIAGE_ESCALATED]
    assert referral.state == "received"
    assert referral.triage_escalated_at == NOW
    assert referral.version == 2
    assert record.outcome == "escalated"
    assert event_data(db_session, actions.TRIAGE_ESCALATED)["reason"] == "Safeguarding history unclear"

    before = head(db_session)
    with pytest.raises(NotPermitted):
        triage_it(db_session, booker, referral, "accept")
    with pytest.raises(NotPermitted):
        triage_it(db_session, clinician, referral, "accept")
    with pytest.raises(NotPermitted):
        triage_it(db_session, clinician, referral, "reject", reason_code="not_eligible", reason_text="No")
    assert actions_since(db_session, before) == []
    assert referral.state == "received"

    later = NOW + timedelta(hours=1)
    triage_it(db_session, senior, referral, "accept", now=later)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.TRIAGE_SCRIPT_RECORDED, actions.TRIAGE_ACCEPTED]
    assert referral.state == "accepted"
    assert referral.triaged_at == later
    record = db_session.scalars(select(TriageRecord)).one()  # one record per referral, revised
    assert (record.recorded_by, record.outcome) == (senior.user_id, "accepted")


def test_a_senior_can_reject_an_escalated_referral(db_session, booker, senior):
    referral = new_referral(db_session)
    triage_it(db_session, booker, referral, "escalate", reason_text="Unsure of eligibility")
    triage_it(db_session, senior, referral, "reject", reason_code="wrong_service", reason_text="Refer to podiatry")
    assert referral.state == "rejected"


# --- Reject --------------------------------------------------------------------------------------

#: patient -> (their details, the event a rejection writes, where the referral goes): a flagged patient's rejection
#: waits in rejection review for a senior
REJECTIONS = {
    "unflagged": ({}, actions.TRIAGE_REJECTED, "rejected"),
    "flagged": ({"housing_status": "temporary"}, actions.TRIAGE_REJECTION_PROPOSED, "rejection_review"),
}


@pytest.mark.parametrize("patient", REJECTIONS)
def test_a_rejection_keeps_its_reason_and_a_flagged_one_goes_to_rejection_review(db_session, clinician, patient):
    details, action, state = REJECTIONS[patient]
    referral = new_referral(db_session, **details)
    assert referral.flagged is bool(details)
    before = head(db_session)
    record = triage_it(db_session, clinician, referral, "reject", reason_code="not_eligible",
                       reason_text="Outside the service's age range")
    db_session.commit()
    assert actions_since(db_session, before) == [actions.TRIAGE_SCRIPT_RECORDED, action]
    assert (referral.state, record.outcome, referral.triaged_at) == (state, state, NOW)
    assert (referral.rejection_code, referral.rejection_text) == ("not_eligible", "Outside the service's age range")
    data = event_data(db_session, action)
    assert (data["code"], data["reason"], data["to"]) == ("not_eligible", "Outside the service's age range", state)


@pytest.mark.parametrize(("code", "text", "fields"), [
    (None, "Reason given", {"reason_code"}),
    ("made_up", "Reason given", {"reason_code"}),
    ("not_eligible", "", {"reason_text"}),
    ("not_eligible", None, {"reason_text"}),
    ("", "", {"reason_code", "reason_text"}),
])
def test_reject_needs_a_valid_code_and_text(db_session, clinician, code, text, fields):
    referral = new_referral(db_session)
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        triage_it(db_session, clinician, referral, "reject", reason_code=code, reason_text=text)
    assert set(exc.value.errors) == fields
    referral = db_session.get(Referral, referral.id)
    assert (referral.state, referral.rejection_code) == ("received", None)


@pytest.mark.parametrize("flagged", [False, True])
def test_booking_role_cannot_reject(db_session, booker, flagged):
    referral = new_referral(db_session, **({"housing_status": "temporary"} if flagged else {}))
    with nothing_written(db_session), pytest.raises(NotPermitted):
        triage_it(db_session, booker, referral, "reject", reason_code="duplicate", reason_text="Already referred")
    assert db_session.get(Referral, referral.id).state == "received"


@pytest.mark.parametrize("role", ["auditor", "manager"])
@pytest.mark.parametrize("outcome", triage.OUTCOMES)
def test_read_only_roles_cannot_triage(db_session, role, outcome):
    actor = staff(db_session, role)
    referral = new_referral(db_session)
    before = head(db_session)
    with pytest.raises(NotPermitted):
        triage_it(db_session, actor, referral, outcome, reason_code="other", reason_text="Because",
                  clarify=CLARIFY)
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, TriageRecord) == 0
    assert count(db_session, Clarification) == 0
    assert db_session.get(Referral, referral.id).state == "received"


# --- Rejection review ----------------------------------------------------------------------------

@pytest.fixture
def proposed(db_session, clinician):
    """A flagged referral a clinician proposed to reject."""
    referral = new_referral(db_session, housing_status="temporary")
    triage_it(db_session, clinician, referral, "reject", reason_code="not_eligible", reason_text="Out of area")
    db_session.commit()
    return referral


def decide_rejection(session, senior, referral, version, uphold: bool, rationale: str, now=None):
    """The senior's decision on the referral's pending rejection review: uphold, or return it to triage."""
    review = reviews.pending_review(session, referral.id)
    decision = discharge.Decision("approved" if uphold else "continue", rationale, plan=None if uphold else rationale)
    discharge.decide_review(session, senior, review, version, decision, now=now)


#: the senior's decision -> (uphold, the rationale, its event, where the referral goes)
REJECTION_DECISIONS = {
    "upheld": (True, "Out of area: agreed", actions.REJECTION_UPHELD, "rejected"),
    "overturned": (False, "In area after all", actions.REJECTION_OVERTURNED, "received"),
}


@pytest.mark.parametrize("decision", REJECTION_DECISIONS)
def test_a_senior_upholds_the_rejection_or_returns_it_to_the_top_of_triage(db_session, senior, proposed, decision):
    uphold, rationale, action, state = REJECTION_DECISIONS[decision]
    before = head(db_session)
    later = NOW + timedelta(hours=2)
    decide_rejection(db_session, senior, proposed, proposed.version, uphold, rationale, now=later)
    db_session.commit()
    assert actions_since(db_session, before) == [action]
    data = event_data(db_session, action)
    assert (proposed.state, data["from"], data["to"], data["rationale"]) == (state, "rejection_review", state,
                                                                             rationale)
    if not uphold:
        assert (proposed.triage_priority, proposed.triage_due_at) == (0, later), "top of triage, due now"


def test_rejection_review_needs_a_rationale(db_session, senior, proposed):
    before = head(db_session)
    for uphold in (True, False):
        with pytest.raises(InvalidInput) as exc:
            decide_rejection(db_session, senior, proposed, proposed.version, uphold, "")
        assert "rationale" in exc.value.errors
    assert actions_since(db_session, before) == []
    assert proposed.state == "rejection_review"


@pytest.mark.parametrize("uphold", [True, False])
def test_a_clinician_cannot_decide_a_rejection_review(db_session, clinician, proposed, uphold):
    with nothing_written(db_session), pytest.raises(NotPermitted):
        decide_rejection(db_session, clinician, proposed, proposed.version, uphold, "I decide")
    referral = db_session.get(Referral, proposed.id)
    assert (referral.state, referral.triage_priority) == ("rejection_review", 1)


def test_rejection_review_with_a_stale_version(db_session, senior, proposed):
    with pytest.raises(StaleRecord) as stale:
        decide_rejection(db_session, senior, proposed, 1, True, "Agreed")
    assert actions.TRIAGE_REJECTION_PROPOSED in stale.value.changes
    assert proposed.state == "rejection_review"


def test_a_decided_rejection_review_is_not_decided_again(db_session, senior, proposed):
    review = reviews.pending_review(db_session, proposed.id)
    decide_rejection(db_session, senior, proposed, proposed.version, True, "Agreed")
    with pytest.raises(TransitionNotAllowed):
        discharge.decide_review(db_session, senior, review, proposed.version,
                                discharge.Decision("continue", "No", "No"))
    assert (review.decision, proposed.state) == ("approved", "rejected")


def test_the_proposer_of_a_rejection_never_upholds_it(db_session, senior):
    referral = new_referral(db_session, housing_status="temporary")
    triage_it(db_session, senior, referral, "reject", reason_code="not_eligible", reason_text="Out of area")
    with pytest.raises(NotPermitted):
        decide_rejection(db_session, senior, referral, referral.version, True, "My own call")
    decide_rejection(db_session, senior, referral, referral.version, False, "Not mine to uphold: back to triage")
    assert referral.state == "received"


# --- The booking script's suggestions --------------------------------------------------------------

def test_interpreter_suggests_telephone_with_interpreter():
    script = replace(SCRIPT, interpreter_needed=True, language="Polish")
    assert suggest_formats(script) == ["telephone_interpreter", "clinic"]
    assert suggest_adjustments(script) == [
        {"category": "communication_support", "description": "Polish interpreter for every contact"}]


def test_interpreter_with_no_language_given():
    script = replace(SCRIPT, interpreter_needed=True, language="")
    assert suggest_adjustments(script)[0]["description"] == "Spoken language interpreter for every contact"


def test_housebound_suggests_a_home_visit():
    script = replace(SCRIPT, mobility="housebound")
    assert suggest_formats(script) == ["home_visit", "telephone"]
    assert suggest_adjustments(script) == [{"category": "environment_access", "description": "Home visits"}]


def test_travel_cost_suggests_a_community_venue_or_telephone():
    script = replace(SCRIPT, mobility="cost")
    assert suggest_formats(script) == ["community_venue", "telephone"]
    assert suggest_adjustments(script) == []
    assert suggest_formats(replace(SCRIPT, mobility="needs_help")) == ["community_venue", "telephone"]


def test_caring_or_work_suggests_an_evening_and_a_timing_adjustment():
    script = replace(SCRIPT, caring_or_work="School run 8-9 and 3-4")
    assert suggest_formats(script) == ["evening", "telephone", "clinic"]
    assert suggest_adjustments(script) == [
        {"category": "timing", "description": "Appointments that fit: School run 8-9 and 3-4"}]


def test_video_access_suggests_video():
    script = replace(SCRIPT, digital_access="video")
    assert suggest_formats(script) == ["video", "telephone", "clinic"]


def test_no_telephone_and_no_answers_falls_back_to_clinic():
    assert suggest_formats(replace(SCRIPT, digital_access="none", mobility="")) == ["clinic"]
    assert suggest_formats(replace(SCRIPT, digital_access="none")) == ["clinic"]


def test_nothing_needing_a_telephone_is_suggested_without_one():
    assert suggest_formats(replace(SCRIPT, mobility="cost", digital_access="none")) == ["community_venue"]
    no_phone_interpreter = replace(SCRIPT, interpreter_needed=True, language="Tigrinya", digital_access="none")
    assert suggest_formats(no_phone_interpreter) == ["home_visit", "clinic"]


def test_suggestions_are_not_repeated():
    script = replace(SCRIPT, mobility="cost", digital_access="video", caring_or_work="Shift work")
    assert suggest_formats(script) == ["community_venue", "video", "evening", "telephone"]


def test_several_needs_give_several_adjustments():
    script = replace(SCRIPT, interpreter_needed=True, language="Arabic", communication_needs="Easy read letters",
                     mobility="step_free", caring_or_work="Cares for mother", contact_method="carer")
    assert suggest_formats(script) == ["telephone_interpreter", "evening", "clinic"]
    assert [a["category"] for a in suggest_adjustments(script)] == [
        "communication_support", "information_format", "environment_access", "timing", "support_person"]
    assert suggest_adjustments(script)[1]["description"] == "Easy read letters"
    assert suggest_adjustments(script)[2]["description"] == "Step-free access"


def test_plain_answers_suggest_no_adjustments():
    assert suggest_adjustments(SCRIPT) == []


def test_suggested_formats_are_ones_the_script_offers():
    for mobility in triage.MOBILITY:
        for digital in triage.DIGITAL:
            for interpreter in (True, False, None):
                script = replace(SCRIPT, mobility=mobility, digital_access=digital,
                                 interpreter_needed=interpreter, caring_or_work="Work")
                assert set(suggest_formats(script)) <= set(triage.FORMATS)


# --- Two people triaging one referral at once ------------------------------------------------------

@pytest.fixture
def two_bookers(db_session):
    alice = make_user(db_session, role="booking", username="alice")
    alice.display_name = "Alice Ahmed"
    bob = make_user(db_session, role="booking", username="bob")
    bob.display_name = "Bob Brown"
    db_session.flush()
    return actor_for(alice), actor_for(bob)


@pytest.fixture
def race(database_url, db_session, two_bookers):
    """Alice and Bob, a received referral, and Bob's worker: a second app over the same database."""
    referral = new_referral(db_session)
    referral_id = referral.id
    db_session.commit()  # reading the id began a transaction: SQLite's BEGIN IMMEDIATE would block the other app
    other = make_app(database_url)
    yield *two_bookers, referral, referral_id, other
    with other.app_context():
        db.engine.dispose()


def test_two_sessions_the_second_is_told_what_changed_and_saves_nothing(db_session, race):
    alice, bob, referral, referral_id, other = race
    # Bob opens the triage page in another worker: version 1.
    with other.app_context():
        bob_seen = db.session.get(Referral, referral_id).version
        db.session.rollback()  # SQLite transactions begin IMMEDIATE: end the read before Alice writes
        db.session.remove()
    # Alice opened it at version 1 too; she accepts first.
    alice_seen = referral.version
    assert alice_seen == bob_seen == 1
    triage.triage_referral(db_session, alice, referral, alice_seen, SCRIPT, ADJUSTMENTS, "accept", now=NOW)
    db_session.commit()
    before = head(db_session)
    db_session.rollback()

    bob_script = replace(SCRIPT, contact_method="email", mobility="housebound")
    with other.app_context():
        session = db.session
        bob_referral = session.get(Referral, referral_id)
        with pytest.raises(StaleRecord) as stale:
            triage.triage_referral(session, bob, bob_referral, bob_seen, bob_script, [], "escalate",
                                   reason_text="Needs a senior", now=NOW + timedelta(minutes=1))
        session.rollback()
        db.session.remove()

    changes = stale.value.changes
    assert set(changes) == {actions.TRIAGE_ACCEPTED}
    assert changes[actions.TRIAGE_ACCEPTED]["by"] == "Alice Ahmed"
    assert changes[actions.TRIAGE_ACCEPTED]["value"] == "Accepted at triage"
    assert changes[actions.TRIAGE_ACCEPTED]["at"] == NOW
    assert "changed since you opened it" in str(stale.value)

    db_session.expire_all()
    assert actions_since(db_session, before) == []
    referral = db_session.get(Referral, referral_id)
    assert (referral.state, referral.version, referral.triage_escalated_at) == ("accepted", 2, None)
    record = db_session.scalars(select(TriageRecord)).one()
    assert record.answers == SCRIPT.as_dict()
    assert record.recorded_by == alice.user_id
    assert event_chain.verify(db_session).ok


def test_two_sessions_racing_the_stale_write_is_refused_at_flush(db_session, race):
    """Bob's worker loaded the row before Alice committed and still holds version 1 in memory."""
    alice, bob, referral, referral_id, other = race
    with other.app_context():
        bob_referral = db.session.get(Referral, referral_id)
        db.session.expunge(bob_referral)  # keep the version-1 snapshot across the end of the transaction
        db.session.rollback()
        db.session.remove()
    triage.triage_referral(db_session, alice, referral, 1, SCRIPT, ADJUSTMENTS, "accept", now=NOW)
    db_session.commit()
    before = head(db_session)
    db_session.rollback()

    with other.app_context():
        session = db.session
        session.add(bob_referral)
        assert bob_referral.version == 1
        with pytest.raises(StaleRecord, match="changed while you were saving"):
            triage.triage_referral(session, bob, bob_referral, 1, replace(SCRIPT, contact_method="email"), [],
                                   "accept", now=NOW + timedelta(minutes=1))
        session.rollback()
        db.session.remove()

    db_session.expire_all()
    assert actions_since(db_session, before) == []
    record = db_session.scalars(select(TriageRecord)).one()
    assert (record.answers["contact_method"], record.recorded_by) == ("telephone", alice.user_id)
    assert db_session.get(Referral, referral_id).version == 2
    assert event_chain.verify(db_session).ok


# --- The worklist --------------------------------------------------------------------------------

@pytest.fixture
def queue(db_session, booker):
    """Referrals in every position of the queue (received times are London = UTC in January)."""
    r = {}
    # Unflagged, Thursday 8 Jan -> due Tuesday 13 Jan 17:00 (created before its flagged equal)
    r["unflagged_tue"] = make_referral(db_session, received_at="2026-01-08 10:00")
    # Flagged, Tuesday 13 Jan 10:00 -> due the same day 17:00: equal due time
    r["flagged_tue"] = make_referral(db_session, received_at="2026-01-13 10:00", housing_status="temporary")
    # Flagged, Monday 12 Jan after the cut-off -> due Tuesday 12:00
    r["flagged_noon"] = make_referral(db_session, received_at="2026-01-12 16:00", interpreter_needed="yes",
                                      preferred_language="Polish")
    # Unflagged frailty, Monday 12 Jan -> due Thursday 15 Jan 17:00
    r["frailty"] = make_referral(db_session, received_at="2026-01-12 10:00", pathway="frailty")
    # Back from clarification: received long ago, answered on Wednesday 14 Jan at 08:00
    r["answered"] = make_referral(db_session, received_at="2026-01-05 10:00")
    asked = datetime(2026, 1, 13, 9, 0, tzinfo=UTC)
    item = clarification.request_clarification(db_session, booker, r["answered"], 1, now=asked, **CLARIFY)
    clarification.close_clarification(db_session, booker, item, item.version, "Three weeks", None,
                                      now=datetime(2026, 1, 14, 8, 0, tzinfo=UTC))
    # Not awaiting triage: accepted, awaiting clarification, proposed for rejection
    r["accepted"] = make_referral(db_session, received_at="2026-01-02 10:00", housing_status="temporary")
    triage_it(db_session, booker, r["accepted"], "accept")
    r["waiting"] = make_referral(db_session, received_at="2026-01-02 10:00")
    triage_it(db_session, booker, r["waiting"], "clarify", clarify=CLARIFY)
    r["review"] = make_referral(db_session, received_at="2026-01-02 10:00", housing_status="temporary")
    clinician = actor_for(make_user(db_session, role="clinician"))
    triage_it(db_session, clinician, r["review"], "reject", reason_code="other", reason_text="Not for us")
    db_session.commit()
    return r


def ids(rows) -> list[int]:
    return [row.id for row in rows]


WEDNESDAY = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)


def test_worklist_order(db_session, queue):
    assert queue["flagged_tue"].triage_due_at == queue["unflagged_tue"].triage_due_at
    assert queue["unflagged_tue"].id < queue["flagged_tue"].id
    rows = triage.triage_worklist(db_session, WorklistFilters(), WEDNESDAY).rows
    expected = ["answered", "flagged_noon", "flagged_tue", "unflagged_tue", "frailty"]
    assert ids(rows) == [queue[k].id for k in expected]
    assert rows[0].triage_priority == 0
    assert rows[0].triage_due_at == datetime(2026, 1, 14, 8, 0, tzinfo=UTC)


def test_worklist_excludes_referrals_not_awaiting_triage(db_session, queue):
    listed = set(ids(triage.triage_worklist(db_session, WorklistFilters(), WEDNESDAY).rows))
    for key in ("accepted", "waiting", "review"):
        assert queue[key].id not in listed
    assert (queue["accepted"].state, queue["waiting"].state, queue["review"].state) == (
        "accepted", "awaiting_clarification", "rejection_review")


def test_worklist_filter_by_pathway(db_session, queue):
    assert ids(triage.triage_worklist(db_session, WorklistFilters(pathway="frailty"), WEDNESDAY).rows) == [
        queue["frailty"].id]
    assert ids(triage.triage_worklist(db_session, WorklistFilters(pathway="msk"), WEDNESDAY).rows) == [
        queue[k].id for k in ("answered", "flagged_noon", "flagged_tue", "unflagged_tue")]
    assert triage.triage_worklist(db_session, WorklistFilters(pathway="mental_health"), WEDNESDAY).rows == []


def test_worklist_filter_by_flag(db_session, queue):
    assert ids(triage.triage_worklist(db_session, WorklistFilters(flag="housing"), WEDNESDAY).rows) == [
        queue["flagged_tue"].id]
    assert ids(triage.triage_worklist(db_session, WorklistFilters(flag="language"), WEDNESDAY).rows) == [
        queue["flagged_noon"].id]
    assert triage.triage_worklist(db_session, WorklistFilters(flag="carer"), WEDNESDAY).rows == []


def test_worklist_overdue_only(db_session, queue):
    tuesday_afternoon = datetime(2026, 1, 13, 13, 0, tzinfo=UTC)
    assert ids(triage.triage_worklist(db_session, WorklistFilters(overdue_only=True), tuesday_afternoon).rows) == [
        queue["flagged_noon"].id]
    assert ids(triage.triage_worklist(db_session, WorklistFilters(overdue_only=True), WEDNESDAY).rows) == [
        queue[k].id for k in ("answered", "flagged_noon", "flagged_tue", "unflagged_tue")]
    # exactly at the due time is not yet overdue
    at_noon = datetime(2026, 1, 13, 12, 0, tzinfo=UTC)
    assert triage.triage_worklist(db_session, WorklistFilters(overdue_only=True), at_noon).rows == []


def test_worklist_filters_combine(db_session, queue):
    filters = WorklistFilters(pathway="msk", flag="housing", overdue_only=True)
    assert ids(triage.triage_worklist(db_session, filters, WEDNESDAY).rows) == [queue["flagged_tue"].id]
    assert triage.triage_worklist(db_session, filters, datetime(2026, 1, 13, 13, 0, tzinfo=UTC)).rows == []


def test_worklist_puts_overdue_first_then_due_today_then_later_by_due_time(db_session, queue):
    # Flagged, Wednesday 14 Jan 08:30, before the cut-off -> due 17:00 that day
    today = make_referral(db_session, received_at="2026-01-14 08:30", housing_status="temporary")
    db_session.commit()
    page = triage.triage_worklist(db_session, WorklistFilters(), WEDNESDAY)
    assert [(group.heading, group.total, ids(entry.item for entry in group.entries)) for group in page.groups] == [
        ("Overdue", 4, [queue[k].id for k in ("answered", "flagged_noon", "flagged_tue", "unflagged_tue")]),
        ("Due today", 1, [today.id]),
        ("Due later", 1, [queue["frailty"].id])]
    assert [entry.due for entry in page.groups[1].entries] == [datetime(2026, 1, 14, 17, 0, tzinfo=UTC)]


def test_worklist_pages_hold_per_page_rows_and_every_band_total(db_session, queue):
    pages = [triage.triage_worklist(db_session, WorklistFilters(), WEDNESDAY, page=n, per_page=2) for n in (1, 2, 3)]
    assert [ids(page.rows) for page in pages] == [[queue["answered"].id, queue["flagged_noon"].id],
                                                  [queue["flagged_tue"].id, queue["unflagged_tue"].id],
                                                  [queue["frailty"].id]]
    assert [(page.page, page.pages, page.first, page.last) for page in pages] == [(1, 3, 1, 2), (2, 3, 3, 4),
                                                                                 (3, 3, 5, 5)]
    assert [[group.heading for group in page.groups] for page in pages] == [["Overdue"], ["Overdue"], ["Due later"]]
    assert {tuple(page.totals.values()) for page in pages} == {(4, 0, 1)}


def test_a_page_beyond_either_end_shows_the_nearest_page(db_session, queue):
    assert triage.triage_worklist(db_session, WorklistFilters(), WEDNESDAY, page=99, per_page=2).page == 3
    assert triage.triage_worklist(db_session, WorklistFilters(), WEDNESDAY, page=0, per_page=2).page == 1
    empty = triage.triage_worklist(db_session, WorklistFilters(pathway="mental_health"), WEDNESDAY, page=5)
    assert (empty.page, empty.pages, empty.total, empty.first, empty.last, empty.groups) == (1, 1, 0, 0, 0, [])


def test_the_navigation_count_is_every_referral_awaiting_triage(db_session, queue):
    assert triage.count_awaiting(db_session) == 5


def test_each_band_count_links_to_the_page_the_band_starts_on(db_session, queue):
    make_referral(db_session, received_at="2026-01-14 08:30", housing_status="temporary")  # due today
    db_session.commit()
    page = triage.triage_worklist(db_session, WorklistFilters(), WEDNESDAY, per_page=2)
    assert [(band.heading, band.total, band.page) for band in page.bands] == [
        ("Overdue", 4, 1), ("Due today", 1, 3), ("Due later", 1, 3)]
