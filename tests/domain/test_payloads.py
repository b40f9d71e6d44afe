"""A referral's transition: written in the shape the log already holds, only under the actions the projection reads
a state from, and read back so that the facts follow the referral's own state."""
import json

import pytest
from sqlalchemy import select

from inclusive_access.domain import referral_flow
from inclusive_access.domain.events import canonical_json
from inclusive_access.domain.payloads import TRANSITION_ACTIONS, Transition
from inclusive_access.domain.states import ReferralState
from inclusive_access.models import Event, Referral, ReferralFact
from tests.demo_snapshots import EVERY_PATH, same_demo
from tests.event_log import nothing_written
from tests.factories import make_referral, staff


def _names_states(data: dict) -> bool:
    """Whether an event's data names two referral states as its "from" and "to" (a rebooking names slots)."""
    return all(isinstance(data.get(key), str) and data[key] in set(ReferralState) for key in ("from", "to"))


def test_a_transition_is_written_byte_for_byte_as_the_log_holds_it():
    """The chain hashes the data: a transition's text must be what every earlier one was."""
    data = Transition("received", "accepted").data(2, {"summary": "Accepted at triage"})
    assert canonical_json(data) == '{"from":"received","summary":"Accepted at triage","to":"accepted","version":2}'


def test_a_transition_is_read_from_an_event_as_stored():
    stored = '{"from":"in_treatment","reason":"non_attendance","to":"discharged","version":7}'
    assert Transition.read(json.loads(stored)) == Transition("in_treatment", "discharged")


def test_a_move_under_an_action_the_projection_does_not_read_is_refused(db_session):
    referral = make_referral(db_session)
    booker = staff(db_session, "booking")
    db_session.commit()
    with nothing_written(db_session), pytest.raises(ValueError, match="TRANSITION_ACTIONS"):
        referral_flow.transition(db_session, booker, referral, "accept", "referral.moved_by_a_new_command")
    assert db_session.get(Referral, referral.id).state == ReferralState.RECEIVED


@same_demo(**EVERY_PATH)
def test_every_move_the_commands_write_is_under_a_transition_action(db_session, load_demo):
    """The demo's history (one large enough to take every path) drives the commands through the state machine: each
    event naming the states a referral moved between is under one of TRANSITION_ACTIONS, each of those is written,
    and the facts, kept event by event, end in every referral's own state."""
    load_demo(**EVERY_PATH)
    moved = {event.action for event in db_session.scalars(select(Event).where(Event.referral_id.is_not(None)))
             if _names_states(json.loads(event.data))}
    assert moved == TRANSITION_ACTIONS
    assert dict(db_session.execute(select(ReferralFact.referral_id, ReferralFact.state)).all()) == dict(
        db_session.execute(select(Referral.id, Referral.state)).all())
