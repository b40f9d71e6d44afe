"""The rebuild reads only the events the projection acts on, and stores its rows exactly as the incremental path."""
from datetime import UTC, datetime

from sqlalchemy import text

from inclusive_access import demo
from inclusive_access.domain import actions, fact_projection, fact_rebuild

ACTIONS = {value for name, value in vars(actions).items() if name.isupper()}
WHEN = "2026-06-02T09:00:00+00:00"
#: every key `project` reads from an event's data, a transition's too, so an action wrongly left out of a list shows
EVERYTHING = {"due_at": WHEN, "first_contact_at": WHEN, "starts_at": WHEN, "reason": "non_attendance",
              "deliveries": [{"adjustment_id": 1, "met": True, "reason": None}], "from": "received", "to": "discharged",
              "version": 2}


NOTHING_KNOWN = fact_projection.Known(adjustments=lambda _id: fact_projection.Adjustments([], []),
                                      appointments=lambda _id: fact_projection.Appointments([], []),
                                      referrals_of=lambda _id: [])


class Event:
    def __init__(self, action: str, data: dict):
        self.action, self.data, self.occurred_at = action, data, WHEN
        self.referral_id, self.patient_id = 1, 1


def stored(session) -> list[tuple]:
    """referral_facts as the database holds it (SQLite: the datetime text itself)."""
    return [tuple(row) for row in session.execute(text("SELECT * FROM referral_facts ORDER BY referral_id"))]


def test_the_projected_actions_are_real_actions():
    assert fact_projection.PROJECTED_ACTIONS | fact_projection.PATIENT_ACTIONS <= ACTIONS


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


def test_the_rebuild_stores_what_the_incremental_path_stores(db_session):
    demo.load(db_session, patients=25, referrals=40, seed=11)
    db_session.commit()
    incremental = stored(db_session)
    assert fact_rebuild.rebuild(db_session) == 40 + demo.GAP_PATIENTS
    db_session.commit()
    assert stored(db_session) == incremental
