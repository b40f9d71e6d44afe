"""The safeguarding route: raising a concern, its multi-agency route, actions, closure by a senior, the banner."""
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, event_chain, safeguarding, triage
from inclusive_access.domain.errors import (
    DuplicateSubmission,
    InvalidInput,
    NotPermitted,
    StaleRecord,
    TransitionNotAllowed,
)
from inclusive_access.domain.pathway_delays import DelayLink
from inclusive_access.domain.safeguarding import ConcernDetails
from inclusive_access.models import Event, Patient, Referral, SafeguardingAction, SafeguardingConcern
from tests.event_log import actions_since, count, data_of, head, nothing_written
from tests.factories import RECEIVED, SCRIPT, TRIAGED, make_referral

RAISED = datetime(2026, 6, 8, 11, 0, tzinfo=UTC)
ROUTED = RAISED + timedelta(days=1)
CLOSED = RAISED + timedelta(days=10)
DETAILS = ConcernDetails("exploitation_risk", "Older men collecting him from the hostel")


# --- Helpers -------------------------------------------------------------------------------------

def triaged(session, actor, outcome="accept", **overrides) -> Referral:
    row = make_referral(session, received_at=RECEIVED, **overrides)
    kwargs = {"reason_code": "not_eligible", "reason_text": "Out of area"} if outcome == "reject" else {}
    triage.triage_referral(session, actor, row, row.version, SCRIPT, [], outcome, now=TRIAGED, **kwargs)
    return row


def raise_it(session, actor, referral, details=DETAILS, now=RAISED, **kwargs) -> SafeguardingConcern:
    return safeguarding.raise_concern(session, actor, referral, details, now=now, **kwargs)


def route(session, actor, concern, routed_to="Leeds MASH", routed_on=date(2026, 6, 9), reference="MASH-123",
          now=ROUTED, version=None) -> None:
    safeguarding.route_concern(session, actor, concern, concern.version if version is None else version, routed_to,
                               routed_on, reference, now=now)


def close(session, actor, concern, outcome="Strategy meeting held; police lead", summary="Safety plan in place",
          now=CLOSED, version=None) -> None:
    safeguarding.close_concern(session, actor, concern, concern.version if version is None else version, outcome,
                               summary, now=now)


@pytest.fixture
def concern(db_session, clinician, referral) -> SafeguardingConcern:
    found = raise_it(db_session, clinician, referral)
    db_session.commit()
    return found


# --- Raising a concern ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["clinician", "senior"])
def test_raise_a_concern(db_session, referral, role, actor):
    patient = db_session.get(Patient, referral.patient_id)
    assert patient.open_concerns == []  # loaded before the concern exists
    before = head(db_session)
    concern = raise_it(db_session, actor, referral, submission_token="tok-1")
    # Same transaction: the banner must see the concern now.
    assert [c.id for c in patient.open_concerns] == [concern.id]
    db_session.commit()
    assert actions_since(db_session, before) == [actions.SAFEGUARDING_RAISED]
    db_session.expire_all()
    stored = db_session.get(SafeguardingConcern, concern.id)
    assert (stored.patient_id, stored.referral_id, stored.review_id, stored.category, stored.concern) == (
        referral.patient_id, referral.id, None, DETAILS.category, DETAILS.concern)
    assert (stored.raised_by, stored.raised_role, stored.raised_at, stored.status, stored.version) == (
        actor.user_id, role, RAISED, "open", 1)
    assert (stored.routed_to, stored.routed_on, stored.outcome, stored.closed_at, stored.actions) == (
        None, None, None, None, [])
    assert stored.submission_token == "tok-1"
    event = db_session.scalars(select(Event).where(Event.action == actions.SAFEGUARDING_RAISED)).one()
    assert (event.entity_type, event.entity_id, event.patient_id, event.referral_id, event.actor_id,
            event.actor_role, event.occurred_at) == (
        "safeguarding_concern", concern.id, referral.patient_id, referral.id, actor.user_id, role, RAISED)
    assert json.loads(event.data) == {"category": DETAILS.category, "concern": DETAILS.concern, "review_id": None,
                                      "followed_delay": "not_known", "delay_detail": None}
    assert [c.id for c in db_session.get(Patient, referral.patient_id).open_concerns] == [concern.id]
    assert [c.id for c in safeguarding.open_concerns(db_session)] == [concern.id]
    assert [c.id for c in safeguarding.concerns_for_patient(db_session, referral.patient_id)] == [concern.id]
    # Raising a concern does not move the referral.
    assert db_session.get(Referral, referral.id).state == "accepted"
    assert event_chain.verify(db_session).ok


def test_a_concern_linked_to_a_pathway_delay_keeps_the_delay(db_session, clinician, referral):
    linked = raise_it(db_session, clinician, referral, ConcernDetails(
        "self_neglect", "No food in the house", DelayLink("yes", "Waited 14 weeks for a first appointment")))
    unlinked = raise_it(db_session, clinician, referral, ConcernDetails(
        "self_neglect", "Cold flat", DelayLink("no", "Text left in the hidden box")))
    db_session.commit()
    assert [(c.followed_delay, c.delay_detail) for c in (linked, unlinked)] == [
        ("yes", "Waited 14 weeks for a first appointment"), ("no", None)]
    assert [(d["followed_delay"], d["delay_detail"]) for d in data_of(db_session, actions.SAFEGUARDING_RAISED)] == [
        ("yes", "Waited 14 weeks for a first appointment"), ("no", None)]


@pytest.mark.parametrize("role", ["booking", "auditor", "manager"])
def test_other_roles_cannot_raise_a_concern(db_session, referral, actor):
    with nothing_written(db_session), pytest.raises(NotPermitted):
        raise_it(db_session, actor, referral)
    assert count(db_session, SafeguardingConcern) == 0


@pytest.mark.parametrize("outcome", ["accept", "escalate", "clarify"])
def test_a_concern_is_raised_on_any_active_referral(db_session, clinician, outcome):
    kwargs = {}
    if outcome == "escalate":
        kwargs = {"reason_text": "Needs a senior"}
    if outcome == "clarify":
        kwargs = {"clarify": {"question": "Who referred?", "channel": "telephone", "contact_name": "Dr Example"}}
    row = make_referral(db_session, received_at=RECEIVED)
    triage.triage_referral(db_session, clinician, row, row.version, SCRIPT, [], outcome, now=TRIAGED, **kwargs)
    assert row.state in ("accepted", "received", "awaiting_clarification")
    assert raise_it(db_session, clinician, row).status == "open"


def test_a_concern_is_raised_on_a_flagged_referral_awaiting_rejection_review(db_session, clinician):
    row = triaged(db_session, clinician, "reject", housing_status="temporary")
    assert row.state == "rejection_review"
    assert raise_it(db_session, clinician, row).referral_id == row.id


def test_no_concern_on_a_rejected_referral(db_session, clinician):
    row = triaged(db_session, clinician, "reject")
    assert row.state == "rejected"
    db_session.commit()
    with nothing_written(db_session), pytest.raises(TransitionNotAllowed):
        raise_it(db_session, clinician, row)
    assert count(db_session, SafeguardingConcern) == 0


@pytest.mark.parametrize(("details", "fields"), [
    (ConcernDetails("", "Worried"), {"category"}),
    (ConcernDetails(None, "Worried"), {"category"}),
    (ConcernDetails("witchcraft", "Worried"), {"category"}),
    (ConcernDetails("self_neglect", ""), {"concern"}),
    (ConcernDetails("self_neglect", None), {"concern"}),
    (ConcernDetails("", ""), {"category", "concern"}),
    (ConcernDetails("self_neglect", "Worried", DelayLink("")), {"followed_delay"}),
    (ConcernDetails("self_neglect", "Worried", DelayLink("perhaps")), {"followed_delay"}),
    (ConcernDetails("self_neglect", "Worried", DelayLink("yes", "  ")), {"delay_detail"}),
])
def test_raise_validation(db_session, clinician, referral, details, fields):
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        raise_it(db_session, clinician, referral, details)
    assert set(exc.value.errors) == fields
    assert count(db_session, SafeguardingConcern) == 0
    assert db_session.get(Patient, referral.patient_id).open_concerns == []


@pytest.mark.parametrize("category", sorted(safeguarding.CATEGORIES))
def test_every_category_is_accepted(db_session, clinician, referral, category):
    assert raise_it(db_session, clinician, referral, ConcernDetails(category, "Worried")).category == category


def test_a_repeated_submission_token_names_the_first_concern(db_session, clinician, referral):
    first = raise_it(db_session, clinician, referral, submission_token="tok-twice")
    db_session.commit()
    before = head(db_session)
    with pytest.raises(DuplicateSubmission) as dup:
        raise_it(db_session, clinician, referral, submission_token="tok-twice", now=RAISED + timedelta(seconds=1))
    assert dup.value.existing_id == first.id
    db_session.rollback()
    assert actions_since(db_session, before) == []
    assert count(db_session, SafeguardingConcern) == 1


def test_open_concerns_are_oldest_first(db_session, clinician, senior):
    later = raise_it(db_session, clinician, triaged(db_session, clinician), now=RAISED + timedelta(hours=2))
    oldest = raise_it(db_session, clinician, triaged(db_session, clinician), now=RAISED)
    closed = raise_it(db_session, clinician, triaged(db_session, clinician), now=RAISED + timedelta(hours=1))
    db_session.commit()
    assert [c.id for c in safeguarding.open_concerns(db_session)] == [oldest.id, closed.id, later.id]
    close(db_session, senior, closed)
    db_session.commit()
    assert [c.id for c in safeguarding.open_concerns(db_session)] == [oldest.id, later.id]
    assert [c.id for c in safeguarding.open_concerns(db_session, limit=1)] == [oldest.id]


# --- The multi-agency route ----------------------------------------------------------------------

@pytest.mark.parametrize("role", ["clinician", "senior"])
def test_route_a_concern(db_session, concern, actor):
    before = head(db_session)
    route(db_session, actor, concern, version=1)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.SAFEGUARDING_ROUTED]
    db_session.expire_all()
    stored = db_session.get(SafeguardingConcern, concern.id)
    assert (stored.routed_to, stored.routed_on, stored.route_reference, stored.version, stored.status) == (
        "Leeds MASH", date(2026, 6, 9), "MASH-123", 2, "open")
    event = db_session.scalars(select(Event).where(Event.action == actions.SAFEGUARDING_ROUTED)).one()
    assert (event.entity_type, event.entity_id, event.referral_id, event.actor_id, event.occurred_at) == (
        "safeguarding_concern", concern.id, concern.referral_id, actor.user_id, ROUTED)
    assert json.loads(event.data) == {"routed_to": "Leeds MASH", "routed_on": "2026-06-09", "reference": "MASH-123"}
    assert event_chain.verify(db_session).ok


def test_the_reference_is_optional_and_the_date_may_be_today(db_session, clinician, concern):
    route(db_session, clinician, concern, routed_on=ROUTED.date(), reference=None)
    assert (concern.routed_on, concern.route_reference) == (ROUTED.date(), None)
    assert data_of(db_session, actions.SAFEGUARDING_ROUTED)[0]["reference"] is None


@pytest.mark.parametrize(("routed_to", "routed_on", "fields"), [
    ("", date(2026, 6, 9), {"routed_to"}),
    (None, date(2026, 6, 9), {"routed_to"}),
    ("Leeds MASH", None, {"routed_on"}),
    ("Leeds MASH", date(2026, 6, 10), {"routed_on"}),  # tomorrow
    ("", None, {"routed_to", "routed_on"}),
])
def test_route_validation(db_session, clinician, concern, routed_to, routed_on, fields):
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        route(db_session, clinician, concern, routed_to=routed_to, routed_on=routed_on)
    assert set(exc.value.errors) == fields
    stored = db_session.get(SafeguardingConcern, concern.id)
    assert (stored.routed_to, stored.routed_on, stored.version) == (None, None, 1)


def test_the_referral_date_is_checked_against_the_london_calendar(db_session, clinician, concern):
    """00:30 BST on Wednesday 10 June is still 23:30 UTC on Tuesday 9 June: 10 June is today in London."""
    late = datetime(2026, 6, 9, 23, 30, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        route(db_session, clinician, concern, routed_on=date(2026, 6, 11), now=late)  # tomorrow in London
    db_session.rollback()
    # Correct behaviour: today's London date is accepted. safeguarding.route_concern compares with now.date(),
    # the UTC date, so between midnight and 01:00 BST it refuses today as "in the future".
    route(db_session, clinician, db_session.get(SafeguardingConcern, concern.id), routed_on=date(2026, 6, 10),
          now=late)
    assert db_session.get(SafeguardingConcern, concern.id).routed_on == date(2026, 6, 10)


def test_route_with_a_stale_version(db_session, clinician, concern):
    route(db_session, clinician, concern)
    db_session.commit()
    with nothing_written(db_session), pytest.raises(StaleRecord):
        route(db_session, clinician, concern, routed_to="Children's social care", version=1)
    stored = db_session.get(SafeguardingConcern, concern.id)
    assert (stored.routed_to, stored.version) == ("Leeds MASH", 2)


@pytest.mark.parametrize("role", ["booking", "auditor", "manager"])
def test_other_roles_cannot_route_or_record_actions(db_session, concern, actor):
    with nothing_written(db_session):
        for change in (lambda: route(db_session, actor, concern),
                       lambda: safeguarding.record_action(db_session, actor, concern, "Phoned the hostel", now=ROUTED)):
            with pytest.raises(NotPermitted):
                change()
    assert count(db_session, SafeguardingAction) == 0
    assert db_session.get(SafeguardingConcern, concern.id).routed_to is None


# --- Actions -------------------------------------------------------------------------------------

def test_actions_are_appended(db_session, clinician, senior, concern):
    before = head(db_session)
    first = safeguarding.record_action(db_session, clinician, concern, "Phoned the hostel manager", now=ROUTED)
    second = safeguarding.record_action(db_session, senior, concern, "Home visit with the social worker",
                                        now=ROUTED + timedelta(hours=3))
    db_session.commit()
    assert actions_since(db_session, before) == [actions.SAFEGUARDING_ACTION_RECORDED] * 2
    db_session.expire_all()
    rows = db_session.scalars(select(SafeguardingAction).order_by(SafeguardingAction.id)).all()
    assert [(r.id, r.concern_id, r.action, r.recorded_by, r.recorded_at) for r in rows] == [
        (first.id, concern.id, "Phoned the hostel manager", clinician.user_id, ROUTED),
        (second.id, concern.id, "Home visit with the social worker", senior.user_id, ROUTED + timedelta(hours=3))]
    stored = db_session.get(SafeguardingConcern, concern.id)
    assert [a.id for a in stored.actions] == [first.id, second.id]
    # An action is appended, not an edit of the concern: its version does not move.
    assert (stored.version, stored.status) == (1, "open")
    assert data_of(db_session, actions.SAFEGUARDING_ACTION_RECORDED) == [
        {"action": "Phoned the hostel manager"}, {"action": "Home visit with the social worker"}]
    event = db_session.scalars(select(Event).where(Event.action == actions.SAFEGUARDING_ACTION_RECORDED)
                               .order_by(Event.seq)).first()
    assert (event.entity_type, event.entity_id, event.referral_id, event.actor_id) == (
        "safeguarding_concern", concern.id, concern.referral_id, clinician.user_id)


@pytest.mark.parametrize("action", ["", None])
def test_an_action_needs_a_description(db_session, clinician, concern, action):
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        safeguarding.record_action(db_session, clinician, concern, action, now=ROUTED)
    assert set(exc.value.errors) == {"action"}
    assert count(db_session, SafeguardingAction) == 0


# --- Closure by a senior -------------------------------------------------------------------------

def test_a_senior_closes_the_concern(db_session, clinician, senior, concern):
    route(db_session, clinician, concern)
    db_session.commit()
    patient = db_session.get(Patient, concern.patient_id)
    assert [c.id for c in patient.open_concerns] == [concern.id]
    before = head(db_session)
    close(db_session, senior, concern)
    # Same transaction: the banner drops the concern now.
    assert patient.open_concerns == []
    db_session.commit()
    assert actions_since(db_session, before) == [actions.SAFEGUARDING_CLOSED]
    db_session.expire_all()
    stored = db_session.get(SafeguardingConcern, concern.id)
    assert (stored.status, stored.outcome, stored.closure_summary, stored.closed_by, stored.closed_at,
            stored.version) == ("closed", "Strategy meeting held; police lead", "Safety plan in place",
                                senior.user_id, CLOSED, 3)
    assert db_session.get(Patient, concern.patient_id).open_concerns == []
    assert safeguarding.open_concerns(db_session) == []
    # Closed, not deleted: the patient's history keeps it.
    assert [c.id for c in safeguarding.concerns_for_patient(db_session, concern.patient_id)] == [concern.id]
    event = db_session.scalars(select(Event).where(Event.action == actions.SAFEGUARDING_CLOSED)).one()
    assert (event.entity_type, event.entity_id, event.actor_id, event.actor_role, event.occurred_at) == (
        "safeguarding_concern", concern.id, senior.user_id, "senior", CLOSED)
    assert json.loads(event.data) == {"outcome": "Strategy meeting held; police lead",
                                      "summary": "Safety plan in place"}
    assert event_chain.verify(db_session).ok


@pytest.mark.parametrize("role", ["clinician", "booking", "auditor", "manager"])
def test_only_a_senior_closes_a_concern(db_session, concern, actor):
    with nothing_written(db_session), pytest.raises(NotPermitted):
        close(db_session, actor, concern)
    stored = db_session.get(SafeguardingConcern, concern.id)
    assert (stored.status, stored.closed_at) == ("open", None)
    assert [c.id for c in db_session.get(Patient, concern.patient_id).open_concerns] == [concern.id]


@pytest.mark.parametrize(("outcome", "summary", "fields"), [
    ("", "Safety plan in place", {"outcome"}),
    (None, "Safety plan in place", {"outcome"}),
    ("Police lead", "", {"summary"}),
    ("Police lead", None, {"summary"}),
    ("", "", {"outcome", "summary"}),
])
def test_closure_needs_an_outcome_and_a_summary(db_session, senior, concern, outcome, summary, fields):
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        close(db_session, senior, concern, outcome=outcome, summary=summary)
    assert set(exc.value.errors) == fields
    stored = db_session.get(SafeguardingConcern, concern.id)
    assert (stored.status, stored.outcome, stored.closure_summary, stored.version) == ("open", None, None, 1)


def test_close_with_a_stale_version(db_session, clinician, senior, concern):
    route(db_session, clinician, concern)
    db_session.commit()
    with nothing_written(db_session), pytest.raises(StaleRecord):
        close(db_session, senior, concern, version=1)
    assert db_session.get(SafeguardingConcern, concern.id).status == "open"


def test_a_closed_concern_refuses_every_change(db_session, clinician, senior, concern):
    close(db_session, senior, concern)
    db_session.commit()
    with nothing_written(db_session):
        for change in (lambda: route(db_session, clinician, concern),
                       lambda: safeguarding.record_action(db_session, clinician, concern, "Phoned again", now=CLOSED),
                       lambda: close(db_session, senior, concern, outcome="Again", summary="Again")):
            with pytest.raises(TransitionNotAllowed):
                change()
    assert count(db_session, SafeguardingAction) == 0
    stored = db_session.get(SafeguardingConcern, concern.id)
    assert (stored.status, stored.routed_to, stored.outcome, stored.version) == (
        "closed", None, "Strategy meeting held; police lead", 2)


def test_a_new_concern_after_closure_shows_on_the_banner_again(db_session, clinician, senior, referral, concern):
    close(db_session, senior, concern)
    again = raise_it(db_session, clinician, referral, ConcernDetails("self_neglect", "Not eating"),
                     now=CLOSED + timedelta(days=1))
    db_session.commit()
    assert [c.id for c in db_session.get(Patient, referral.patient_id).open_concerns] == [again.id]
    assert [c.id for c in safeguarding.concerns_for_patient(db_session, referral.patient_id)] == [concern.id,
                                                                                                   again.id]
