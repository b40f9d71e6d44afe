"""Rapid clarification: requests due in 24 hours, contact attempts, closing, the idempotent sweep, the worklist."""
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from inclusive_access.domain import actions, clarification, event_chain, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.domain.errors import (
    DuplicateSubmission,
    InvalidInput,
    NotPermitted,
    StaleRecord,
    TransitionNotAllowed,
)
from inclusive_access.domain.triage import WorklistFilters
from inclusive_access.extensions import db
from inclusive_access.models import Clarification, ContactAttempt, Event, Referral
from tests.conftest import make_app
from tests.event_log import actions_since, count, head, nothing_written
from tests.factories import make_referral, make_user

NOW = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)  # a Monday
ASK = {"question": "Is the patient able to weight-bear?", "channel": "telephone", "contact_name": "Dr Example"}


def new_referral(session, received_at="2026-02-02 09:00", **overrides) -> Referral:
    referral = make_referral(session, received_at=received_at, **overrides)
    session.commit()
    return referral


def ask(session, actor, referral, now=NOW, **overrides) -> Clarification:
    return clarification.request_clarification(session, actor, referral, referral.version, now=now,
                                               **{**ASK, **overrides})


@pytest.fixture
def item(db_session, booker):
    referral = new_referral(db_session)
    found = ask(db_session, booker, referral)
    db_session.commit()
    return found


# --- Requesting ----------------------------------------------------------------------------------

def test_request_is_due_24_hours_later(db_session, booker):
    referral = new_referral(db_session)
    before = head(db_session)
    found = ask(db_session, booker, referral, channel="secure_message")
    db_session.commit()
    assert actions_since(db_session, before) == [actions.CLARIFICATION_REQUESTED]
    assert found.requested_at == NOW
    assert found.due_at == NOW + timedelta(hours=24)
    assert (found.question, found.channel, found.contact_name) == (ASK["question"], "secure_message", "Dr Example")
    assert found.requested_by == booker.user_id
    assert found.closed_at is None
    assert found.escalated_at is None
    assert referral.state == "awaiting_clarification"
    assert referral.version == 2


def test_due_time_counts_clock_hours_across_the_bst_change(db_session, booker):
    referral = new_referral(db_session, received_at="2026-03-27 09:00")
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    found = ask(db_session, booker, referral, now=saturday)
    db_session.commit()
    db_session.expire_all()
    assert found.due_at == datetime(2026, 3, 29, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("overrides", "fields"), [
    ({"question": ""}, {"question"}),
    ({"channel": "fax"}, {"channel"}),
    ({"channel": ""}, {"channel"}),
    ({"contact_name": ""}, {"contact_name"}),
    ({"question": "", "channel": "pigeon", "contact_name": ""}, {"question", "channel", "contact_name"}),
])
def test_request_validation(db_session, booker, overrides, fields):
    referral = new_referral(db_session)
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        ask(db_session, booker, referral, **overrides)
    assert set(exc.value.errors) == fields
    assert count(db_session, Clarification) == 0
    assert db_session.get(Referral, referral.id).state == "received"


def test_request_needs_a_permitted_role(db_session):
    referral = new_referral(db_session)
    auditor = actor_for(make_user(db_session, role="auditor"))
    with pytest.raises(NotPermitted):
        ask(db_session, auditor, referral)
    db_session.rollback()
    assert count(db_session, Clarification) == 0


def test_request_with_a_stale_version(db_session, booker):
    referral = new_referral(db_session)
    script = triage.BookingScript(contact_method="telephone", contact_times="", safe_to_leave_message=None,
                                  interpreter_needed=None, language="", communication_needs="", mobility="",
                                  caring_or_work="", digital_access="")
    triage.triage_referral(db_session, booker, referral, 1, script, [], "escalate", reason_text="Senior please",
                           now=NOW)
    with pytest.raises(StaleRecord) as stale:
        clarification.request_clarification(db_session, booker, referral, 1, now=NOW, **ASK)
    assert actions.TRIAGE_ESCALATED in stale.value.changes


def test_request_only_while_received(db_session, booker, item):
    referral = db_session.get(Referral, item.referral_id)
    with pytest.raises(TransitionNotAllowed):
        ask(db_session, booker, referral)


def test_a_double_submit_creates_one_clarification(db_session, booker):
    referral = new_referral(db_session)
    before = head(db_session)
    first = ask(db_session, booker, referral, submission_token="tok-clarify-1")
    db_session.commit()
    # The second click carries the same token and the version the form was opened at.
    with pytest.raises(DuplicateSubmission) as dup:
        clarification.request_clarification(db_session, booker, referral, 1, now=NOW,
                                            submission_token="tok-clarify-1", **ASK)
    assert dup.value.existing_id == first.id
    db_session.rollback()
    assert count(db_session, Clarification) == 1
    assert actions_since(db_session, before) == [actions.CLARIFICATION_REQUESTED]


# --- Contact attempts ----------------------------------------------------------------------------

def test_log_attempt_records_and_writes_an_event(db_session, booker, item):
    before = head(db_session)
    when = NOW + timedelta(hours=1)
    attempt = clarification.log_attempt(db_session, booker, item, "telephone", False, "Voicemail", now=when)
    clarification.log_attempt(db_session, booker, item, "email", True, None, now=when + timedelta(hours=1))
    db_session.commit()
    assert actions_since(db_session, before) == [actions.CLARIFICATION_ATTEMPTED] * 2
    db_session.expire_all()
    stored = db_session.get(ContactAttempt, attempt.id)
    assert (stored.clarification_id, stored.method, stored.reached, stored.note) == (item.id, "telephone", False,
                                                                                    "Voicemail")
    assert stored.attempted_at == when
    assert stored.recorded_by == booker.user_id
    assert [a.method for a in db_session.get(Clarification, item.id).attempts] == ["telephone", "email"]
    rows = db_session.scalars(select(Event).where(Event.action == actions.CLARIFICATION_ATTEMPTED)
                              .order_by(Event.seq)).all()
    assert [(r.entity_type, r.entity_id, r.referral_id) for r in rows] == [
        ("clarification", item.id, item.referral_id)] * 2
    assert json.loads(rows[0].data) == {"method": "telephone", "reached": False, "note": "Voicemail"}


def test_log_attempt_validation(db_session, booker, item):
    before = head(db_session)
    with pytest.raises(InvalidInput) as exc:
        clarification.log_attempt(db_session, booker, item, "carrier pigeon", False, None, now=NOW)
    assert "method" in exc.value.errors
    auditor = actor_for(make_user(db_session, role="auditor"))
    with pytest.raises(NotPermitted):
        clarification.log_attempt(db_session, auditor, item, "telephone", False, None, now=NOW)
    assert actions_since(db_session, before) == [actions.USER_CREATED]
    assert count(db_session, ContactAttempt) == 0


def test_no_attempts_on_a_closed_clarification(db_session, booker, item):
    clarification.close_clarification(db_session, booker, item, item.version, "Yes, with a stick", None, now=NOW)
    with pytest.raises(InvalidInput):
        clarification.log_attempt(db_session, booker, item, "telephone", True, None, now=NOW)
    assert count(db_session, ContactAttempt) == 0


# --- Closing -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("response", "reason"), [(None, None), ("", ""), ("", None)])
def test_close_needs_an_answer_or_a_reason(db_session, booker, item, response, reason):
    with nothing_written(db_session), pytest.raises(InvalidInput) as exc:
        clarification.close_clarification(db_session, booker, item, item.version, response, reason, now=NOW)
    assert "response" in exc.value.errors
    stored = db_session.get(Clarification, item.id)
    assert stored.closed_at is None
    assert db_session.get(Referral, item.referral_id).state == "awaiting_clarification"


def test_the_database_refuses_a_clarification_closed_without_answer_or_reason(db_session, item):
    with pytest.raises(IntegrityError):
        db_session.execute(text("UPDATE clarifications SET closed_at = CURRENT_TIMESTAMP WHERE id = :id"),
                           {"id": item.id})
    db_session.rollback()
    # the same update with a documented reason is accepted, so the refusal above was the constraint
    db_session.execute(text("UPDATE clarifications SET closed_at = CURRENT_TIMESTAMP, close_reason = 'Duplicate' "
                            "WHERE id = :id"), {"id": item.id})
    db_session.rollback()


def test_answering_returns_the_referral_to_the_top_of_triage(db_session, booker, item):
    # Another referral, overdue since last week, is in the queue.
    overdue = new_referral(db_session, received_at="2026-01-20 09:00", housing_status="temporary")
    answered_at = NOW + timedelta(hours=3)
    before = head(db_session)
    clarification.close_clarification(db_session, booker, item, item.version, "Yes, with a stick", None,
                                      now=answered_at)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.CLARIFICATION_ANSWERED]
    db_session.expire_all()
    stored = db_session.get(Clarification, item.id)
    assert (stored.response, stored.close_reason) == ("Yes, with a stick", None)
    assert (stored.closed_at, stored.closed_by) == (answered_at, booker.user_id)
    assert stored.version == 2
    referral = db_session.get(Referral, item.referral_id)
    assert referral.state == "received"
    assert referral.triage_priority == 0
    assert referral.triage_due_at == answered_at
    assert referral.version > 2
    assert overdue.triage_due_at < answered_at
    rows = triage.triage_worklist(db_session, WorklistFilters(), answered_at + timedelta(minutes=1)).rows
    assert [r.id for r in rows] == [referral.id, overdue.id]
    data = json.loads(db_session.scalars(select(Event.data).where(Event.action == actions.CLARIFICATION_ANSWERED))
                      .one())
    assert (data["from"], data["to"], data["response"]) == ("awaiting_clarification", "received",
                                                            "Yes, with a stick")
    assert data["version"] == referral.version


def test_closing_with_a_documented_reason(db_session, booker, item):
    before = head(db_session)
    clarification.close_clarification(db_session, booker, item, item.version, None, "Referrer unreachable; "
                                      "triaging on what we have", now=NOW)
    db_session.commit()
    assert actions_since(db_session, before) == [actions.CLARIFICATION_CLOSED]
    assert item.response is None
    assert item.close_reason == "Referrer unreachable; triaging on what we have"
    referral = db_session.get(Referral, item.referral_id)
    assert (referral.state, referral.triage_priority) == ("received", 0)


def test_an_answer_wins_over_a_reason(db_session, booker, item):
    clarification.close_clarification(db_session, booker, item, item.version, "Yes", "Also a reason", now=NOW)
    assert (item.response, item.close_reason) == ("Yes", None)


def test_close_twice_and_stale_close_are_refused(db_session, booker, item):
    with pytest.raises(StaleRecord):
        clarification.close_clarification(db_session, booker, item, item.version + 1, "Yes", None, now=NOW)
    clarification.close_clarification(db_session, booker, item, item.version, "Yes", None, now=NOW)
    db_session.commit()
    before = head(db_session)
    with pytest.raises(InvalidInput):
        clarification.close_clarification(db_session, booker, item, item.version, "Again", None, now=NOW)
    assert actions_since(db_session, before) == []
    assert item.response == "Yes"


def test_close_needs_a_permitted_role(db_session, item):
    manager = actor_for(make_user(db_session, role="manager"))
    with pytest.raises(NotPermitted):
        clarification.close_clarification(db_session, manager, item, item.version, "Yes", None, now=NOW)
    assert item.closed_at is None


# --- The sweep -----------------------------------------------------------------------------------

def escalations(session) -> list[int]:
    return list(session.scalars(select(Event.entity_id).where(Event.action == actions.CLARIFICATION_ESCALATED)
                                .order_by(Event.seq)))


def test_sweep_escalates_each_overdue_clarification_once(db_session, booker):
    first = ask(db_session, booker, new_referral(db_session), now=NOW)
    second = ask(db_session, booker, new_referral(db_session), now=NOW + timedelta(hours=2))
    closed = ask(db_session, booker, new_referral(db_session), now=NOW - timedelta(hours=30))
    clarification.close_clarification(db_session, booker, closed, closed.version, "Answered", None,
                                      now=NOW - timedelta(hours=1))
    db_session.commit()

    # Not yet due; and exactly at the due time is not overdue.
    assert clarification.escalate_overdue(db_session, now=NOW + timedelta(hours=23)) == []
    assert clarification.escalate_overdue(db_session, now=first.due_at) == []
    db_session.commit()
    assert escalations(db_session) == []

    sweep = NOW + timedelta(hours=25)
    assert [c.id for c in clarification.escalate_overdue(db_session, now=sweep)] == [first.id]
    db_session.commit()
    assert first.escalated_at == sweep
    assert second.escalated_at is None
    # Run again at the same time, and later while only the first is overdue: nothing new.
    assert clarification.escalate_overdue(db_session, now=sweep) == []
    assert clarification.escalate_overdue(db_session, now=sweep + timedelta(minutes=30)) == []
    db_session.commit()
    assert escalations(db_session) == [first.id]

    later = NOW + timedelta(hours=27)
    assert [c.id for c in clarification.escalate_overdue(db_session, now=later)] == [second.id]
    assert clarification.escalate_overdue(db_session, now=later) == []
    assert clarification.escalate_overdue(db_session, now=later + timedelta(days=3)) == []
    db_session.commit()
    assert escalations(db_session) == [first.id, second.id]
    assert first.escalated_at == sweep  # not moved by later sweeps
    event = db_session.scalars(select(Event).where(Event.action == actions.CLARIFICATION_ESCALATED)
                               .order_by(Event.seq)).first()
    assert event.actor_id is None
    assert event.referral_id == first.referral_id
    assert json.loads(event.data)["overdue_by_minutes"] == 60
    assert event_chain.verify(db_session).ok


def test_sweep_on_a_second_worker_does_not_repeat(database_url, db_session, booker, item):
    sweep = item.due_at + timedelta(minutes=5)
    assert len(clarification.escalate_overdue(db_session, now=sweep)) == 1
    db_session.commit()
    other = make_app(database_url)
    try:
        with other.app_context():
            assert clarification.escalate_overdue(db.session, now=sweep + timedelta(minutes=1)) == []
            db.session.commit()
            db.session.remove()
    finally:
        with other.app_context():
            db.engine.dispose()
    assert escalations(db_session) == [item.id]


# --- The worklist --------------------------------------------------------------------------------

def test_worklist_puts_overdue_first_escalated_or_not_then_due_today_then_later(db_session, booker):
    escalated = ask(db_session, booker, new_referral(db_session), now=NOW)
    clarification.escalate_overdue(db_session, now=NOW + timedelta(hours=25))
    # Requested afterwards but backdated: due earlier than the escalated one, not yet swept.
    early = ask(db_session, booker, new_referral(db_session), now=NOW - timedelta(hours=2))
    today = ask(db_session, booker, new_referral(db_session), now=NOW + timedelta(hours=5))
    later = ask(db_session, booker, new_referral(db_session), now=NOW + timedelta(hours=20))
    closed = ask(db_session, booker, new_referral(db_session), now=NOW - timedelta(hours=5))
    clarification.close_clarification(db_session, booker, closed, closed.version, None, "Withdrawn", now=NOW)
    db_session.commit()
    assert (early.escalated_at, escalated.escalated_at is not None) == (None, True)
    page = clarification.clarification_worklist(db_session, NOW + timedelta(hours=25))
    assert [(group.heading, group.total, [entry.item for entry in group.entries]) for group in page.groups] == [
        ("Overdue", 2, [early, escalated]), ("Due today", 1, [today]), ("Due later", 1, [later])]
    assert clarification.clarification_worklist(db_session, NOW, per_page=1).rows == [early]
    assert clarification.count_open(db_session) == 4
