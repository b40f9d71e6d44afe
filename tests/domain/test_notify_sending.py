"""Sending the outbox through GOV.UK Notify (against the local fake Notify API): the exact requests the official
client sends, retries with backoff, failures, the crash between sending and recording settled without a second
send, and two workers that never take the same message."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, appointments, notify_sending
from inclusive_access.domain.event_view import shown
from inclusive_access.domain.notify_sending import LEASE, MAX_ATTEMPTS, NotifyUnauthorised
from inclusive_access.domain.outbox import Route, Withheld
from inclusive_access.event_sentences import sentence
from inclusive_access.extensions import db
from inclusive_access.models import Appointment, Event, OutboxMessage
from inclusive_access.notify.gateway import NotifyGateway
from inclusive_access.notify.worker import send_due
from tests import fake_notify_api
from tests.conftest import _free_port
from tests.contact_factories import MOBILE, cause, contacted
from tests.event_log import actions_since, data_of, head
from tests.factories import SLOT, staff
from tests.fake_notify_api import Received
from tests.message_factories import QUEUED, REMINDER, ROUTES, TEMPLATES, queued, settings

PATHS = {"sms": "/v2/notifications/sms", "email": "/v2/notifications/email", "letter": "/v2/notifications/letter"}


@pytest.fixture
def notify(app, fake_notify):
    """The worker's gateway to the fake Notify, with the key the app is configured with."""
    return NotifyGateway(app.config["NOTIFY_API_KEY"], app.config["NOTIFY_BASE_URL"])


def run(session, notify, at=QUEUED, templates=TEMPLATES):
    """One pass of the worker with its clock at `at`."""
    return send_due(session, notify, settings(templates), clock=lambda: at)


def message(session, message_id) -> OutboxMessage:
    session.expire_all()
    return session.get(OutboxMessage, message_id)


def posts(fake) -> list[Received]:
    return [r for r in fake.requests if r.method == "POST"]


def lookups(fake) -> list[dict]:
    return [r.args for r in fake.requests if r.method == "GET"]


@pytest.mark.parametrize("template", ["sms", "email", "letter", "letter_large_print"])
def test_each_format_is_sent_as_exactly_the_request_notify_expects(db_session, referral, fake_notify, notify,
                                                                   template):
    route = ROUTES[template]
    sent = queued(db_session, referral, template)
    db_session.commit()
    assert run(db_session, notify) == {"sent": 1, "retry": 0, "failed": 0}
    addressed = {"sms": {"phone_number": "07700 900123"}, "email": {"email_address": "testy@example.com"},
                 "letter": {}}[route.channel]
    assert fake_notify.requests == [Received("POST", PATHS[route.channel], {
        **addressed, "template_id": TEMPLATES["appointment_reminder"][template],
        "personalisation": route.personalisation, "reference": str(sent.id)}, {})]
    [accepted] = fake_notify.sent()
    row = message(db_session, sent.id)
    assert (row.status, row.notify_id, row.sent_at, row.attempts, row.error) == ("sent", accepted["id"], QUEUED, 1,
                                                                                 None)


def test_a_sent_message_is_on_the_patients_timeline_without_what_it_said(db_session, referral, fake_notify, notify):
    sent = queued(db_session, referral, Route("sms", "sms", "carer", "07700 900456", REMINDER))
    db_session.commit()
    before = head(db_session)
    run(db_session, notify)
    [event] = db_session.scalars(select(Event).where(Event.seq > before)).all()
    assert (event.action, event.entity_type, event.entity_id, event.patient_id, event.referral_id, event.actor_id) == (
        actions.MESSAGE_SENT, "outbox_message", sent.id, referral.patient_id, referral.id, None)
    assert data_of(db_session, actions.MESSAGE_SENT, before) == [
        {"kind": "appointment_reminder", "channel": "sms", "template": "sms", "addressed_to": "carer", "attempt": 1}]
    assert sentence(shown(event, None, "booking")) == "Appointment reminder sent by text message to the carer"


def test_notify_down_then_busy_puts_the_message_back_with_growing_backoff_until_it_goes(db_session, referral,
                                                                                        fake_notify, notify):
    sent = queued(db_session, referral)
    db_session.commit()
    fake_notify.fail_next(500, "Exception")
    fake_notify.fail_next(429, "RateLimitError")

    assert run(db_session, notify) == {"sent": 0, "retry": 1, "failed": 0}
    row = message(db_session, sent.id)
    assert (row.status, row.attempts, row.next_attempt_at) == ("queued", 1, QUEUED + timedelta(minutes=2))
    assert row.error == "500 Exception: The fake was told to fail this request"

    assert run(db_session, notify, QUEUED + timedelta(minutes=1)) == {"sent": 0, "retry": 0, "failed": 0}, "not due"
    assert run(db_session, notify, QUEUED + timedelta(minutes=2)) == {"sent": 0, "retry": 1, "failed": 0}
    row = message(db_session, sent.id)
    assert (row.attempts, row.next_attempt_at) == (2, QUEUED + timedelta(minutes=6))
    assert row.error.startswith("429 RateLimitError")

    assert run(db_session, notify, QUEUED + timedelta(minutes=6)) == {"sent": 1, "retry": 0, "failed": 0}
    assert len(fake_notify.sent()) == 1
    assert lookups(fake_notify) == [{"reference": str(sent.id)}] * 2, "each retry first asks Notify for it"
    assert (message(db_session, sent.id).status, len(posts(fake_notify))) == ("sent", 3)


def test_notify_out_of_reach_puts_the_message_back_to_try_again(db_session, referral):
    sent = queued(db_session, referral)
    db_session.commit()
    unreachable = NotifyGateway(fake_notify_api.API_KEY, f"http://127.0.0.1:{_free_port()}", timeout=2)
    assert run(db_session, unreachable) == {"sent": 0, "retry": 1, "failed": 0}
    row = message(db_session, sent.id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.error.startswith("Notify could not be reached: ConnectionError:")


def test_a_message_notify_never_takes_is_failed_after_the_last_attempt(db_session, referral, fake_notify, notify):
    sent = queued(db_session, referral)
    db_session.commit()
    fake_notify.fail_next(503, "Exception", times=MAX_ATTEMPTS)
    before, at = head(db_session), QUEUED
    for _ in range(MAX_ATTEMPTS - 1):
        assert run(db_session, notify, at) == {"sent": 0, "retry": 1, "failed": 0}
        at = message(db_session, sent.id).next_attempt_at
    assert at - QUEUED > timedelta(hours=5), "Notify gets hours to come back"
    assert run(db_session, notify, at) == {"sent": 0, "retry": 0, "failed": 1}
    row = message(db_session, sent.id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert row.error == f"Given up after {MAX_ATTEMPTS} attempts; the last: 503 Exception: The fake was told to " \
                        "fail this request"
    assert actions_since(db_session, before) == [actions.MESSAGE_FAILED]
    assert data_of(db_session, actions.MESSAGE_FAILED, before) == [
        {"kind": "appointment_reminder", "channel": "sms", "template": "sms", "addressed_to": "patient",
         "attempt": MAX_ATTEMPTS, "error": row.error}]
    assert fake_notify.sent() == []
    assert run(db_session, notify, at + timedelta(days=1)) == {"sent": 0, "retry": 0, "failed": 0}


def test_a_message_notify_refuses_fails_at_once_and_says_why(db_session, referral, fake_notify, notify):
    sent = queued(db_session, referral)
    db_session.commit()
    fake_notify.fail_next(400, "ValidationError")
    before = head(db_session)
    assert run(db_session, notify) == {"sent": 0, "retry": 0, "failed": 1}
    row = message(db_session, sent.id)
    assert (row.status, row.attempts, row.error) == ("failed", 1, "400 ValidationError: The fake was told to fail "
                                                                  "this request")
    [event] = db_session.scalars(select(Event).where(Event.seq > before)).all()
    assert sentence(shown(event, None, "booking")) == (
        "Appointment reminder by text message not sent. Why: 400 ValidationError: The fake was told to fail this "
        "request. Attempts: 1")
    assert "Why" not in sentence(shown(event, None, "manager")), "Notify's words are the care team's"


def test_a_message_whose_template_is_not_set_fails_without_calling_notify(db_session, referral, fake_notify,
                                                                          notify):
    sent = queued(db_session, referral, "letter_large_print")
    db_session.commit()
    only_standard = {"appointment_reminder": {"letter": TEMPLATES["appointment_reminder"]["letter"]}}
    assert run(db_session, notify, templates=only_standard) == {"sent": 0, "retry": 0, "failed": 1}
    assert fake_notify.requests == []
    assert message(db_session, sent.id).error == ("No Notify template is set for appointment_reminder "
                                                  "letter_large_print: add it to NOTIFY_TEMPLATES "
                                                  "(docs/operations.md)")


def test_a_withheld_message_is_never_sent(db_session, referral, fake_notify, notify):
    kept = queued(db_session, referral, Withheld("Not safe to leave a message, and no address recorded"))
    db_session.commit()
    assert run(db_session, notify, QUEUED + timedelta(days=1)) == {"sent": 0, "retry": 0, "failed": 0}
    assert fake_notify.requests == []
    assert message(db_session, kept.id).status == "withheld"


@pytest.mark.parametrize("overtaken_by", ["cancelled", "begun"])
def test_a_reminder_overtaken_by_its_appointment_is_withheld_not_sent(db_session, fake_notify, notify, overtaken_by):
    clinician = staff(db_session, "clinician")
    reminder = cause(db_session, clinician, contacted(db_session, clinician, "text", mobile=MOBILE),
                     "appointment_reminder")
    now = SLOT - timedelta(days=2)
    if overtaken_by == "cancelled":
        appointment = db_session.get(Appointment, reminder.appointment_id)
        appointments.record_outcome(db_session, clinician, appointment, appointment.version, "cancelled_patient",
                                    reason="Moved away", now=now)
    else:
        now = SLOT + timedelta(minutes=5)
    db_session.commit()
    assert run(db_session, notify, now) == {"sent": 0, "retry": 0, "failed": 0}
    assert fake_notify.requests == []
    assert (message(db_session, reminder.id).status, message(db_session, reminder.id).withheld_reason) == (
        "withheld", notify_sending.OVERTAKEN)


def died_at(step: str, db_session, referral, notify, monkeypatch):
    """A queued message whose worker died at `step` (after its claim was committed), once: the message."""
    sent = queued(db_session, referral)
    db_session.commit()
    real = getattr(notify_sending, step)

    def dying(*args, **kwargs):
        monkeypatch.setattr(notify_sending, step, real)
        raise SystemExit(f"the worker died at {step}")

    monkeypatch.setattr(notify_sending, step, dying)
    with pytest.raises(SystemExit):
        run(db_session, notify)
    db_session.rollback()
    return sent


def test_a_crash_between_send_and_record_is_settled_by_the_reference_and_never_sent_twice(db_session, referral,
                                                                                         fake_notify, notify,
                                                                                         monkeypatch):
    sent = died_at("record", db_session, referral, notify, monkeypatch)
    [accepted] = fake_notify.sent()
    assert message(db_session, sent.id).status == "sending", "the claim was committed before Notify was called"

    assert run(db_session, notify, QUEUED + LEASE - timedelta(seconds=1)) == {"sent": 0, "retry": 0, "failed": 0}, (
        "its worker may still be at it")
    before = head(db_session)
    assert run(db_session, notify, QUEUED + LEASE) == {"sent": 1, "retry": 0, "failed": 0}
    row = message(db_session, sent.id)
    assert (row.status, row.notify_id, row.attempts) == ("sent", accepted["id"], 2)
    assert fake_notify.sent() == [accepted], "exactly one notification"
    assert [(r.method, r.path) for r in fake_notify.requests] == [("POST", PATHS["sms"]), ("GET", "/v2/notifications")]
    assert data_of(db_session, actions.MESSAGE_SENT, before)[0]["attempt"] == 2


def test_a_crash_before_notify_had_it_is_sent_once_after_the_lease(db_session, referral, fake_notify, notify,
                                                                 monkeypatch):
    sent = died_at("deliver", db_session, referral, notify, monkeypatch)
    assert fake_notify.requests == []
    assert run(db_session, notify, QUEUED + LEASE) == {"sent": 1, "retry": 0, "failed": 0}
    assert [(r.method, r.path) for r in fake_notify.requests] == [("GET", "/v2/notifications"), ("POST", PATHS["sms"])]
    assert message(db_session, sent.id).notify_id == fake_notify.sent()[0]["id"]


def test_a_worker_whose_lease_ran_out_records_nothing_over_the_worker_that_took_over(db_session, referral):
    sent = queued(db_session, referral)
    db_session.commit()
    [slow] = notify_sending.claim(db_session, QUEUED)
    db_session.commit()
    [taken_over] = notify_sending.claim(db_session, QUEUED + LEASE)
    db_session.commit()
    before = head(db_session)
    assert notify_sending.record(db_session, slow, notify_sending.Sent("late"), QUEUED + LEASE) is None
    assert notify_sending.record(db_session, taken_over, notify_sending.Sent("found"), QUEUED + LEASE) == "sent"
    db_session.commit()
    assert (message(db_session, sent.id).notify_id, actions_since(db_session, before)) == (
        "found", [actions.MESSAGE_SENT])


def test_two_workers_never_claim_the_same_message(app, db_session, referral, backend):
    ids = [queued(db_session, referral, at=QUEUED + timedelta(seconds=n)).id for n in range(3)]
    db_session.commit()
    first = notify_sending.claim(db_session, QUEUED + timedelta(minutes=1), limit=2)
    if backend == "sqlite":  # one writer at a time: the second worker's claim waits for the first to commit
        db_session.commit()
    with Session(db.engine) as other:
        second = notify_sending.claim(other, QUEUED + timedelta(minutes=1), limit=2)
        other.commit()
    db_session.commit()
    assert [c.id for c in first] == ids[:2], "oldest first"
    assert [c.id for c in second] == ids[2:], "the rows the first holds are skipped, not waited for"
    with Session(db.engine) as third:
        assert notify_sending.claim(third, QUEUED + timedelta(minutes=2)) == []
        third.commit()


def test_a_refused_api_key_stops_the_run_and_leaves_every_message_due(app, db_session, referral, fake_notify):
    ids = [queued(db_session, referral).id for _ in range(2)]
    db_session.commit()
    wrong = NotifyGateway(f"revoked-{fake_notify_api.SERVICE_ID}-11111111-2222-4333-8444-555555555555",
                          fake_notify.url)
    before = head(db_session)
    with pytest.raises(NotifyUnauthorised, match="Notify refused the API key"):
        run(db_session, wrong)
    db_session.rollback()
    assert [(m.status, m.attempts, m.claimed_at) for m in (message(db_session, i) for i in ids)] == [
        ("queued", 0, None)] * 2
    assert actions_since(db_session, before) == []
    assert fake_notify.sent() == []
