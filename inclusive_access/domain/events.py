"""The only writer of the event log: appends events chained by HMAC-SHA-256 under a key the database never holds
(event_chain verifies the chain)."""
import hashlib
import json
from datetime import UTC, date, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from inclusive_access.domain import chain_keys, facts
from inclusive_access.domain.actors import Actor
from inclusive_access.models import Event

GENESIS_HASH = "0" * 64
#: key for PostgreSQL's transaction-scoped advisory lock that serialises appends
APPEND_LOCK_KEY = 7_301_120


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


def lock_log(session: Session) -> None:
    """Serialise writers: commands call this first so their check-then-insert cannot interleave."""
    # SQLite: every transaction that may write begins IMMEDIATE (database.py; one writer at a time, and a write in
    # a read's DEFERRED transaction is refused there). PostgreSQL needs a lock.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK_KEY})


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
    """Append one event in the caller's transaction; it commits, or rolls back, with the change."""
    lock_log(session)
    head = session.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).first()
    event = Event(
        seq=(head.seq + 1) if head else 1,
        occurred_at=(now or datetime.now(UTC)).astimezone(UTC),
        actor_id=actor.user_id,
        actor_role=actor.role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        patient_id=patient_id,
        referral_id=referral_id,
        data=canonical_json(data or {}),
        prev_hash=head.hash if head else GENESIS_HASH,
        key_id=chain_keys.current_id(),
    )
    event.hash = compute_hash(event)
    session.add(event)
    session.flush()
    facts.apply(session, event)
    return event
