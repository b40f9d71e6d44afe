"""`flask notify remind`, and the nightly `flask sla sweep` that runs it: the day's reminders, each queued once."""
from datetime import UTC, datetime, timedelta

from inclusive_access.extensions import db
from tests.contact_factories import MOBILE, contacted, messages
from tests.factories import book, staff
from tests.test_cli import run


def _booked_in(app, days: int) -> int:
    with app.app_context():
        clinician = staff(db.session, "clinician")
        appointment = book(db.session, clinician, contacted(db.session, clinician, "text", mobile=MOBILE),
                           datetime.now(UTC) + timedelta(days=days))
        db.session.commit()
        return appointment.id


def _reminded(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [(m.appointment_id, m.channel, m.recipient) for m in messages(db.session, "appointment_reminder")]


def test_notify_remind_queues_the_days_reminders_once(app, runner):
    app.config["NOTIFY_REMINDER_DAYS"] = "1,3"
    soon, later, not_yet = _booked_in(app, 1), _booked_in(app, 3), _booked_in(app, 2)
    first = run(app, runner, "notify", "remind")
    assert first.exit_code == 0, first.output
    assert first.output == "Queued 2 appointment reminders.\n"
    assert sorted(_reminded(app)) == [(soon, "sms", MOBILE), (later, "sms", MOBILE)]
    assert run(app, runner, "notify", "remind").output == "Queued 0 appointment reminders.\n"
    assert not_yet not in [appointment for appointment, _, _ in _reminded(app)]


def test_the_nightly_sweep_queues_them_too(app, runner):
    booked = _booked_in(app, 3)
    swept = run(app, runner, "sla", "sweep")
    assert swept.exit_code == 0, swept.output
    assert "Queued 1 appointment reminder." in swept.output.splitlines()
    assert _reminded(app) == [(booked, "sms", MOBILE)]
