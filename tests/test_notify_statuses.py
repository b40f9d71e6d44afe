"""`flask notify statuses`, against the local fake Notify API: a message sent there, its status set there, recorded
here; asked with the official client's exact requests; a message Notify does not know is asked again next time."""
from datetime import UTC, datetime, timedelta

import pytest
from notifications_python_client.notifications import NotificationsAPIClient

from inclusive_access.extensions import db
from inclusive_access.models import ContactTask, OutboxMessage
from tests import fake_notify_api
from tests.blueprints.records import count, events, stored_row
from tests.factories import make_referral
from tests.status_factories import MOBILE, contact_details, sent_message
from tests.test_cli import run


@pytest.fixture
def notify(fake_notify) -> NotificationsAPIClient:
    """The official client, pointed at the fake (as the sender would send through it)."""
    return NotificationsAPIClient(fake_notify_api.API_KEY, base_url=fake_notify.url)


def _sent(app, notify, channel: str = "sms", **message) -> tuple[int, str]:
    """A reminder sent to the fake Notify for a new patient whose only route is their mobile: (outbox id, Notify
    id)."""
    with app.app_context():
        referral = make_referral(db.session)
        contact_details(db.session, referral.patient_id, mobile=MOBILE)
        sent = sent_message(db.session, referral.patient_id, channel, referral_id=referral.id, notify=notify,
                            **message)
        db.session.commit()
        return sent.id, sent.notify_id


def test_a_status_set_at_notify_is_recorded_by_the_poll(app, runner, fake_notify, notify):
    message_id, notify_id = _sent(app, notify)
    fake_notify.set_status(notify_id, "delivered", "2026-12-06T18:40:01.000000Z")
    asked = len(fake_notify.requests)
    result = run(app, runner, "notify", "statuses")
    assert result.exit_code == 0, result.output
    assert "Recorded 1 new outcome; 0 already known; 0 still in progress." in result.output
    assert [(r.method, r.path) for r in fake_notify.requests[asked:]] == [("GET", f"/v2/notifications/{notify_id}")]
    stored = stored_row(app, OutboxMessage, message_id)
    assert (stored.status, stored.status_at) == ("delivered", datetime(2026, 12, 6, 18, 40, 1, tzinfo=UTC))
    assert [e.entity_id for e in events(app, "message.delivered")] == [message_id]


def test_the_poll_records_each_outcome_once_and_stops_asking(app, runner, fake_notify, notify):
    _message_id, notify_id = _sent(app, notify)
    fake_notify.set_status(notify_id, "sending")
    assert "0 new outcomes; 0 already known; 1 still in progress." in run(app, runner, "notify", "statuses").output
    fake_notify.set_status(notify_id, "permanent-failure")
    run(app, runner, "notify", "statuses")
    asked = len(fake_notify.requests)
    assert "Recorded 0 new outcomes" in run(app, runner, "notify", "statuses").output
    assert fake_notify.requests[asked:] == [], "an outcome known is not asked about again"
    assert (len(events(app, "message.delivery_failed")), count(app, ContactTask)) == (1, 1)


def test_the_poll_takes_a_temporary_failure_then_delivery(app, runner, fake_notify, notify):
    message_id, notify_id = _sent(app, notify, "email")
    fake_notify.set_status(notify_id, "temporary-failure")
    run(app, runner, "notify", "statuses")
    fake_notify.set_status(notify_id, "delivered")
    run(app, runner, "notify", "statuses")
    assert stored_row(app, OutboxMessage, message_id).status == "delivered"
    assert count(app, ContactTask) == 0


def test_a_message_notify_does_not_answer_for_is_asked_again_next_time(app, runner, fake_notify, notify):
    with app.app_context():
        unknown = sent_message(db.session, make_referral(db.session).patient_id)  # never reached the fake
        db.session.commit()
        unknown_id = unknown.id
    result = run(app, runner, "notify", "statuses")
    assert result.exit_code == 0
    assert "Notify did not answer for 1 message: they are asked again next time." in result.output
    assert stored_row(app, OutboxMessage, unknown_id).status == "sent"


def test_messages_sent_more_than_a_week_ago_are_not_asked_about(app, runner, fake_notify, notify):
    _sent(app, notify, sent_at=datetime.now(UTC) - timedelta(days=8))
    asked = len(fake_notify.requests)
    run(app, runner, "notify", "statuses")
    assert fake_notify.requests[asked:] == []


def test_without_an_api_key_the_poll_says_so(app, runner):
    app.config["NOTIFY_API_KEY"] = None
    result = run(app, runner, "notify", "statuses")
    assert result.exit_code != 0
    assert "NOTIFY_API_KEY is not set" in result.output
