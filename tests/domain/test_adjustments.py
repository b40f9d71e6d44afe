"""The reasonable-adjustments register: record, edit, end, review, triage adoption, prompts, delivery."""
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, adjustments, appointments, event_chain, triage
from inclusive_access.domain.adjustments import AdjustmentDetails
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.models import AdjustmentDelivery, Appointment, Event, Patient, ReasonableAdjustment, Referral
from tests.event_log import actions_since, count, data_of, head, nothing_written
from tests.factories import SCRIPT, SLOT, book, make_referral, staff

#: 23:30 UTC on 1 June 2026 is 00:30 on 2 June in London (BST): review dates count from the London date
NOW = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
TODAY = date(2026, 6, 2)
BSL = AdjustmentDetails(category="communication_support", description="BSL interpreter for every contact",
                        consent_basis="patient", impairment="Deaf (BSL user)")


# --- Helpers -------------------------------------------------------------------------------------

def details(**overrides) -> AdjustmentDetails:
    values = {"category": "timing", "description": "First appointment of the day", "consent_basis": "patient"}
    values.update(overrides)
    return AdjustmentDetails(**values)


def record(session, actor, patient, source="patient_request", now=NOW, **overrides) -> ReasonableAdjustment:
    return adjustments.record_adjustment(session, actor, patient, details(**overrides), source, now=now)


@pytest.fixture
def referral(db_session) -> Referral:
    row = make_referral(db_session, received_at="2026-06-01 09:00")
    db_session.commit()
    return row


@pytest.fixture
def patient(db_session, referral) -> Patient:
    return db_session.get(Patient, referral.patient_id)


# --- Record --------------------------------------------------------------------------------------

def test_record_an_adjustment(db_session, clinician, patient):
    before = head(db_session)
    item = adjustments.record_adjustment(db_session, clinician, patient, BSL, "referrer", now=NOW)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.ADJUSTMENT_RECORDED]
    db_session.expire_all()
    stored = db_session.get(ReasonableAdjustment, item.id)
    assert (stored.patient_id, stored.category, stored.description, stored.impairment) == (
        patient.id, "communication_support", "BSL interpreter for every contact", "Deaf (BSL user)")
    assert (stored.source, stored.consent_basis, stored.applies_to_appointments) == ("referrer", "patient", True)
    assert (stored.recorded_by, stored.recorded_role, stored.recorded_at) == (clinician.user_id, "clinician", NOW)
    # 12 months from the London date it was recorded
    assert stored.review_date == date(2027, 6, 2)
    assert (stored.status, stored.ended_at, stored.end_reason, stored.version) == ("active", None, None, 1)
    assert data_of(db_session, actions.ADJUSTMENT_RECORDED) == [
        {"category": "communication_support", "description": "BSL interpreter for every contact",
         "source": "referrer", "consent_basis": "patient", "review_date": "2027-06-02"}]
    event = db_session.scalars(select(Event).where(Event.action == actions.ADJUSTMENT_RECORDED)).one()
    assert (event.entity_type, event.entity_id, event.patient_id, event.actor_role) == (
        "adjustment", item.id, patient.id, "clinician")
    assert [a.id for a in db_session.get(Patient, patient.id).active_adjustments] == [item.id]
    assert event_chain.verify(db_session).ok


@pytest.mark.parametrize(("role", "source"), [
    ("booking", "triage_script"), ("clinician", "patient_request"), ("senior", "referrer")])
def test_recorded_role_is_the_actors_role(db_session, patient, role, source):
    actor = staff(db_session, role)
    assert record(db_session, actor, patient, source=source).recorded_role == role


def test_a_review_date_can_be_given(db_session, clinician, patient):
    item = record(db_session, clinician, patient, review_date=TODAY + timedelta(days=90))
    assert item.review_date == date(2026, 8, 31)


@pytest.mark.parametrize(("overrides", "fields"), [
    ({"category": "magic"}, {"category"}),
    ({"category": ""}, {"category"}),
    ({"description": ""}, {"description"}),
    ({"consent_basis": "assumed"}, {"consent_basis"}),
    ({"consent_basis": ""}, {"consent_basis"}),
    ({"review_date": TODAY}, {"review_date"}),
    ({"review_date": TODAY - timedelta(days=1)}, {"review_date"}),
    ({"category": "x", "description": "", "consent_basis": "y"}, {"category", "description", "consent_basis"}),
])
def test_record_validation(db_session, clinician, patient, overrides, fields):
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        record(db_session, clinician, patient, **overrides)
    assert set(exc.value.errors) == fields
    assert count(db_session, ReasonableAdjustment) == 0


@pytest.mark.parametrize("source", ["", "gossip", None])
def test_record_needs_a_known_source(db_session, clinician, patient, source):
    with pytest.raises(InvalidInput) as exc:
        record(db_session, clinician, patient, source=source)
    assert set(exc.value.errors) == {"source"}
    assert count(db_session, ReasonableAdjustment) == 0


@pytest.mark.parametrize("basis", ["patient", "best_interest", "attorney_deputy", "parental_responsibility"])
def test_every_consent_basis_is_accepted(db_session, clinician, patient, basis):
    assert record(db_session, clinician, patient, consent_basis=basis).consent_basis == basis


# --- Update --------------------------------------------------------------------------------------

def test_update_returns_and_records_the_changes(db_session, booker, clinician, patient):
    item = record(db_session, booker, patient, source="triage_script")
    db_session.commit()
    before = head(db_session)
    later = NOW + timedelta(days=30)
    changes = adjustments.update_adjustment(
        db_session, clinician, item, 1,
        details(description="Last appointment of the day", applies_to_appointments=False,
                review_date=date(2026, 12, 1)), now=later)
    db_session.commit()
    assert changes == {"description": ["First appointment of the day", "Last appointment of the day"],
                       "applies_to_appointments": [True, False],
                       "review_date": [date(2027, 6, 2), date(2026, 12, 1)]}
    assert actions_since(db_session, before) == [actions.ADJUSTMENT_UPDATED]
    assert data_of(db_session, actions.ADJUSTMENT_UPDATED) == [
        {"changes": {"description": ["First appointment of the day", "Last appointment of the day"],
                     "applies_to_appointments": [True, False], "review_date": ["2027-06-02", "2026-12-01"]}}]
    db_session.expire_all()
    stored = db_session.get(ReasonableAdjustment, item.id)
    assert (stored.description, stored.applies_to_appointments, stored.review_date, stored.version) == (
        "Last appointment of the day", False, date(2026, 12, 1), 2)
    # Who recorded it does not change with an edit.
    assert (stored.recorded_by, stored.recorded_role) == (booker.user_id, "booking")
    assert event_chain.verify(db_session).ok


def test_an_update_without_changes_writes_nothing(db_session, clinician, patient):
    item = record(db_session, clinician, patient)
    db_session.commit()
    before = head(db_session)
    # No review date given keeps the one stored.
    assert adjustments.update_adjustment(db_session, clinician, item, 1, details(), now=NOW) == {}
    db_session.commit()
    assert actions_since(db_session, before) == []
    assert (item.version, item.review_date) == (1, date(2027, 6, 2))


def test_update_validates_like_record(db_session, clinician, patient):
    item = record(db_session, clinician, patient)
    with pytest.raises(InvalidInput) as exc:
        adjustments.update_adjustment(db_session, clinician, item, 1,
                                      details(description="", review_date=TODAY), now=NOW)
    assert set(exc.value.errors) == {"description", "review_date"}


def test_update_with_a_stale_version(db_session, clinician, patient):
    item = record(db_session, clinician, patient)
    adjustments.update_adjustment(db_session, clinician, item, 1, details(description="Quiet waiting room"), now=NOW)
    db_session.commit()
    before = head(db_session)
    with pytest.raises(StaleRecord):
        adjustments.update_adjustment(db_session, clinician, item, 1, details(description="Early slot"), now=NOW)
    with pytest.raises(StaleRecord):
        adjustments.end_adjustment(db_session, clinician, item, 1, "No longer needed", now=NOW)
    db_session.rollback()
    assert actions_since(db_session, before) == []
    stored = db_session.get(ReasonableAdjustment, item.id)
    assert (stored.description, stored.status, stored.version) == ("Quiet waiting room", "active", 2)


def test_an_ended_adjustment_cannot_be_edited(db_session, clinician, patient):
    item = record(db_session, clinician, patient)
    adjustments.end_adjustment(db_session, clinician, item, 1, "Works from home now", now=NOW)
    db_session.commit()
    before = head(db_session)
    with pytest.raises(InvalidInput) as exc:
        adjustments.update_adjustment(db_session, clinician, item, item.version, details(description="x"), now=NOW)
    assert "description" in exc.value.errors
    assert actions_since(db_session, before) == []
    assert db_session.get(ReasonableAdjustment, item.id).description == "First appointment of the day"


# --- End -----------------------------------------------------------------------------------------

def test_end_needs_a_reason_and_keeps_the_adjustment(db_session, clinician, patient):
    item = record(db_session, clinician, patient)
    db_session.commit()
    before = head(db_session)
    for reason in ("", None):
        with pytest.raises(InvalidInput) as exc:
            adjustments.end_adjustment(db_session, clinician, item, 1, reason, now=NOW)
        assert set(exc.value.errors) == {"end_reason"}
    assert item.status == "active"
    ended_at = NOW + timedelta(days=3)
    adjustments.end_adjustment(db_session, clinician, item, 1, "Patient now prefers telephone", now=ended_at)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.ADJUSTMENT_ENDED]
    assert data_of(db_session, actions.ADJUSTMENT_ENDED) == [{"reason": "Patient now prefers telephone"}]
    db_session.expire_all()
    stored = db_session.get(ReasonableAdjustment, item.id)  # never deleted
    assert (stored.status, stored.ended_at, stored.end_reason, stored.version) == (
        "ended", ended_at, "Patient now prefers telephone", 2)
    assert count(db_session, ReasonableAdjustment) == 1
    assert [a.id for a in adjustments.register_for(db_session, stored.patient)] == [item.id]
    assert db_session.get(Patient, patient.id).active_adjustments == []
    with pytest.raises(InvalidInput) as again:
        adjustments.end_adjustment(db_session, clinician, stored, 2, "Twice", now=ended_at)
    assert set(again.value.errors) == {"end_reason"}
    assert event_chain.verify(db_session).ok


def test_the_register_lists_active_first_then_newest(db_session, clinician, patient):
    old = record(db_session, clinician, patient, now=NOW - timedelta(days=10), description="Old")
    ended = record(db_session, clinician, patient, now=NOW - timedelta(days=5), description="Ended")
    new = record(db_session, clinician, patient, now=NOW, description="New")
    adjustments.end_adjustment(db_session, clinician, ended, 1, "Not needed", now=NOW)
    other = db_session.get(Patient, make_referral(db_session).patient_id)
    record(db_session, clinician, other, description="Someone else's")
    assert [a.id for a in adjustments.register_for(db_session, patient)] == [new.id, old.id, ended.id]


def test_active_adjustments_exclude_ended_ones(db_session, clinician, patient):
    kept = record(db_session, clinician, patient, description="Kept")
    gone = record(db_session, clinician, patient, description="Gone")
    # Read within the same transaction: the register must reflect the end at once.
    assert [a.id for a in patient.active_adjustments] == [kept.id, gone.id]
    adjustments.end_adjustment(db_session, clinician, gone, 1, "Resolved", now=NOW)
    assert [a.id for a in patient.active_adjustments] == [kept.id]
    db_session.commit()
    db_session.expire_all()
    assert [a.id for a in db_session.get(Patient, patient.id).active_adjustments] == [kept.id]


# --- Overdue reviews -----------------------------------------------------------------------------

def test_overdue_reviews_most_overdue_first(db_session, clinician, patient):
    long_ago = datetime(2024, 1, 10, 12, 0, tzinfo=UTC)
    due_today = record(db_session, clinician, patient, now=long_ago, review_date=TODAY, description="Due today")
    older = record(db_session, clinician, patient, now=long_ago, review_date=date(2025, 3, 1), description="Older")
    recent = record(db_session, clinician, patient, now=long_ago, review_date=date(2026, 5, 1), description="Recent")
    ended = record(db_session, clinician, patient, now=long_ago, review_date=date(2025, 1, 1), description="Ended")
    adjustments.end_adjustment(db_session, clinician, ended, 1, "Moved away", now=NOW)
    default = record(db_session, clinician, patient, now=datetime(2025, 5, 1, 12, 0, tzinfo=UTC), description="Yearly")
    record(db_session, clinician, patient, now=NOW, description="Not due")
    assert default.review_date == date(2026, 5, 1)
    db_session.commit()
    assert [a.id for a in adjustments.overdue_reviews(db_session, TODAY)] == [older.id, recent.id, default.id]
    assert due_today.id not in [a.id for a in adjustments.overdue_reviews(db_session, TODAY)]
    assert [a.id for a in adjustments.overdue_reviews(db_session, TODAY + timedelta(days=1))][-1] == due_today.id
    assert [a.id for a in adjustments.overdue_reviews(db_session, TODAY, limit=1)] == [older.id]
    # Reviewing is an edit of the review date: it leaves the list.
    adjustments.update_adjustment(db_session, clinician, older, older.version,
                                  details(description="Older", review_date=date(2027, 3, 1)), now=NOW)
    assert [a.id for a in adjustments.overdue_reviews(db_session, TODAY)] == [recent.id, default.id]


# --- From the triage script ----------------------------------------------------------------------

PROPOSED = [{"category": "communication_support", "description": "Polish interpreter for every contact"},
            {"category": "timing", "description": "Appointments after school pick-up"}]


def test_triage_records_the_scripts_adjustments_once(db_session, booker, referral):
    before = head(db_session)
    triage.triage_referral(db_session, booker, referral, referral.version, SCRIPT, PROPOSED, "clarify",
                           now=NOW, clarify={"question": "Which clinic?", "channel": "email", "contact_name": "GP"})
    db_session.commit()
    assert actions_since(db_session, before).count(actions.ADJUSTMENT_RECORDED) == 2
    items = db_session.scalars(select(ReasonableAdjustment).order_by(ReasonableAdjustment.id)).all()
    assert [(a.category, a.description, a.source, a.consent_basis, a.recorded_by) for a in items] == [
        ("communication_support", "Polish interpreter for every contact", "triage_script", "patient",
         booker.user_id),
        ("timing", "Appointments after school pick-up", "triage_script", "patient", booker.user_id)]
    # The script is saved again (re-triage): the same adjustments are not recorded twice; a new one is.
    before = head(db_session)
    extra = {"category": "environment_access", "description": "Step-free access"}
    triage.save_script(db_session, booker, referral, SCRIPT, [*PROPOSED, extra], NOW + timedelta(days=1))
    db_session.commit()
    assert actions_since(db_session, before) == [actions.TRIAGE_SCRIPT_RECORDED, actions.ADJUSTMENT_RECORDED]
    assert count(db_session, ReasonableAdjustment) == 3
    assert data_of(db_session, actions.ADJUSTMENT_RECORDED)[-1]["description"] == "Step-free access"
    assert event_chain.verify(db_session).ok


def test_a_second_referral_for_the_patient_does_not_duplicate(db_session, booker, referral):
    triage.save_script(db_session, booker, referral, SCRIPT, PROPOSED[:1], NOW)
    again = make_referral(db_session, nhs_number=db_session.get(Patient, referral.patient_id).nhs_number,
                          received_at="2026-06-01 10:00")
    assert again.patient_id == referral.patient_id
    triage.save_script(db_session, booker, again, SCRIPT, PROPOSED[:1], NOW)
    assert count(db_session, ReasonableAdjustment) == 1


def test_an_ended_adjustment_proposed_again_is_recorded_afresh(db_session, booker, clinician, referral):
    triage.save_script(db_session, booker, referral, SCRIPT, PROPOSED[:1], NOW)
    item = db_session.scalars(select(ReasonableAdjustment)).one()
    adjustments.end_adjustment(db_session, clinician, item, item.version, "Now fluent in English", now=NOW)
    triage.save_script(db_session, booker, referral, SCRIPT, PROPOSED[:1], NOW + timedelta(days=1))
    statuses = db_session.scalars(select(ReasonableAdjustment.status).order_by(ReasonableAdjustment.id)).all()
    assert statuses == ["ended", "active"]


def test_triage_passes_on_the_consent_basis(db_session, booker, referral):
    triage.triage_referral(db_session, booker, referral, referral.version, SCRIPT, PROPOSED[:1], "accept",
                           now=NOW, consent_basis="best_interest")
    assert db_session.scalars(select(ReasonableAdjustment.consent_basis)).one() == "best_interest"


# --- Booking prompts -----------------------------------------------------------------------------

def test_booking_prompts(db_session, clinician):
    plain = db_session.get(Patient, make_referral(db_session, preferred_language="English").patient_id)
    assert adjustments.booking_prompts(plain, None) == []
    assert adjustments.booking_prompts(plain, {"interpreter_needed": False}) == []
    assert adjustments.booking_prompts(plain, {"interpreter_needed": True, "language": "Urdu"}) == [
        "Book an interpreter (Urdu) for every contact"]
    # Other kinds of adjustment are no booking prompt.
    for category in ("timing", "information_format", "environment_access", "support_person", "other"):
        record(db_session, clinician, plain, category=category, description=f"Something for {category}")
    assert adjustments.booking_prompts(plain, None) == []

    polish = db_session.get(Patient, make_referral(db_session, preferred_language="Polish",
                                                   interpreter_needed="yes").patient_id)
    assert adjustments.booking_prompts(polish, None) == ["Book an interpreter (Polish) for every contact"]
    assert adjustments.booking_prompts(polish, {"language": ""}) == ["Book an interpreter (Polish) for every contact"]

    # Communication-support adjustments are what to arrange (and then stand in for the generic prompt).
    bsl = record(db_session, clinician, polish, category="communication_support",
                 description="Polish interpreter in person, not by telephone")
    record(db_session, clinician, polish, category="communication_support", description="Advocate from Mind")
    assert adjustments.booking_prompts(polish, None) == ["Arrange: Polish interpreter in person, not by telephone",
                                                         "Arrange: Advocate from Mind"]
    adjustments.end_adjustment(db_session, clinician, bsl, bsl.version, "Replaced", now=NOW)
    assert adjustments.booking_prompts(polish, None) == ["Arrange: Advocate from Mind"]


# --- Delivered at appointments -------------------------------------------------------------------

@pytest.fixture
def booked(db_session, clinician, referral) -> Appointment:
    triage.triage_referral(db_session, clinician, referral, referral.version, SCRIPT, [], "accept", now=NOW)
    appointment = book(db_session, clinician, referral, SLOT, now=NOW)
    db_session.commit()
    return appointment


@pytest.fixture
def due_and_not(db_session, clinician, patient, booked) -> tuple[ReasonableAdjustment, ReasonableAdjustment]:
    """Two active adjustments due at appointments, one that is not, and an ended one."""
    due = record(db_session, clinician, patient, category="communication_support", description="BSL interpreter")
    other = record(db_session, clinician, patient, category="environment_access", description="Quiet room")
    record(db_session, clinician, patient, category="information_format", description="Large print letters",
           applies_to_appointments=False)
    ended = record(db_session, clinician, patient, description="Morning slot")
    adjustments.end_adjustment(db_session, clinician, ended, 1, "No longer needed", now=NOW)
    db_session.commit()
    return due, other


def outcome(session, actor, appointment, what="attended", reason=None, **kwargs):
    appointments.record_outcome(session, actor, appointment, appointment.version, what, reason,
                                now=SLOT + timedelta(hours=1), **kwargs)


@pytest.mark.parametrize("what", ["attended", "dna"])
def test_each_due_adjustment_needs_an_answer(db_session, clinician, booked, due_and_not, what):
    due, other = due_and_not
    before = head(db_session)
    for given, unanswered in ((None, 2), ({}, 2), ({due.id: (True, None)}, 1),
                              ({other.id: (True, None), 999999: (True, None)}, 1)):
        with pytest.raises(InvalidInput) as exc:
            outcome(db_session, clinician, booked, what, deliveries=given)
        assert exc.value.errors == {"deliveries": f"Record whether each adjustment was met ({unanswered} not answered)"}
        db_session.rollback()
    for not_met in ((False, None), (False, "")):
        with pytest.raises(InvalidInput) as exc:
            outcome(db_session, clinician, booked, what, deliveries={due.id: (True, None), other.id: not_met})
        assert exc.value.errors == {"deliveries": "Give the reason an adjustment was not met"}
        db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, AdjustmentDelivery) == 0
    assert db_session.get(Appointment, booked.id).status == "booked"


@pytest.mark.parametrize(("what", "after"), [
    ("attended", [actions.FIRST_CONTACT]),
    ("dna", [actions.BARRIER_CHECK_OPENED]),
])
def test_deliveries_are_recorded_with_the_outcome(db_session, clinician, booked, due_and_not, what, after):
    due, other = due_and_not
    before = head(db_session)
    outcome(db_session, clinician, booked, what,
            deliveries={due.id: (True, "ignored when met"), other.id: (False, "Room double-booked")})
    db_session.commit()
    first = actions.APPOINTMENT_ATTENDED if what == "attended" else actions.APPOINTMENT_DNA
    assert actions_since(db_session, before) == [first, actions.ADJUSTMENT_DELIVERY_RECORDED, *after]
    rows = db_session.scalars(select(AdjustmentDelivery).order_by(AdjustmentDelivery.adjustment_id)).all()
    assert [(r.appointment_id, r.adjustment_id, r.met, r.reason, r.recorded_by, r.recorded_at) for r in rows] == [
        (booked.id, due.id, True, None, clinician.user_id, SLOT + timedelta(hours=1)),
        (booked.id, other.id, False, "Room double-booked", clinician.user_id, SLOT + timedelta(hours=1))]
    assert data_of(db_session, actions.ADJUSTMENT_DELIVERY_RECORDED) == [{"deliveries": [
        {"adjustment_id": due.id, "met": True, "reason": None},
        {"adjustment_id": other.id, "met": False, "reason": "Room double-booked"}]}]
    event = db_session.scalars(select(Event).where(Event.action == actions.ADJUSTMENT_DELIVERY_RECORDED)).one()
    assert (event.entity_type, event.entity_id, event.referral_id) == ("appointment", booked.id, booked.referral_id)
    assert event_chain.verify(db_session).ok


@pytest.mark.parametrize("what", ["cancelled_patient", "cancelled_service"])
def test_cancellations_need_no_deliveries(db_session, clinician, booked, due_and_not, what):
    before = head(db_session)
    outcome(db_session, clinician, booked, what, "Unwell")
    db_session.commit()
    assert actions_since(db_session, before) == [actions.APPOINTMENT_CANCELLED]
    assert count(db_session, AdjustmentDelivery) == 0


def test_no_adjustments_no_deliveries(db_session, clinician, booked):
    before = head(db_session)
    outcome(db_session, clinician, booked)
    assert actions_since(db_session, before) == [actions.APPOINTMENT_ATTENDED, actions.FIRST_CONTACT]
    assert count(db_session, AdjustmentDelivery) == 0


def test_an_adjustment_recorded_in_the_same_transaction_is_due(db_session, clinician, patient, booked):
    assert patient.active_adjustments == []  # already loaded, before the adjustment exists
    item = record(db_session, clinician, patient, description="Interpreter")
    with pytest.raises(InvalidInput):
        outcome(db_session, clinician, booked)
    db_session.rollback()
    item = record(db_session, clinician, db_session.get(Patient, patient.id), description="Interpreter")
    outcome(db_session, clinician, booked, deliveries={item.id: (True, None)})
    assert [(d.adjustment_id, d.met) for d in db_session.scalars(select(AdjustmentDelivery))] == [(item.id, True)]
