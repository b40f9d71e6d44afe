"""Contact problems: a permanent failure on the only route recorded for the addressee opens one task for booking
staff; another route recorded opens none; booking staff close it saying what they did."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, contact_tasks, message_statuses
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord, TransitionNotAllowed
from inclusive_access.models import ContactTask
from tests.event_log import actions_since, count, data_of, head
from tests.factories import make_referral, staff
from tests.status_factories import ADDRESS, EMAIL, MOBILE, contact_details, open_contact_task, sent_message


@pytest.fixture
def referral(db_session):
    return make_referral(db_session)


def _fails(session, referral, channel="sms", **message) -> list[ContactTask]:
    """A message of `channel` fails permanently: the tasks it opened."""
    sent = sent_message(session, referral.patient_id, channel, referral_id=referral.id, **message)
    message_statuses.record_status(session, sent, "permanent-failure")
    return list(session.scalars(select(ContactTask).where(ContactTask.message_id == sent.id)))


def test_a_permanent_failure_of_the_only_mobile_opens_one_task(db_session, referral):
    contact_details(db_session, referral.patient_id, mobile=MOBILE)
    before = head(db_session)
    [task] = _fails(db_session, referral)
    assert (task.patient_id, task.referral_id, task.reason, task.closed_at) == (
        referral.patient_id, referral.id, contact_tasks.NO_WORKING_ROUTE, None)
    assert actions_since(db_session, before) == [actions.MESSAGE_DELIVERY_FAILED, actions.CONTACT_TASK_OPENED]
    assert data_of(db_session, actions.CONTACT_TASK_OPENED, before) == [{
        "reason": "no_working_route", "message_id": task.message_id, "kind": "appointment_reminder",
        "channel": "sms", "addressed_to": "patient"}]
    assert _fails(db_session, referral) == [], "one open task per patient: the second failure finds the first"
    assert count(db_session, ContactTask) == 1


def test_a_failure_on_one_of_two_routes_opens_none(db_session, referral):
    contact_details(db_session, referral.patient_id, mobile=MOBILE, email=EMAIL)
    before = head(db_session)
    assert _fails(db_session, referral) == []
    assert actions_since(db_session, before) == [actions.MESSAGE_DELIVERY_FAILED]


def test_a_new_number_recorded_since_the_failed_one_is_another_route(db_session, referral):
    contact_details(db_session, referral.patient_id, mobile="07700 900999")
    assert _fails(db_session, referral, recipient=MOBILE) == []


@pytest.mark.parametrize("recorded", [{}, {"address_lines": ADDRESS}], ids=["no-details", "address-only"])
def test_a_failed_letter_with_no_other_route_opens_a_task(db_session, referral, recorded):
    if recorded:
        contact_details(db_session, referral.patient_id, **recorded)
    assert len(_fails(db_session, referral, "letter")) == 1


def test_routes_are_judged_for_the_addressee(db_session, referral):
    """The patient's own email does not reach their carer, who receives their messages."""
    contact_details(db_session, referral.patient_id, email=EMAIL, carer_name="Alex Carer", carer_mobile=MOBILE)
    assert len(_fails(db_session, referral, addressed_to="carer")) == 1


def test_a_failure_to_reach_a_referrer_opens_none(db_session, referral):
    assert _fails(db_session, referral, "email", kind="clarification_request", addressed_to="referrer") == []


def test_temporary_and_technical_failures_open_none(db_session, referral):
    contact_details(db_session, referral.patient_id, mobile=MOBILE)
    for status in ("temporary-failure", "technical-failure"):
        message_statuses.record_status(db_session, sent_message(db_session, referral.patient_id), status)
    assert count(db_session, ContactTask) == 0


def test_booking_staff_close_a_task_saying_what_they_did(db_session):
    task = open_contact_task(db_session)
    booking = staff(db_session, "booking")
    before = head(db_session)
    contact_tasks.close_task(db_session, booking, task, task.version, "  Called: new mobile recorded  ")
    assert (task.closed_by, task.outcome_note, task.version) == (booking.user_id, "Called: new mobile recorded", 2)
    assert data_of(db_session, actions.CONTACT_TASK_CLOSED, before) == [
        {"reason": "no_working_route", "note": "Called: new mobile recorded"}]
    assert contact_tasks.count_open(db_session) == 0


def test_closing_needs_a_note_the_version_seen_an_open_task_and_a_booking_role(db_session):
    task = open_contact_task(db_session)
    booking = staff(db_session, "booking")
    with pytest.raises(InvalidInput):
        contact_tasks.close_task(db_session, booking, task, task.version, "   ")
    with pytest.raises(StaleRecord):
        contact_tasks.close_task(db_session, booking, task, task.version + 1, "Called")
    for role in ("manager", "auditor"):
        with pytest.raises(NotPermitted):
            contact_tasks.close_task(db_session, staff(db_session, role), task, task.version, "Called")
    contact_tasks.close_task(db_session, booking, task, task.version, "Called")
    with pytest.raises(TransitionNotAllowed):
        contact_tasks.close_task(db_session, booking, task, task.version, "Called again")


def test_after_closing_a_new_failure_opens_a_new_task(db_session, referral):
    contact_details(db_session, referral.patient_id, mobile=MOBILE)
    [first] = _fails(db_session, referral)
    contact_tasks.close_task(db_session, staff(db_session, "senior"), first, first.version, "Number confirmed")
    assert len(_fails(db_session, referral)) == 1


def test_the_worklist_holds_open_tasks_oldest_first(db_session):
    older, newer, closed = (open_contact_task(db_session) for _ in range(3))
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 9am in London: the newer is due at 1pm, today
    older.opened_at, newer.opened_at = now - timedelta(days=2), now - timedelta(hours=20)
    contact_tasks.close_task(db_session, staff(db_session, "clinician"), closed, closed.version, "Called")
    db_session.flush()
    page = contact_tasks.worklist(db_session, now)
    assert (page.rows, page.totals, contact_tasks.count_open(db_session)) == (
        [older, newer], {"overdue": 1, "today": 1, "later": 0}, 2)
