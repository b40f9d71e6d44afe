"""Moving a referral through its states: the version check and the transition with its event."""
import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from inclusive_access.domain import actions, events, locking, questionnaires, safeguarding, states, urgent_contacts
from inclusive_access.domain.access import BOOKING_WORK
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import StaleRecord
from inclusive_access.domain.payloads import TRANSITION_ACTIONS, Transition
from inclusive_access.models import Event, Referral, User


def changes_since(session: Session, referral: Referral, seen_version: int) -> dict[str, dict]:
    """What others did to the referral after the user loaded `seen_version`: action -> {by, at, data}."""
    rows = session.execute(
        select(Event.action, Event.data, Event.occurred_at, User.display_name)
        .join(User, User.id == Event.actor_id, isouter=True)
        .where(Event.referral_id == referral.id, Event.action != actions.RECORD_VIEWED)
        .order_by(Event.seq)
    ).all()
    changed = {}
    for action, data, occurred_at, by in rows:
        payload = json.loads(data)
        if payload.get("version", 0) > seen_version:
            changed[action] = {"value": payload.get("summary", action), "by": by or "system", "at": occurred_at}
    return changed


def check_version(session: Session, referral: Referral, seen_version: int | None) -> None:
    """Refuse an action based on an out-of-date view of the referral (the optimistic lock)."""
    if seen_version is not None and seen_version != referral.version:
        raise StaleRecord("This referral changed since you opened it.", changes_since(session, referral, seen_version))


def transition(session: Session, actor: Actor, referral: Referral, action: str, event_action: str,
               data: dict | None = None, now: datetime | None = None, entity: tuple[str, int] | None = None):
    """Apply `action` from the transition table, bump the version, and append the event."""
    if event_action not in TRANSITION_ACTIONS:  # the facts would never see the move
        raise ValueError(f"{event_action} is not one of payloads.TRANSITION_ACTIONS")
    target = states.next_state(referral.state, action, actor.role)
    before = referral.state
    referral.state = target.value
    if target.value == before:  # a same-state action still bumps the version, so stale forms are caught
        flag_modified(referral, "state")
    locking.flush(session, "referral")
    entity_type, entity_id = entity or ("referral", referral.id)
    return events.record(session, actor, event_action, entity_type, entity_id, patient_id=referral.patient_id,
                         referral_id=referral.id, data=Transition(before, target.value).data(referral.version, data),
                         now=now or datetime.now(UTC))


def touch(session: Session, referral: Referral) -> None:
    """Bump the referral's version for a change that keeps its state, so stale forms are caught."""
    flag_modified(referral, "state")
    locking.flush(session, "referral")


def page_actions(referral: Referral, role: str | None, on_review_list: bool = False) -> set[str]:
    """What the referral page may offer: the transitions, plus raising a concern, re-referring, recording an
    urgent contact and recording a questionnaire's answers.

    A referral already on the senior review list is not offered for discharge again: the senior decides there.
    """
    offered = states.allowed_actions(referral.state, role)
    if on_review_list:
        offered.discard("request_discharge")
    if referral.state in states.ACTIVE_STATES and role in safeguarding.RAISE_ROLES:
        offered.add("raise_concern")
    if referral.state in states.CLOSED_STATES and role in BOOKING_WORK:
        offered.add("re_refer")
    if role in urgent_contacts.RECORD_ROLES:  # in any state: a crisis after discharge counts too
        offered.add("record_urgent_contact")
    if role in questionnaires.RECORD_ROLES:  # in any state: the follow-up is answered at discharge
        offered.add("record_answers")
    return offered
