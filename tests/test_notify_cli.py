"""`flask notify send`: what it says it sent, retried and failed, and its refusals, against the fake Notify API."""
import json

import pytest

from inclusive_access import cli
from inclusive_access.extensions import db
from inclusive_access.models import OutboxMessage
from tests import fake_notify_api
from tests.factories import accepted, staff
from tests.message_factories import TEMPLATES, queued
from tests.test_cli import run


def _queue(app, *routes: str, kind: str = "appointment_reminder") -> list[int]:
    """Messages queued (in the past, so due now) for a new accepted referral, committed."""
    with app.app_context():
        referral = accepted(db.session, staff(db.session, "clinician"))
        ids = [queued(db.session, referral, route, kind).id for route in routes]
        db.session.commit()
        return ids


def _statuses(app, ids: list[int]) -> list[str]:
    with app.app_context():
        return [db.session.get(OutboxMessage, i).status for i in ids]


@pytest.fixture
def configured(app, fake_notify):
    """The app sending to the fake Notify, with the reminder's templates set as the environment sets them."""
    app.config["NOTIFY_TEMPLATES"] = json.dumps(TEMPLATES)
    return fake_notify


def test_send_says_how_many_were_sent_retried_and_failed(app, runner, configured):
    retried, sent = _queue(app, "sms", "email")
    [failed] = _queue(app, "sms", kind="rebooking_offer")  # no template is set for it
    configured.fail_next(502, "Exception")
    result = run(app, runner, "notify", "send")
    assert result.exit_code == 0, result.output
    assert result.output == "Sent 1; to retry later 1; failed 1.\n"
    assert _statuses(app, [retried, sent, failed]) == ["queued", "sent", "failed"]
    assert run(app, runner, "notify", "send").output == "Sent 0; to retry later 0; failed 0.\n", "not due yet"


def test_send_refuses_without_an_api_key_and_sends_nothing(app, runner, configured):
    ids = _queue(app, "sms")
    app.config["NOTIFY_API_KEY"] = None
    result = run(app, runner, "notify", "send")
    assert result.exit_code == 1
    assert "NOTIFY_API_KEY is not set: nothing is sent" in result.output
    assert (configured.requests, _statuses(app, ids)) == ([], ["queued"])


def test_send_refuses_a_key_that_is_not_a_notify_key_without_printing_it(app, runner, configured):
    app.config["NOTIFY_API_KEY"] = "not-a-key-at-all"
    result = run(app, runner, "notify", "send")
    assert result.exit_code == 1
    assert "NOTIFY_API_KEY is not a Notify API key" in result.output
    assert "not-a-key-at-all" not in result.output


def test_send_stops_loudly_when_notify_refuses_the_key_and_leaves_the_messages_due(app, runner, configured):
    ids = _queue(app, "sms", "sms")
    app.config["NOTIFY_API_KEY"] = f"revoked-{fake_notify_api.SERVICE_ID}-11111111-2222-4333-8444-555555555555"
    result = run(app, runner, "notify", "send")
    assert result.exit_code == 1
    assert "Notify refused the API key (403 AuthError: Invalid token" in result.output
    assert "the messages stay due" in result.output
    assert _statuses(app, ids) == ["queued", "queued"]
    assert "555555555555" not in result.output


def test_send_with_loop_keeps_looking_for_due_messages(app, runner, configured, monkeypatch):
    naps = []

    def nap(seconds):
        naps.append(seconds)
        if len(naps) == 1:
            _queue(app, "letter")  # queued while the worker sleeps
        else:
            raise KeyboardInterrupt  # the operator stops it

    monkeypatch.setattr(cli.time, "sleep", nap)
    _queue(app, "sms")
    result = run(app, runner, "notify", "send", "--loop", "30")
    assert result.output.splitlines()[:2] == ["Sent 1; to retry later 0; failed 0."] * 2
    assert naps == [30, 30]
    assert [n["type"] for n in configured.sent()] == ["sms", "letter"]
