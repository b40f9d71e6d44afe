"""Each event that calls for a message queues exactly one, in its own transaction; reminders are queued once for
each booked appointment the configured days ahead, and never for a cancelled one."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from inclusive_access.domain import actions, appointments, clarification, message_causes
from inclusive_access.domain.outbox import MessageSettings
from inclusive_access.models import Appointment, Event, OutboxMessage
from tests.conftest import ON_SQLITE
from tests.contact_factories import EMAIL, MOBILE, contacted, messages
from tests.factories import SLOT, TRIAGED, book, make_referral

SETTINGS = MessageSettings(reminder_days=(3, 1), service_phone="0113 496 0000")


def _seq(session, action: str) -> int:
    """The newest `action` event's place in the chain, once the transaction commits (which seals its events)."""
    session.commit()
    return session.scalar(select(Event.seq).where(Event.action == action).order_by(Event.seq.desc()).limit(1))


def _kinds(session) -> list[tuple[str, int | None]]:
    return [(m.kind, m.appointment_id) for m in messages(session)]


def test_a_booking_queues_its_confirmation_with_it(db_session, clinician):
    referral = contacted(db_session, clinician, "text", mobile=MOBILE)
    appointment = appointments.book_appointment(db_session, clinician, referral, referral.version, SLOT, "clinic",
                                                "Room 4, Example Health Centre", now=TRIAGED, messages=SETTINGS)
    [message] = messages(db_session)
    assert (message.kind, message.appointment_id, message.referral_id, message.patient_id) == (
        "appointment_confirmation", appointment.id, referral.id, referral.patient_id)
    assert _seq(db_session, actions.APPOINTMENT_BOOKED) == message.cause_seq
    assert (message.queued_at, message.next_attempt_at) == (TRIAGED, TRIAGED)
    assert {key: message.personalisation[key] for key in ("appointment_format", "appointment_place",
                                                          "service_phone")} == {
        "appointment_format": "At the clinic", "appointment_place": "Room 4, Example Health Centre",
        "service_phone": "0113 496 0000"}


def test_a_booking_rolled_back_leaves_no_message(app, db_session, clinician):
    referral = contacted(db_session, clinician, "text", mobile=MOBILE)
    db_session.commit()
    book(db_session, clinician, referral, SLOT, now=TRIAGED)
    assert len(messages(db_session)) == 1
    db_session.rollback()
    assert messages(db_session) == []
    assert db_session.scalars(select(Appointment)).all() == []


def test_moving_an_appointment_confirms_the_new_time(db_session, clinician):
    referral = contacted(db_session, clinician, "text", mobile=MOBILE)
    appointment = book(db_session, clinician, referral, SLOT, now=TRIAGED)
    later = SLOT + timedelta(days=1, hours=4, minutes=30)
    appointments.rebook_appointment(db_session, clinician, appointment, appointment.version, later, "video", None,
                                    now=TRIAGED + timedelta(hours=1))
    first, moved = messages(db_session)
    assert (first.kind, moved.kind) == ("appointment_confirmation", "appointment_confirmation")
    assert _seq(db_session, actions.APPOINTMENT_REBOOKED) == moved.cause_seq
    assert (moved.personalisation["appointment_date"], moved.personalisation["appointment_time"],
            moved.personalisation["appointment_format"]) == ("Tuesday 9 June 2026", "2:30pm", "By video call")


def test_a_missed_appointment_queues_one_offer_to_rebook(db_session, clinician):
    referral = contacted(db_session, clinician, "text", mobile=MOBILE)
    appointment = book(db_session, clinician, referral, SLOT, now=TRIAGED)
    appointments.record_outcome(db_session, clinician, appointment, appointment.version, "dna",
                                now=SLOT + timedelta(hours=1))
    assert _kinds(db_session) == [("appointment_confirmation", appointment.id),
                                  ("rebooking_offer", appointment.id)]
    assert _seq(db_session, actions.APPOINTMENT_DNA) == messages(db_session, "rebooking_offer")[0].cause_seq


@pytest.mark.parametrize("outcome", ["attended", "late_not_seen", "cancelled_service"])
def test_other_outcomes_queue_nothing(db_session, clinician, outcome):
    referral = contacted(db_session, clinician, "text", mobile=MOBILE)
    appointment = book(db_session, clinician, referral, SLOT, now=TRIAGED)
    appointments.record_outcome(db_session, clinician, appointment, appointment.version, outcome, "Clinic closed",
                                now=SLOT + timedelta(hours=1))
    assert [kind for kind, _ in _kinds(db_session)] == ["appointment_confirmation"]


@pytest.mark.parametrize("outcome", ["dna", "attended"])
def test_a_past_contact_recorded_afterwards_queues_nothing(db_session, clinician, outcome):
    referral = contacted(db_session, clinician, "text", mobile=MOBILE)
    appointments.record_past_contact(db_session, clinician, referral, referral.version, SLOT, "telephone", None,
                                     outcome, "Seen at the drop-in", now=SLOT + timedelta(days=1))
    assert messages(db_session) == []


def _ask(session, actor, channel: str, referrer_contact: str):
    referral = make_referral(session, received_at="2026-06-01 09:00", referrer_contact=referrer_contact,
                             external_ref="GP-4471")
    return clarification.request_clarification(session, actor, referral, referral.version, "Which knee?", channel,
                                               "Dr Example", now=TRIAGED, messages=SETTINGS), referral


def test_a_clarification_by_email_is_queued_to_the_referrers_email_address(db_session, clinician):
    item, referral = _ask(db_session, clinician, "email", "dr.example@example.nhs.uk")
    [message] = messages(db_session)
    assert (message.kind, message.channel, message.template, message.addressed_to, message.recipient,
            message.clarification_id) == ("clarification_request", "email", "email", "referrer",
                                          "dr.example@example.nhs.uk", item.id)
    assert _seq(db_session, actions.CLARIFICATION_REQUESTED) == message.cause_seq
    fields = message.personalisation
    # asked at 10:00 UTC on 1 June, due back 24 hours later: 11am in London on the 2nd
    assert {key: fields[key] for key in ("name", "referrer_name", "patient_name", "referral_reference", "question",
                                         "due_date", "due_time")} == {
        "name": "Dr Example", "referrer_name": "Dr Example", "patient_name": "Testy Sampleton",
        "referral_reference": "GP-4471", "question": "Which knee?", "due_date": "Tuesday 2 June 2026",
        "due_time": "11am"}


def test_a_clarification_by_email_to_a_referrer_without_one_is_withheld(db_session, clinician):
    _ask(db_session, clinician, "email", "0113 496 0000")
    [message] = messages(db_session)
    assert (message.status, message.addressed_to) == ("withheld", "referrer")
    assert "not an email address" in message.withheld_reason


@pytest.mark.parametrize("channel", ["telephone", "secure_message"])
def test_a_clarification_asked_another_way_sends_nothing(db_session, clinician, channel):
    _ask(db_session, clinician, channel, "dr.example@example.nhs.uk")
    assert messages(db_session) == []


# -- reminders -----------------------------------------------------------------------------------------------------

#: Thursday 4 June 2026, 02:00 in London: the nightly sweep's run, 4 days before SLOT (Monday 8 June, 10am)
NIGHT = datetime(2026, 6, 4, 1, 0, tzinfo=UTC)


def _reminders(session) -> list[tuple[int, str]]:
    return [(m.appointment_id, m.dedupe_key.split(":")[3]) for m in messages(session, "appointment_reminder")]


@pytest.fixture
def booked(db_session, clinician) -> Appointment:
    return book(db_session, clinician, contacted(db_session, clinician, "text", mobile=MOBILE), SLOT, now=TRIAGED)


def test_reminders_are_queued_once_three_days_and_one_day_before(db_session, booked):
    assert message_causes.queue_reminders(db_session, SETTINGS, NIGHT) == []
    for night in (1, 1, 2, 3, 4, 4):  # each night's sweep, some run twice, to the day itself
        message_causes.queue_reminders(db_session, SETTINGS, NIGHT + timedelta(days=night))
    assert _reminders(db_session) == [(booked.id, "3"), (booked.id, "1")]
    three_days, one_day = messages(db_session, "appointment_reminder")
    assert (three_days.queued_at, one_day.queued_at) == (NIGHT + timedelta(days=1), NIGHT + timedelta(days=3))
    assert (one_day.channel, one_day.recipient, one_day.cause_seq) == ("sms", MOBILE, None)


def test_reminders_count_london_calendar_days(db_session, clinician):
    """00:30 on Friday 3 July in London is 23:30 UTC on Thursday: it is Friday's appointment."""
    referral = contacted(db_session, clinician, "email", email=EMAIL)
    just_after_midnight = book(db_session, clinician, referral, datetime(2026, 7, 2, 23, 30, tzinfo=UTC),
                               now=TRIAGED)
    message_causes.queue_reminders(db_session, SETTINGS, datetime(2026, 7, 1, 8, 0, tzinfo=UTC))  # Wednesday
    assert _reminders(db_session) == []
    message_causes.queue_reminders(db_session, SETTINGS, datetime(2026, 7, 2, 8, 0, tzinfo=UTC))  # Thursday
    assert _reminders(db_session) == [(just_after_midnight.id, "1")]


def test_a_cancelled_appointment_gets_no_reminder(db_session, clinician, booked):
    appointments.record_outcome(db_session, clinician, booked, booked.version, "cancelled_patient", "Feeling better",
                                now=NIGHT)
    message_causes.queue_reminders(db_session, SETTINGS, NIGHT + timedelta(days=1))
    assert _reminders(db_session) == []


def test_a_moved_appointment_is_reminded_of_its_new_time_only(db_session, clinician, booked):
    message_causes.queue_reminders(db_session, SETTINGS, NIGHT + timedelta(days=1))
    appointments.rebook_appointment(db_session, clinician, booked, booked.version, SLOT + timedelta(days=2),
                                    "telephone", None, now=NIGHT + timedelta(days=1, hours=9))
    for night in (2, 3, 4, 5):
        message_causes.queue_reminders(db_session, SETTINGS, NIGHT + timedelta(days=night))
    reminded = [m.personalisation["appointment_date"] for m in messages(db_session, "appointment_reminder")]
    assert reminded == ["Monday 8 June 2026", "Wednesday 10 June 2026", "Wednesday 10 June 2026"]


def test_the_days_reminded_are_a_setting(db_session, booked):
    for night in range(1, 5):
        message_causes.queue_reminders(db_session, MessageSettings(reminder_days=(2,)), NIGHT + timedelta(days=night))
    assert _reminders(db_session) == [(booked.id, "2")]


@ON_SQLITE
def test_the_sweep_reads_its_index_not_the_history(db_session):
    statement = message_causes.booked_between(NIGHT, NIGHT + timedelta(days=1)).compile(
        db_session.bind, compile_kwargs={"literal_binds": True})
    plan = " ".join(row[-1] for row in db_session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}"))
    assert "USING INDEX ix_appointments_status_starts" in plan, plan


def test_a_withheld_reminder_is_kept_for_staff_and_reports(db_session, clinician):
    referral = contacted(db_session, clinician, "text", safe=False, mobile=MOBILE)
    book(db_session, clinician, referral, SLOT, now=TRIAGED)
    message_causes.queue_reminders(db_session, SETTINGS, NIGHT + timedelta(days=1))
    [reminder] = messages(db_session, "appointment_reminder")
    assert (reminder.status, reminder.next_attempt_at) == ("withheld", None)
    assert db_session.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "queued")) is None
