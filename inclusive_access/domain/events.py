"""The only writer of the event log: appends events in the caller's transaction and seals them into one chain, by
HMAC-SHA-256 under a key the database never holds, as that transaction commits (event_chain verifies the chain)."""
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import event as orm_events
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from inclusive_access.domain import chain_keys, facts
from inclusive_access.domain.actors import Actor
from inclusive_access.models import Event

GENESIS_HASH = "0" * 64
#: an unsealed event's seq is a placeholder at or above this; the chain's positions stay below it (migration 0038)
UNSEALED = 2 ** 30
#: PostgreSQL transaction-scoped advisory locks: the chain's head, held only while a commit seals; and the one that
#: orders the check-then-insert of the commands calling lock_log
APPEND_LOCK_KEY = 7_301_120
COMMAND_LOCK_KEY = 7_301_121
#: session.info keys: the events this transaction appended, unsealed, and what to do once they are sealed
_UNSEALED = "events_unsealed"
_ON_SEAL = "events_on_seal"


def _json_default(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(value) -> str:
    """Sorted keys, no whitespace, UTF-8: the same data always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_json_default)


def compute_hash(row) -> str:
    """The hash over the canonical JSON of every stored field of the event and the previous hash: HMAC-SHA-256 under
    the key the event names (with its key id), or plain SHA-256 for an event written before the chain was keyed
    (key_id None), which anyone could recompute."""
    payload = {
        "seq": row.seq,
        "occurred_at": row.occurred_at.astimezone(UTC).isoformat(),
        "actor_id": row.actor_id,
        "actor_role": row.actor_role,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "patient_id": row.patient_id,
        "referral_id": row.referral_id,
        "data": row.data,
        "prev_hash": row.prev_hash,
    }
    if row.key_id is None:
        return hashlib.sha256(canonical_json(payload).encode()).hexdigest()
    return chain_keys.mac(row.key_id, canonical_json({**payload, "key_id": row.key_id}))


def _advisory_lock(session: Session, key: int) -> None:
    # SQLite: every transaction that may write begins IMMEDIATE (database.py; one writer at a time, and a write in
    # a read's DEFERRED transaction is refused there). PostgreSQL needs a lock.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def lock_log(session: Session) -> None:
    """Serialise a command's check-then-insert with the other commands that call this (until the transaction ends).
    Sealing does not wait for it: a command on one record only should lock that record instead (locking.claim)."""
    _advisory_lock(session, COMMAND_LOCK_KEY)


def lock_chain(session: Session) -> None:
    """Hold the chain's head until the transaction ends: no other transaction seals meanwhile."""
    _advisory_lock(session, APPEND_LOCK_KEY)


def _placeholder(session: Session) -> int:
    """A seq no other unsealed event holds: PostgreSQL's sequence; under SQLite's single writer, the next above
    this transaction's own."""
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(text("SELECT nextval('events_unsealed_seq')"))
    return session.scalar(select(func.coalesce(func.max(Event.seq) + 1, UNSEALED)).where(Event.seq >= UNSEALED))


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | None = None,
    *,
    patient_id: int | None = None,
    referral_id: int | None = None,
    data: dict | None = None,
    now: datetime | None = None,
) -> Event:
    """Append one event in the caller's transaction and apply it to the facts; it commits, or rolls back, with the
    change. Its seq and hash are placeholders until the commit seals it (or `seal` does, for a caller that needs
    them): read the seq only through `when_sealed`."""
    placeholder = _placeholder(session)
    event = Event(
        seq=placeholder,
        occurred_at=(now or datetime.now(UTC)).astimezone(UTC),
        actor_id=actor.user_id,
        actor_role=actor.role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        patient_id=patient_id,
        referral_id=referral_id,
        data=canonical_json(data or {}),
        prev_hash="",
        hash=f"unsealed:{placeholder}",
        key_id=chain_keys.current_id(),
    )
    session.add(event)
    session.flush()
    session.info.setdefault(_UNSEALED, []).append(event)
    facts.apply(session, event)
    return event


def when_sealed(session: Session, then: Callable[[], None]) -> None:
    """Run `then` once this transaction's events have their seqs, before the commit writes (its changes are
    flushed with the seal)."""
    session.info.setdefault(_ON_SEAL, []).append(then)


def seal(session: Session) -> None:
    """Give the events this transaction appended the next places in the chain, in the order they were appended, with
    their hashes. Takes the chain's lock until the transaction ends, so the commit does it, as late as it can: call
    it earlier only where the seq is wanted before the commit (a checkpoint).

    Only this session's own events, never every unsealed row it can see: a row put in the table by anyone else
    (with INSERT on it but not the key) would otherwise be given a valid place and HMAC by the next commit. Such a
    row stays unsealed, which the chain's check reports. Those a rolled-back savepoint removed are no longer
    persistent, and are left out."""
    session.flush()
    unsealed = [event for event in session.info.pop(_UNSEALED, []) if inspect(event).persistent]
    if unsealed:
        lock_chain(session)
        head = session.execute(select(Event.seq, Event.hash).where(Event.seq < UNSEALED)
                               .order_by(Event.seq.desc()).limit(1)).first()
        seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
        for event in unsealed:
            seq += 1
            event.seq, event.prev_hash = seq, prev_hash
            event.hash = prev_hash = compute_hash(event)
        session.flush()
    for then in session.info.pop(_ON_SEAL, []):
        then()
    session.flush()


@orm_events.listens_for(Session, "before_commit")
def _seal_on_commit(session: Session) -> None:
    # A savepoint's release is not the commit: its events are sealed with the transaction's.
    if not session.in_nested_transaction() and (session.info.get(_UNSEALED) or session.info.get(_ON_SEAL)):
        seal(session)


@orm_events.listens_for(Session, "after_rollback")
def _forget_unsealed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint's rollback: the transaction's earlier events are still to seal
        return
    session.info.pop(_UNSEALED, None)
    session.info.pop(_ON_SEAL, None)
