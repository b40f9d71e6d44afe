"""Notify's delivery-status callback: a machine API with its own bearer token (compared in constant time), no CSRF,
and the same recording as the poll: repeated reports change nothing, a late temporary failure never overwrites
delivery."""
import pytest

from inclusive_access.extensions import db
from inclusive_access.models import OutboxMessage
from tests.blueprints.records import events, stored_row
from tests.conftest import ON_BOTH_DATABASES
from tests.factories import make_referral
from tests.status_factories import sent_message

TOKEN = "a-long-random-callback-token-from-the-notify-settings"
URL = "/notify/delivery-status"


@pytest.fixture
def message(app) -> dict:
    """An appointment reminder Notify accepted, and the callback's token configured: what Notify would post."""
    app.config["NOTIFY_CALLBACK_TOKEN"] = TOKEN
    with app.app_context():
        referral = make_referral(db.session)
        sent = sent_message(db.session, referral.patient_id, referral_id=referral.id)
        db.session.commit()
        return {"id": sent.notify_id, "reference": str(sent.id), "to": sent.recipient, "status": "delivered",
                "created_at": "2026-12-06T18:40:00.000000Z", "completed_at": "2026-12-06T18:40:01.000000Z",
                "sent_at": "2026-12-06T18:40:00.500000Z", "notification_type": "sms"}


def _post(client, body, token: str | None = TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(URL, json=body, headers=headers)


def _status(app, body) -> str:
    return stored_row(app, OutboxMessage, int(body["reference"])).status


def test_notifys_callback_with_the_token_records_the_status(app, client, message):
    response = _post(client, message)
    assert (response.status_code, response.get_json()) == (200, {"result": "recorded"})
    assert _status(app, message) == "delivered"
    [delivered] = events(app, "message.delivered")
    assert (delivered.actor_id, delivered.entity_id) == (None, int(message["reference"]))


@pytest.mark.parametrize("token", [None, "", "a-wrong-token", TOKEN[:-1], TOKEN + "x"],
                         ids=["none", "empty", "wrong", "a-prefix", "longer"])
def test_a_wrong_or_missing_token_is_refused_and_records_nothing(app, client, message, token):
    response = _post(client, message, token)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="notify"'
    assert (_status(app, message), events(app, "message.delivered")) == ("sent", [])


def test_another_scheme_is_refused(app, client, message):
    assert client.post(URL, json=message, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401


def test_without_a_configured_token_the_endpoint_does_not_exist(app, client, message):
    app.config["NOTIFY_CALLBACK_TOKEN"] = None
    assert _post(client, message).status_code == 404
    assert _status(app, message) == "sent"


def test_a_repeated_callback_changes_nothing(app, client, message):
    assert _post(client, message).status_code == 200
    again = _post(client, message)
    assert (again.status_code, again.get_json()) == (200, {"result": "repeated"})
    assert len(events(app, "message.delivered")) == 1


def test_a_late_temporary_failure_after_delivery_is_ignored(app, client, message):
    _post(client, message)
    late = _post(client, {**message, "status": "temporary-failure"})
    assert (late.status_code, late.get_json()) == (200, {"result": "late"})
    assert (_status(app, message), events(app, "message.delivery_failed")) == ("delivered", [])


@pytest.mark.parametrize("changed", [{"reference": "999999"}, {"id": "6f0c1b7e-0000-4000-8000-000000000000"}],
                         ids=["unknown-reference", "another-notify-id"])
def test_a_report_about_no_message_of_ours_is_not_found(app, client, message, changed):
    assert _post(client, {**message, **changed}).status_code == 404
    assert _status(app, message) == "sent"


def test_a_report_before_the_send_is_recorded_asks_notify_to_retry(app, client, message):
    with app.app_context():
        db.session.get(OutboxMessage, int(message["reference"])).status = "sending"
        db.session.commit()
    assert _post(client, message).status_code == 409


@pytest.mark.parametrize("sent", [{"data": "not json", "content_type": "application/json"}, {"json": ["delivered"]},
                                  {"json": {"reference": "1", "status": "delivered"}}],
                         ids=["not-json", "not-an-object", "no-id"])
@ON_BOTH_DATABASES
def test_a_body_that_is_not_notifys_is_a_bad_request(client, message, sent):
    assert client.post(URL, headers={"Authorization": f"Bearer {TOKEN}"}, **sent).status_code == 400


def test_an_unknown_status_is_a_bad_request(app, client, message):
    assert _post(client, {**message, "status": "lost-in-the-post"}).status_code == 400
    assert _status(app, message) == "sent"
