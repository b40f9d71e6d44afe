"""The writes a read leaves for after its page (a view logged, a refusal, a session's touch or removal): kept on the
session while it reads, written by `apply` in one short write transaction after the page is sent.

A read-only request begins its transactions DEFERRED (database.py), so it never waits for the single writer; the
few writes it causes are recorded here instead, spooled durably before its page is sent (write_spool.py), and
applied later with the event chain's order and hashes as any other append. Outside a read (a POST, a CLI command)
they are written at once, in the caller's transaction."""
from datetime import UTC, datetime

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from inclusive_access.domain import events
from inclusive_access.domain.actors import Actor
from inclusive_access.models import Event, UserSession

#: session.info key: the writes a read has left for later, a list while the session reads
WAITING = "writes_for_later"
#: the data key a logged-later event carries: when its page was shown (the event itself is timed when appended,
#: as every event is, so an export's `_since` finds it among the events appended after that instant)
SHOWN_AT = "shown_at"


def start_reading(session: Session) -> None:
    """From now on the session only reads: the writes below wait in the session until `taken`."""
    session.info[WAITING] = []


def taken(session: Session) -> list[dict]:
    """The writes left for later, handed over once (the session writes at once again afterwards)."""
    return session.info.pop(WAITING, None) or []


def _waiting(session: Session) -> list[dict] | None:
    return session.info.get(WAITING)


def event(session: Session, actor: Actor, action: str, entity_type: str, entity_id: int | None = None, *,
          patient_id: int | None = None, referral_id: int | None = None, data: dict | None = None) -> None:
    """An event that may be appended after the page it describes (a view, a refusal): later in a read, else now."""
    waiting = _waiting(session)
    if waiting is None:
        events.record(session, actor, action, entity_type, entity_id, patient_id=patient_id,
                      referral_id=referral_id, data=data)
        return
    waiting.append({"kind": "event", "actor_id": actor.user_id, "actor_role": actor.role, "action": action,
                    "entity_type": entity_type, "entity_id": entity_id, "patient_id": patient_id,
                    "referral_id": referral_id,
                    "data": {**(data or {}), SHOWN_AT: datetime.now(UTC).isoformat()}})


def touch_session(session: Session, row: UserSession, now: datetime) -> None:
    """Record a session's activity on its row: later in a read, else now."""
    waiting = _waiting(session)
    if waiting is None:
        row.last_seen_at = now
        session.flush()
    else:
        waiting.append({"kind": "touch", "token_hash": row.token_hash, "at": now.isoformat()})


def remove_session(session: Session, row: UserSession) -> None:
    """Remove an ended session's row: later in a read (the request refuses it meanwhile), else now."""
    waiting = _waiting(session)
    if waiting is None:
        session.delete(row)
        session.flush()
    else:
        waiting.append({"kind": "remove", "token_hash": row.token_hash})


def _logged(session: Session, entry: dict) -> bool:
    """Whether an event left for later is in the log already (reads ix_events_actor_action_occurred): its data holds
    the moment it was shown, so the same view is never appended twice."""
    return session.scalar(select(exists().where(
        Event.actor_id == entry["actor_id"], Event.action == entry["action"],
        Event.occurred_at >= datetime.fromisoformat(entry["data"][SHOWN_AT]),
        Event.entity_type == entry["entity_type"], Event.entity_id == entry["entity_id"],
        Event.data == events.canonical_json(entry["data"]))))


def apply(session: Session, entries: list[dict], recovered: bool = False) -> None:
    """Write the entries in the caller's (write) transaction, in order. `recovered` entries come from a process that
    stopped, perhaps between its commit and clearing its spool: the events already appended are skipped."""
    for entry in entries:
        if entry["kind"] == "touch":
            at = datetime.fromisoformat(entry["at"])
            session.execute(update(UserSession).where(UserSession.token_hash == entry["token_hash"],
                                                      UserSession.last_seen_at < at).values(last_seen_at=at))
        elif entry["kind"] == "remove":
            session.execute(delete(UserSession).where(UserSession.token_hash == entry["token_hash"]))
        elif not (recovered and _logged(session, entry)):
            events.record(session, Actor(entry["actor_id"], entry["actor_role"]), entry["action"],
                          entry["entity_type"], entry["entity_id"], patient_id=entry["patient_id"],
                          referral_id=entry["referral_id"], data=entry["data"])
    session.flush()
