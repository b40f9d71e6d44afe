"""The demo's outbox: the messages its bookings, missed appointments and clarifications queued, and the last three
months' reminders, in the statuses and formats a working service's would be in, so the equity of reach page shows
figures."""
from sqlalchemy import func, select

from inclusive_access.models import OutboxMessage
from inclusive_access.reporting import reach
from inclusive_access.reporting.queries import Period
from tests.demo_snapshots import A_YEAR, same_demo


@same_demo(**A_YEAR)
def test_the_demo_has_messages_mostly_delivered_and_reminders_that_reached_some_appointments(db_session, load_demo):
    load_demo(**A_YEAR)
    statuses = dict(db_session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    assert statuses.get("delivered", 0) > sum(statuses.values()) / 2, statuses
    assert {"failed", "withheld", "sent"} <= {s for s, n in statuses.items() if n}, statuses
    assert statuses.get("queued", 0) == 0, "nothing waits for a worker to send it"
    kinds = set(db_session.scalars(select(OutboxMessage.kind).distinct()))
    assert kinds >= {"appointment_confirmation", "appointment_reminder", "rebooking_offer"}
    found = reach.report(db_session, Period("2025-11", "2026-11"), "imd_quintile")
    assert found.overall.counts["messages"] == sum(statuses.values()), "all within the demo's year"
    assert (found.dna_overall.reminded.n > 0, found.dna_overall.unreminded.n > 0) == (True, True)
    assert found.dna_overall.reminded.rate < found.dna_overall.unreminded.rate
