"""The rebuild reads only the events the projection acts on, and stores its rows exactly as the incremental path."""
from datetime import UTC, datetime

from sqlalchemy import text

from inclusive_access import demo
from inclusive_access.domain import actions, events, facts
from inclusive_access.domain.actors import actor_for
from tests.factories import make_referral, make_user

ACTIONS = {value for name, value in vars(events).items() if name.isupper() and isinstance(value, str) and "." in value}
WHEN = "2026-06-02T09:00:00+00:00"
#: every key `project` reads from an event's data, so an action wrongly left out of the list would show
EVERYTHING_BUT_A_TRANSITION = {"due_at": WHEN, "first_contact_at": WHEN, "starts_at": WHEN, "reason": "non_attendance",
                               "deliveries": [{"adjustment_id": 1, "met": True, "reason": None}]}


NOTHING_KNOWN = facts.Known(adjustments=lambda _id: facts.Adjustments([], []),
                            appointments=lambda _id: facts.Appointments([], []), referrals_of=lambda _id: [])


class Event:
    def __init__(self, action: str, data: dict):
        self.action, self.data, self.occurred_at = action, data, WHEN
        self.referral_id, self.patient_id = 1, 1


def stored(session) -> list[tuple]:
    """referral_facts as the database holds it (SQLite: the datetime text itself)."""
    return [tuple(row) for row in session.execute(text("SELECT * FROM referral_facts ORDER BY referral_id"))]


def test_the_projected_actions_are_real_actions():
    assert facts.PROJECTED_ACTIONS | facts.PATIENT_ACTIONS <= ACTIONS


def test_an_action_the_rebuild_skips_changes_no_facts():
    """rebuild reads PROJECTED_ACTIONS and transitions only: project must ignore every other action."""
    fact = facts.project(None, Event(actions.REFERRAL_RECEIVED, {"received_at": "2026-06-01T09:00:00+00:00",
                                                                 "pathway_code": "msk"}), NOTHING_KNOWN)
    fact["unrebooked_dna_at"] = datetime(2026, 6, 1, 12, tzinfo=UTC)
    fact["clarification_due_at"] = datetime(2026, 6, 2, 12, tzinfo=UTC)
    for action in sorted(ACTIONS - facts.PROJECTED_ACTIONS - facts.PATIENT_ACTIONS):
        assert facts.project(fact, Event(action, EVERYTHING_BUT_A_TRANSITION), NOTHING_KNOWN) == fact, action


def test_the_actions_replay_does_not_decode_ignore_their_data():
    """replay passes {} for an action outside READS_DATA that is not a transition: project must not need it."""
    fact = facts.project(None, Event(actions.REFERRAL_RECEIVED, {"received_at": "2026-06-01T09:00:00+00:00",
                                                                 "pathway_code": "msk"}), NOTHING_KNOWN)
    fact["unrebooked_dna_at"] = datetime(2026, 5, 30, 12, tzinfo=UTC)
    fact["clarification_due_at"] = datetime(2026, 6, 2, 12, tzinfo=UTC)
    for action in sorted(facts.PROJECTED_ACTIONS - facts.READS_DATA):
        with_data = facts.project(fact, Event(action, EVERYTHING_BUT_A_TRANSITION), NOTHING_KNOWN)
        assert with_data == facts.project(fact, Event(action, {}), NOTHING_KNOWN), action


def test_a_transition_is_rebuilt_whatever_its_action(db_session):
    referral = make_referral(db_session)
    events.record(db_session, actor_for(make_user(db_session, "senior")), "referral.moved_by_a_new_command",
                  "referral", referral.id, patient_id=referral.patient_id, referral_id=referral.id,
                  data={"from": "received", "to": "accepted", "version": 2})
    db_session.commit()
    incremental = stored(db_session)
    assert "accepted" in incremental[0]
    facts.rebuild(db_session)
    db_session.commit()
    assert stored(db_session) == incremental


def test_the_rebuild_stores_what_the_incremental_path_stores(db_session):
    demo.load(db_session, patients=25, referrals=40, seed=11)
    db_session.commit()
    incremental = stored(db_session)
    assert facts.rebuild(db_session) == 40 + demo.GAP_PATIENTS
    db_session.commit()
    assert stored(db_session) == incremental
