"""Checking the event log's chain: walking it whole or in chunks, checking one record's own events, and the signed
checkpoints kept outside the database that catch the newest events being removed."""
import hmac
import json
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from inclusive_access.database import read_transaction
from inclusive_access.domain import actions, chain_keys
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.chain_keys import UnknownKey
from inclusive_access.domain.events import GENESIS_HASH, UNSEALED, canonical_json, compute_hash, record, seal
from inclusive_access.models import Event


class InvalidCheckpoint(ValueError):
    """A checkpoint file that is malformed, or whose signature does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    """The head of the chain, to keep outside the database; signed when taken, so that one cannot be made up."""

    count: int
    hash: str
    #: when it was taken (ISO 8601, UTC), and the key id and HMAC of all three: set by take_checkpoint
    taken_at: str | None = None
    key_id: str | None = None
    signature: str | None = None

    def _signed_text(self) -> str:
        # Shaped unlike an event's fields, so that no event hash can pass for a checkpoint signature.
        return canonical_json({"checkpoint": {"count": self.count, "hash": self.hash, "taken_at": self.taken_at}})

    def signed(self) -> "Checkpoint":
        key_id = chain_keys.current_id()
        return replace(self, key_id=key_id, signature=chain_keys.mac(key_id, self._signed_text()))

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> "Checkpoint":
        """Read a saved checkpoint, refusing one that is malformed or whose signature does not verify."""
        try:
            value = json.loads(raw)
            point = cls(int(value["count"]), str(value["hash"]), str(value["taken_at"]), str(value["key_id"]),
                        str(value["signature"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCheckpoint("not a signed checkpoint from 'flask audit checkpoint'") from exc
        try:
            expected = chain_keys.mac(point.key_id, point._signed_text())
        except UnknownKey:
            raise InvalidCheckpoint(f"signed with key {point.key_id!r}, which is not configured") from None
        if not hmac.compare_digest(expected, point.signature):
            raise InvalidCheckpoint("its signature does not verify")
        return point


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    head_hash: str
    #: sequence number of the first event that fails, when not ok
    bad_seq: int | None = None
    reason: str = ""


def head_seq(session: Session) -> int:
    """The newest event's sequence, which is the number of events in an unbroken chain: read from the primary key,
    where count(*) would read every event."""
    return session.scalar(select(func.coalesce(func.max(Event.seq), 0)))


def checkpoint(session: Session) -> Checkpoint:
    """The current head: its sequence (the number of events, as take_checkpoint counts them) and hash (unsigned;
    take_checkpoint gives one to keep)."""
    head = session.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).first()
    return Checkpoint(count=head.seq, hash=head.hash) if head else Checkpoint(count=0, hash=GENESIS_HASH)


def take_checkpoint(session: Session, actor: Actor, now: datetime | None = None) -> Checkpoint:
    """Record that a checkpoint was taken, then sign the head, which is that event: the log itself then says when
    the last checkpoint was taken, so removing the newest events since can be noticed even without the file. Seals
    the transaction's events at once, to sign the head, so the caller commits straight after."""
    event = record(session, actor, actions.CHECKPOINT_TAKEN, "event_log", None, now=now)
    seal(session)
    return Checkpoint(event.seq, event.hash, event.occurred_at.astimezone(UTC).isoformat()).signed()


@dataclass(frozen=True)
class CheckpointStatus:
    #: the newest checkpoint event's time and sequence; None when none has been taken
    taken_at: datetime | None
    seq: int | None
    #: none taken, or the newest is older than the operator allows
    overdue: bool


def checkpoint_status(session: Session, max_age: timedelta, now: datetime | None = None) -> CheckpointStatus:
    """When the newest checkpoint was taken (reads ix_events_action_seq). Only keyed events count: an unkeyed one
    after the switch is a forgery, which verification names."""
    newest = session.execute(select(Event.seq, Event.occurred_at)
                             .where(Event.action == actions.CHECKPOINT_TAKEN, Event.key_id.is_not(None))
                             .order_by(Event.seq.desc()).limit(1)).first()
    if newest is None:
        return CheckpointStatus(None, None, True)
    taken_at = newest.occurred_at.astimezone(UTC)
    return CheckpointStatus(taken_at, newest.seq, (now or datetime.now(UTC)) - taken_at > max_age)


def _fault(row, prev_hash: str | None, prev_keyed: bool) -> str | None:
    """What is wrong with one event, given its predecessor's hash and whether that was keyed; None if nothing."""
    if row.prev_hash != prev_hash:
        return "link to the previous event broken"
    if row.key_id is None and prev_keyed:
        # Unkeyed hashes are accepted only before the switch, or anyone who may INSERT could append them.
        return "unkeyed event after the chain was keyed"
    try:
        return None if hmac.compare_digest(compute_hash(row), row.hash) else "contents altered"
    except UnknownKey:
        return f"hashed with key {row.key_id!r}, which is not configured"


#: events checked per chunk: one query, in one short transaction, and one step of the verification page's progress
VERIFY_CHUNK = 10_000


def verify_chunk(session: Session, after: int = 0, prev_hash: str = GENESIS_HASH, limit: int | None = None,
                 expected: Checkpoint | None = None, upto: int | None = None) -> Verification:
    """Check up to `limit` events after sequence `after` (and none after `upto`), whose predecessor's hash is
    `prev_hash`: a gap, a broken link, altered contents, a hash not made with a configured key, an unkeyed event
    after a keyed one, an event committed unsealed or a mismatch with the checkpoint fails, naming the event.
    `count` is the last sequence checked, so the next chunk starts from (count, head_hash); fewer than `limit`
    (default VERIFY_CHUNK) checked means the end."""
    columns = Event.__table__.c
    count = after
    prev_keyed = after > 0 and session.scalar(select(columns.key_id).where(columns.seq == after)) is not None
    rows = select(columns).where(columns.seq > after).order_by(columns.seq).limit(limit or VERIFY_CHUNK)
    if upto is not None:
        rows = rows.where(columns.seq <= upto)
    for row in session.execute(rows):
        count += 1
        if row.seq >= UNSEALED:  # after the sealed chain's last event, whether or not one is missing before it
            return Verification(False, count - 1, prev_hash, row.seq,
                                f"event {row.seq} was committed unsealed: the app never commits one, so it was "
                                f"written outside the app")
        if row.seq != count:
            return Verification(False, count - 1, prev_hash, count, f"event {count} is missing")
        if fault := _fault(row, prev_hash, prev_keyed):
            return Verification(False, count - 1, prev_hash, row.seq, fault)
        if expected is not None and row.seq == expected.count and row.hash != expected.hash:
            return Verification(False, count, row.hash, row.seq, "differs from the checkpoint")
        prev_hash, prev_keyed = row.hash, row.key_id is not None
    return Verification(True, count, prev_hash)


def truncated(result: Verification, expected: Checkpoint | None) -> Verification:
    """A whole-log result judged against the checkpoint: a log shorter than the checkpoint was cut."""
    if result.ok and expected is not None and result.count < expected.count:
        return Verification(False, result.count, result.head_hash, result.count + 1,
                            f"log truncated: checkpoint has {expected.count} events, the log {result.count}")
    return result


def _reads(source: Session | Engine) -> Callable[[], AbstractContextManager[Session]]:
    """Where each chunk is read: an engine's short read transaction of its own, or the caller's session."""
    if isinstance(source, Engine):
        return lambda: read_transaction(source)
    return lambda: nullcontext(source)


def walk(source: Session | Engine, after: int = 0, prev_hash: str = GENESIS_HASH, upto: int | None = None,
         expected: Checkpoint | None = None, progress: Callable[[int], None] | None = None,
         chunks: int | None = None) -> tuple[Verification, bool]:
    """Verify the chain from `after` (whose hash is `prev_hash`) to `upto`, the head when the walk began (read here
    when None), in at most `chunks` chunks (None: to the end); returns the result and whether the walk is over.

    Given an Engine, each chunk is read in a short read transaction of its own, so nothing waits for the walk;
    given a Session, in the caller's transaction. Events appended while the walk runs are after `upto`: the next
    walk checks them. One removed meanwhile from the walked part is missing when its chunk is read, as at any time;
    the head's own events are checked up to `upto`, so one removed from the end meanwhile is missing too.
    """
    reads, result = _reads(source), Verification(True, after, prev_hash)
    if upto is None:
        with reads() as session:
            upto = head_seq(session)
    while chunks is None or chunks > 0:
        after = result.count
        with reads() as session:
            result = verify_chunk(session, after, result.head_hash, expected=expected, upto=upto)
        if not result.ok:
            return result, True
        if result.count - after < VERIFY_CHUNK or result.count == upto:
            if result.count < upto:
                return Verification(False, result.count, result.head_hash, result.count + 1,
                                    f"event {result.count + 1} is missing"), True
            return result, True
        if progress is not None:
            progress(result.count)
        chunks = None if chunks is None else chunks - 1
    return result, False


def verify(
    source: Session | Engine,
    expected: Checkpoint | None = None,
    progress: Callable[[int], None] | None = None,
) -> Verification:
    """Walk the chain in order, chunk by chunk (`walk`): gaps, broken links, altered rows and events not hashed with
    a configured key fail, naming the first bad event.

    With a checkpoint kept outside the database, it also detects removal of the newest events,
    which a chain alone cannot (the shortened chain is still internally consistent).
    """
    return truncated(walk(source, expected=expected, progress=progress)[0], expected)


def check_events(session: Session, shown: list[Event]) -> list[int]:
    """The sequences among `shown` that fail as verify would fail them against the event before them (looked up by
    primary key): a record's own part of the chain, checked without walking the whole log."""
    previous = {row.seq: row for row in session.execute(
        select(Event.seq, Event.hash, Event.key_id).where(Event.seq.in_([e.seq - 1 for e in shown if e.seq > 1])))}

    def before(event: Event) -> tuple[str | None, bool]:
        if event.seq == 1:
            return GENESIS_HASH, False
        row = previous.get(event.seq - 1)
        return (row.hash, row.key_id is not None) if row else (None, False)

    return [e.seq for e in shown if _fault(e, *before(e))]
