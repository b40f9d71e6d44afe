"""The only writer of the event log: appends hash-chained events and verifies the chain."""
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from inclusive_access.domain import facts
from inclusive_access.domain.actors import Actor
from inclusive_access.models import Event

GENESIS_HASH = "0" * 64
#: key for PostgreSQL's transaction-scoped advisory lock that serialises appends
APPEND_LOCK_KEY = 7_301_120

# Actions: entity.past_participle
USER_CREATED = "user.created"
USER_DEACTIVATED = "user.deactivated"
USER_ROLE_CHANGED = "user.role_changed"
LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"
LOGIN_LOCKED = "login.locked_out"
LOGGED_OUT = "session.ended"
ACCESS_DENIED = "access.denied"
PATIENT_REGISTERED = "patient.registered"
PATIENT_UPDATED = "patient.updated"
REFERRAL_RECEIVED = "referral.received"
RECORD_VIEWED = "record.viewed"
TRIAGE_SCRIPT_RECORDED = "triage.script_recorded"
TRIAGE_ACCEPTED = "triage.accepted"
TRIAGE_ESCALATED = "triage.escalated"
TRIAGE_REJECTED = "triage.rejected"
TRIAGE_REJECTION_PROPOSED = "triage.rejection_proposed"
REJECTION_UPHELD = "rejection.upheld"
REJECTION_OVERTURNED = "rejection.overturned"
CLARIFICATION_REQUESTED = "clarification.requested"
CLARIFICATION_ATTEMPTED = "clarification.contact_attempted"
CLARIFICATION_ANSWERED = "clarification.answered"
CLARIFICATION_CLOSED = "clarification.closed_without_answer"
CLARIFICATION_ESCALATED = "clarification.escalated"
APPOINTMENT_BOOKED = "appointment.booked"
APPOINTMENT_REBOOKED = "appointment.rebooked"
APPOINTMENT_CANCELLED = "appointment.cancelled"
APPOINTMENT_ATTENDED = "appointment.attended"
APPOINTMENT_DNA = "appointment.dna"
FIRST_CONTACT = "referral.first_contact"
ADJUSTMENT_RECORDED = "adjustment.recorded"
ADJUSTMENT_UPDATED = "adjustment.updated"
ADJUSTMENT_ENDED = "adjustment.ended"
ADJUSTMENT_DELIVERY_RECORDED = "adjustment.delivery_recorded"
BARRIER_CHECK_OPENED = "barrier_check.opened"
BARRIER_CHECK_UPDATED = "barrier_check.updated"
BARRIER_CHECK_ATTEMPTED = "barrier_check.contact_attempted"
BARRIER_CHECK_COMPLETED = "barrier_check.completed"
BARRIER_CHECK_OVERRIDDEN = "barrier_check.overridden"
SENIOR_REVIEW_FLAGGED = "referral.senior_review_flagged"
DISCHARGE_REQUESTED = "discharge.requested"
REFERRAL_DISCHARGED = "referral.discharged"
ENGAGEMENT_CONTINUED = "engagement.continued"
REFERRAL_RE_REFERRED = "referral.re_referred"
SAFEGUARDING_RAISED = "safeguarding.raised"
SAFEGUARDING_ROUTED = "safeguarding.routed"
SAFEGUARDING_ACTION_RECORDED = "safeguarding.action_recorded"
SAFEGUARDING_CLOSED = "safeguarding.closed"


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
    """SHA-256 over the canonical JSON of every stored field of the event and the previous hash."""
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
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def lock_log(session: Session) -> None:
    """Serialise writers: commands call this first so their check-then-insert cannot interleave."""
    # SQLite transactions already begin IMMEDIATE (one writer at a time); PostgreSQL needs a lock.
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
    )
    event.hash = compute_hash(event)
    session.add(event)
    session.flush()
    facts.apply(session, event)
    return event


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain, to keep outside the database."""

    count: int
    hash: str

    def to_json(self) -> str:
        return json.dumps({"count": self.count, "hash": self.hash})

    @classmethod
    def from_json(cls, raw: str) -> "Checkpoint":
        value = json.loads(raw)
        return cls(count=int(value["count"]), hash=str(value["hash"]))


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    head_hash: str
    #: sequence number of the first event that fails, when not ok
    bad_seq: int | None = None
    reason: str = ""


def checkpoint(session: Session) -> Checkpoint:
    """The current head: number of events and the newest hash."""
    head = session.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).first()
    count = session.scalar(select(func.count()).select_from(Event))
    return Checkpoint(count=count or 0, hash=head.hash if head else GENESIS_HASH)


#: events checked per chunk: one query each, and one step of the verification page's progress
VERIFY_CHUNK = 10_000


def verify_chunk(session: Session, after: int = 0, prev_hash: str = GENESIS_HASH, limit: int | None = None,
                 expected: Checkpoint | None = None) -> Verification:
    """Check up to `limit` events after sequence `after`, whose predecessor's hash is `prev_hash`: a gap, a broken
    link, altered contents or a mismatch with the checkpoint fails, naming the event. `count` is the last sequence
    checked, so the next chunk starts from (count, head_hash); fewer than `limit` (default VERIFY_CHUNK) checked
    means the end."""
    columns = Event.__table__.c
    count = after
    rows = select(columns).where(columns.seq > after).order_by(columns.seq).limit(limit or VERIFY_CHUNK)
    for row in session.execute(rows):
        count += 1
        if row.seq != count:
            return Verification(False, count - 1, prev_hash, count, f"event {count} is missing")
        if row.prev_hash != prev_hash:
            return Verification(False, count - 1, prev_hash, row.seq, "link to the previous event broken")
        if compute_hash(row) != row.hash:
            return Verification(False, count - 1, prev_hash, row.seq, "contents altered")
        if expected is not None and row.seq == expected.count and row.hash != expected.hash:
            return Verification(False, count, row.hash, row.seq, "differs from the checkpoint")
        prev_hash = row.hash
    return Verification(True, count, prev_hash)


def truncated(result: Verification, expected: Checkpoint | None) -> Verification:
    """A whole-log result judged against the checkpoint: a log shorter than the checkpoint was cut."""
    if result.ok and expected is not None and result.count < expected.count:
        return Verification(False, result.count, result.head_hash, result.count + 1,
                            f"log truncated: checkpoint has {expected.count} events, the log {result.count}")
    return result


def verify(
    session: Session,
    expected: Checkpoint | None = None,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Walk the chain in order, chunk by chunk: gaps, broken links and altered rows fail, naming the first bad event.

    With a checkpoint kept outside the database, it also detects removal of the newest events,
    which a chain alone cannot (the shortened chain is still internally consistent).
    """
    result = Verification(True, 0, GENESIS_HASH)
    while True:
        after = result.count
        result = verify_chunk(session, after, result.head_hash, expected=expected)
        if not result.ok or result.count - after < VERIFY_CHUNK:
            return truncated(result, expected)
        if progress is not None:
            progress(result.count)


def check_events(session: Session, shown: list[Event]) -> list[int]:
    """The sequences among `shown` whose contents were altered or whose link to the event before them (looked up
    by primary key) is broken: a record's own part of the chain, checked without walking the whole log."""
    previous = dict(session.execute(select(Event.seq, Event.hash)
                                    .where(Event.seq.in_([e.seq - 1 for e in shown if e.seq > 1]))).all())
    return [e.seq for e in shown
            if compute_hash(e) != e.hash or e.prev_hash != (previous.get(e.seq - 1) if e.seq > 1 else GENESIS_HASH)]
