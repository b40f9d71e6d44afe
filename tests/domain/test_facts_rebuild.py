"""The rebuild reads only the events the projection acts on, and stores its rows exactly as the incremental path."""
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from inclusive_access import demo
from inclusive_access.domain import actions, event_chain, fact_projection, fact_rebuild, instruments, outcome_projection
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Event as LoggedEvent
from inclusive_access.models import Patient, Referral, ReferralFact
from tests.demo_snapshots import SMALL, same_demo
from tests.domain.test_outcome_facts import SHIPPED, answered, contact
from tests.factories import staff

pytestmark = same_demo(**SMALL)
ACTIONS = {value for name, value in vars(actions).items() if name.isupper()}
WHEN = "2026-06-02T09:00:00+00:00"
#: every key `project` reads from an event's data, a transition's too, so an action wrongly left out of a list shows
EVERYTHING = {"due_at": WHEN, "first_contact_at": WHEN, "starts_at": WHEN, "reason": "non_attendance",
              "deliveries": [{"adjustment_id": 1, "met": True, "reason": None}], "from": "received", "to": "discharged",
              "version": 2}


NOTHING_KNOWN = fact_projection.Known(adjustments=lambda _id: fact_projection.Adjustments([], []),
                                      appointments=lambda _id: fact_projection.Appointments([], []),
                                      referrals_of=lambda _id: [], urgent_contacts=lambda _id: [])


class Event:
    def __init__(self, action: str, data: dict):
        self.action, self.data, self.occurred_at = action, data, WHEN
        self.referral_id, self.patient_id = 1, 1


#: every table the rebuild writes, and the number of its key's columns (they come first)
WRITTEN = {"referral_facts": 1, "outcome_facts": 2, "referral_fact_counts": 5, "unrebooked_dnas": 2}


def stored(session) -> list[list[tuple]]:
    """Every table the rebuild writes, in key order, as the database holds it (SQLite: the datetime text itself)."""
    return [[tuple(row) for row in session.execute(text(
        f"SELECT * FROM {table} ORDER BY {', '.join(str(i + 1) for i in range(key))}"))]  # noqa: S608
        for table, key in WRITTEN.items()]


def test_the_projected_actions_are_real_actions():
    assert fact_projection.PROJECTED_ACTIONS | fact_projection.PATIENT_ACTIONS | outcome_projection.ACTIONS <= ACTIONS
    assert not outcome_projection.ACTIONS & fact_projection.PROJECTED_ACTIONS, "they change outcome_facts alone"


def test_an_action_the_rebuild_skips_changes_no_facts():
    """rebuild reads PROJECTED_ACTIONS only: project must ignore every other action, even with a transition's keys."""
    fact = fact_projection.project(None, Event(actions.REFERRAL_RECEIVED, {"received_at": "2026-06-01T09:00:00+00:00",
                                                                          "pathway_code": "msk"}), NOTHING_KNOWN)
    fact["unrebooked_dna_at"] = datetime(2026, 6, 1, 12, tzinfo=UTC)
    fact["clarification_due_at"] = datetime(2026, 6, 2, 12, tzinfo=UTC)
    for action in sorted(ACTIONS - fact_projection.PROJECTED_ACTIONS - fact_projection.PATIENT_ACTIONS):
        assert fact_projection.project(fact, Event(action, EVERYTHING), NOTHING_KNOWN) == fact, action


def test_the_actions_replay_does_not_decode_ignore_their_data():
    """replay passes {} for an action outside READS_DATA: project must not need its data."""
    fact = fact_projection.project(None, Event(actions.REFERRAL_RECEIVED, {"received_at": "2026-06-01T09:00:00+00:00",
                                                                          "pathway_code": "msk"}), NOTHING_KNOWN)
    fact["unrebooked_dna_at"] = datetime(2026, 5, 30, 12, tzinfo=UTC)
    fact["clarification_due_at"] = datetime(2026, 6, 2, 12, tzinfo=UTC)
    for action in sorted(fact_projection.PROJECTED_ACTIONS - fact_projection.READS_DATA):
        with_data = fact_projection.project(fact, Event(action, EVERYTHING), NOTHING_KNOWN)
        assert with_data == fact_projection.project(fact, Event(action, {}), NOTHING_KNOWN), action


def answers_and_contacts(session, rng: random.Random) -> None:
    """On the demo's referrals received 60 days ago or more, entered today: answers to each of the pathway's
    instruments, mostly out of order (a discharge's first, a paper baseline after the first-contact one, some left
    out), and urgent contacts after receipt and after discharge, on either side of the 30 days."""
    clinician, now = staff(session, "clinician"), datetime.now(UTC)
    referrals = session.scalars(select(Referral).where(Referral.received_at <= now - timedelta(days=60))
                                .order_by(Referral.id).limit(15))
    for referral in referrals:
        received = referral.received_at
        for instrument in instruments.for_pathway(SHIPPED.values(), referral.pathway.code):
            for time_point, days in (("discharge", 50), ("first_contact", 3), ("review", 20), ("first_contact", 2)):
                if rng.random() < 0.8:
                    answers = {item.id: rng.choice(item.options).code for item in instrument.items}
                    answered(session, clinician, referral, instrument, time_point, answers,
                             received + timedelta(days=days), entered=now)
        discharged_at = session.get(ReferralFact, referral.id).discharged_at
        for start in (received, discharged_at):
            if start is not None and rng.random() < 0.7:
                day = (start + timedelta(days=rng.choice((0, 29, 30, 31)))).astimezone(LONDON).date()
                contact(session, clinician, referral, min(day, now.astimezone(LONDON).date()), now=now)


def test_the_rebuild_stores_what_the_incremental_path_stores(db_session, load_demo):
    load_demo(**SMALL)
    answers_and_contacts(db_session, random.Random(11))
    db_session.commit()
    incremental = stored(db_session)
    assert len(incremental[1]) > 10, "outcome facts on many referrals"
    assert any(row.urgent_contact_after_referral for row in db_session.scalars(select(ReferralFact)))
    assert any(row.urgent_contact_after_discharge for row in db_session.scalars(select(ReferralFact)))
    assert fact_rebuild.rebuild(db_session) == 40 + demo.ADDED_PATIENTS
    db_session.commit()
    assert stored(db_session) == incremental


def test_a_rebuild_in_steps_with_events_between_them_equals_one_from_scratch(db_session, load_demo):
    """Answers and urgent contacts entered after the first patients' step, for them and for patients still to come:
    the facts come out as a rebuild from scratch of the whole log makes them."""
    load_demo(**SMALL)
    before = event_chain.head_seq(db_session)
    rebuilding = fact_rebuild.steps(db_session, patients=5)
    next(rebuilding)
    db_session.commit()
    rebuilt = set(db_session.scalars(select(Patient.id).order_by(Patient.id).limit(5)))
    answers_and_contacts(db_session, random.Random(11))
    db_session.commit()
    touched = set(db_session.scalars(select(LoggedEvent.patient_id).where(LoggedEvent.seq > before)))
    assert touched & rebuilt, "events for patients already rebuilt"
    assert touched - rebuilt, "and for patients still to come"
    for _written in rebuilding:
        db_session.commit()
    in_steps = stored(db_session)
    fact_rebuild.rebuild(db_session)
    db_session.commit()
    assert stored(db_session) == in_steps
