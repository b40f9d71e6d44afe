"""Notify's delivery statuses: each outcome recorded once on the message and the patient's timeline, a final one never
overwritten, and the report's message found by its reference and Notify id."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, message_statuses
from inclusive_access.domain.errors import InvalidInput
from inclusive_access.models import Event
from tests.event_log import actions_since, data_of, head
from tests.factories import make_referral
from tests.status_factories import sent_message

AT = datetime(2026, 12, 6, 18, 40, 1, tzinfo=UTC)


@pytest.fixture
def reminder(db_session):
    """An appointment reminder by text message Notify accepted, about a new referral."""
    referral = make_referral(db_session)
    return sent_message(db_session, referral.patient_id, referral_id=referral.id)


def test_a_delivered_text_is_recorded_on_the_message_and_the_patients_timeline_by_the_system(db_session, reminder):
    before = head(db_session)
    assert message_statuses.record_status(db_session, reminder, "delivered", AT) == message_statuses.RECORDED
    assert (reminder.status, reminder.status_at) == ("delivered", AT)
    assert actions_since(db_session, before) == [actions.MESSAGE_DELIVERED]
    event = db_session.scalars(select(Event).where(Event.seq > before)).one()
    assert (event.actor_id, event.actor_role, event.patient_id, event.referral_id) == (
        None, None, reminder.patient_id, reminder.referral_id)
    assert data_of(db_session, actions.MESSAGE_DELIVERED, before) == [{
        "message_id": reminder.id, "kind": "appointment_reminder", "channel": "sms", "template": "sms",
        "addressed_to": "patient", "reported_at": AT.isoformat()}]


def test_a_failure_names_its_kind(db_session, reminder):
    before = head(db_session)
    message_statuses.record_status(db_session, reminder, "technical-failure", AT)
    assert reminder.status == "technical_failure"
    assert [d["failure"] for d in data_of(db_session, actions.MESSAGE_DELIVERY_FAILED, before)] == ["technical"]


def test_a_repeated_report_changes_nothing(db_session, reminder):
    message_statuses.record_status(db_session, reminder, "delivered", AT)
    before = head(db_session)
    assert message_statuses.record_status(db_session, reminder, "delivered") == message_statuses.REPEATED
    assert (reminder.status_at, actions_since(db_session, before)) == (AT, [])


def test_a_late_temporary_failure_after_delivery_is_ignored(db_session, reminder):
    message_statuses.record_status(db_session, reminder, "delivered", AT)
    before = head(db_session)
    assert message_statuses.record_status(db_session, reminder, "temporary-failure") == message_statuses.LATE
    assert (reminder.status, actions_since(db_session, before)) == ("delivered", [])


def test_a_temporary_failure_can_still_end_in_delivery(db_session, reminder):
    before = head(db_session)
    message_statuses.record_status(db_session, reminder, "temporary-failure", AT)
    message_statuses.record_status(db_session, reminder, "delivered")
    assert reminder.status == "delivered"
    assert actions_since(db_session, before) == [actions.MESSAGE_DELIVERY_FAILED, actions.MESSAGE_DELIVERED]


@pytest.mark.parametrize("status", ["created", "sending", "pending"])
def test_notifys_statuses_on_the_way_change_nothing(db_session, reminder, status):
    before = head(db_session)
    assert message_statuses.record_status(db_session, reminder, status) == message_statuses.IN_PROGRESS_ONLY
    assert (reminder.status, reminder.status_at, actions_since(db_session, before)) == ("sent", None, [])


def test_a_status_notify_does_not_send_is_refused(db_session, reminder):
    with pytest.raises(InvalidInput):
        message_statuses.record_status(db_session, reminder, "lost-in-the-post")
    assert reminder.status == "sent"


def test_a_letters_receipt_by_the_printer_counts_as_delivered(db_session):
    letter = sent_message(db_session, make_referral(db_session).patient_id, "letter", template="letter_large_print")
    message_statuses.record_status(db_session, letter, "received", AT)
    assert letter.status == "delivered"


def _report(message, status="delivered", **changed) -> message_statuses.Report:
    return message_statuses.Report(**{"notify_id": message.notify_id, "reference": str(message.id),
                                      "status": status, "at": AT, **changed})


def test_a_report_finds_its_message_by_reference_and_notify_id(db_session, reminder):
    assert message_statuses.record_report(db_session, _report(reminder)) == message_statuses.RECORDED
    assert reminder.status == "delivered"


@pytest.mark.parametrize("changed", [{"reference": "999999"}, {"reference": None}, {"reference": "12abc"},
                                     {"reference": "99999999999999999999"},
                                     {"notify_id": "another-environments-notification"}],
                         ids=["no-such-message", "no-reference", "not-an-id", "beyond-any-id", "another-notify-id"])
def test_a_report_about_no_message_of_ours_is_unknown(db_session, reminder, changed):
    assert message_statuses.record_report(db_session, _report(reminder, **changed)) == message_statuses.UNKNOWN
    assert reminder.status == "sent"


def test_a_report_before_the_sender_recorded_the_send_waits(db_session, reminder):
    reminder.status, reminder.notify_id = "sending", None
    db_session.flush()
    assert message_statuses.record_report(db_session, _report(reminder, notify_id="a-new-id")) == \
        message_statuses.NOT_SENT_YET
    assert reminder.status == "sending"


def test_notifys_json_reads_as_a_report():
    body = {"id": "740e5834-3a29-46b4-9a6f-16142fde533a", "reference": "12", "to": "07700900123",
            "status": "delivered", "created_at": "2026-12-06T18:40:00.000000Z",
            "completed_at": "2026-12-06T18:40:01.000000Z", "sent_at": "2026-12-06T18:40:00.500000Z",
            "notification_type": "sms"}
    assert message_statuses.Report.from_notify(body) == message_statuses.Report(
        "740e5834-3a29-46b4-9a6f-16142fde533a", "12", "delivered", AT)
    assert message_statuses.Report.from_notify({**body, "completed_at": None}).at == datetime(
        2026, 12, 6, 18, 40, 0, 500000, tzinfo=UTC)
    for wrong in (None, [], {"status": "delivered"}, {"id": 12, "status": "delivered"}):
        with pytest.raises(InvalidInput):
            message_statuses.Report.from_notify(wrong)


def test_the_poll_asks_about_messages_sent_this_week_whose_outcome_is_not_known(db_session):
    patient_id = make_referral(db_session).patient_id
    waiting, failed_for_now, delivered, old = (sent_message(db_session, patient_id) for _ in range(4))
    message_statuses.record_status(db_session, failed_for_now, "temporary-failure")
    message_statuses.record_status(db_session, delivered, "delivered")
    old.sent_at = datetime.now(UTC) - message_statuses.POLL_FOR - message_statuses.POLL_FOR / 7
    db_session.flush()
    now = datetime.now(UTC)
    assert message_statuses.awaiting(db_session, now) == [(waiting.id, waiting.notify_id),
                                                           (failed_for_now.id, failed_for_now.notify_id)]
    assert message_statuses.awaiting(db_session, now, after_id=waiting.id, limit=1) == [
        (failed_for_now.id, failed_for_now.notify_id)]
