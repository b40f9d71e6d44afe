"""The event log: hash-chained appends keyed with HMAC, tamper and forgery detection, signed checkpoints,
database-level append-only guards, atomicity."""
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from inclusive_access.domain import actions, chain_keys, event_chain, events, intake
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.domain.chain_keys import Keyring
from inclusive_access.domain.event_chain import Checkpoint, InvalidCheckpoint
from inclusive_access.domain.events import GENESIS_HASH
from inclusive_access.models import Event, Patient, Referral
from tests.event_log import count
from tests.factories import intake_row

FIXED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def append(session, n: int, start: int = 0) -> list[Event]:
    """n events from the system actor, committed."""
    rows = [events.record(session, SYSTEM, actions.PATIENT_UPDATED, "patient", start + i,
                          patient_id=start + i, data={"i": start + i, "name": "Zoë"}, now=FIXED)
            for i in range(1, n + 1)]
    session.commit()
    return rows


def chain(session) -> list[tuple]:
    return session.execute(text("SELECT seq, prev_hash, hash FROM events ORDER BY seq")).all()


def unprotect(session, backend: str) -> None:
    """What an attacker with DDL rights would do first: switch off the append-only triggers."""
    if backend == "sqlite":
        for trigger in ("events_no_update", "events_no_delete", "events_no_replace"):
            session.execute(text(f"DROP TRIGGER {trigger}"))
    else:
        session.execute(text("ALTER TABLE events DISABLE TRIGGER events_no_update_delete"))
        session.execute(text("ALTER TABLE events DISABLE TRIGGER events_no_truncate"))


def tamper(session, backend: str, *statements: str, **values):
    """Switch the triggers off and run `statements` (with `values`) as an attacker would: what verify then finds."""
    unprotect(session, backend)
    for statement in statements:
        session.execute(text(statement), values)
    session.commit()
    return event_chain.verify(session)


def plain_hash(values: dict) -> str:
    """SHA-256 of an event's fields: how events were hashed before the chain was keyed, and what anyone can compute."""
    return hashlib.sha256(events.canonical_json(values).encode()).hexdigest()


def forge(session, seq: int, prev_hash: str, data: str = '{"forged":true}', key_id: str | None = None,
          **columns) -> str:
    """Insert an event whose plain hash is valid, as an attacker who may INSERT and knows the algorithm, but not the
    key, would; optionally claiming a key id."""
    values = {**dict(seq=seq, occurred_at=FIXED, actor_id=None, actor_role=None, action=actions.PATIENT_UPDATED,
                     entity_type="patient", entity_id=1, patient_id=1, referral_id=None, data=data,
                     prev_hash=prev_hash), **columns}
    values["hash"] = plain_hash(values)
    session.execute(insert(Event.__table__).values(**values, key_id=key_id))
    return values["hash"]


def write_unkeyed_event(connection, **columns) -> int:
    """One event after the last, as the app wrote events before migration 0011 (plain SHA-256, no key id column
    needed): `columns` override a system patient.updated at FIXED, and `data` is given as a dict. Returns its seq."""
    head = connection.execute(select(Event.seq, Event.hash).order_by(Event.seq.desc()).limit(1)).first()
    last, prev_hash = head or (0, GENESIS_HASH)
    seq = last + 1
    values = {**dict(seq=seq, occurred_at=FIXED, actor_id=None, actor_role=None, action=actions.PATIENT_UPDATED,
                     entity_type="patient", entity_id=seq, patient_id=seq, referral_id=None, data={"i": seq}),
              **columns, "prev_hash": prev_hash}
    values["data"] = events.canonical_json(values["data"])
    values["hash"] = plain_hash(values)
    connection.execute(insert(Event.__table__).values(**values))
    return seq


def write_unkeyed(connection, n: int) -> None:
    """n linked events as the app wrote them before migration 0011 (plain SHA-256, no key id column needed)."""
    for _ in range(n):
        write_unkeyed_event(connection)


def use_keys(monkeypatch, current_id: str, **keys: str) -> None:
    """Run on as after a restart with other AUDIT_CHAIN_* settings (the test's own keys are put back after it)."""
    monkeypatch.setattr(chain_keys, "_keyring", None)
    chain_keys.configure_keys(Keyring(current_id, {kid: bytes.fromhex(key) for kid, key in keys.items()}))


# --- Appending ----------------------------------------------------------------------------------

def test_record_appends_a_linked_chain(db_session):
    written = append(db_session, 3)
    assert [e.seq for e in written] == [1, 2, 3]
    rows = db_session.scalars(select(Event).order_by(Event.seq)).all()
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS_HASH
    assert rows[1].prev_hash == rows[0].hash
    assert rows[2].prev_hash == rows[1].hash
    assert len({r.hash for r in rows}) == 3
    for row in rows:
        assert row.hash == events.compute_hash(row)
        assert len(row.hash) == 64
        assert row.key_id == "test"
        assert row.hash != plain_hash({c: getattr(row, c) for c in ("seq", "occurred_at", "actor_id", "actor_role",
                                      "action", "entity_type", "entity_id", "patient_id", "referral_id", "data",
                                      "prev_hash")}), "keyed, not the plain SHA-256 anyone can compute"


def test_record_stores_canonical_json_and_utc_time(db_session):
    seq = append(db_session, 1)[0].seq
    db_session.expunge_all()
    row = db_session.get(Event, seq)
    assert row.data == '{"i":1,"name":"Zoë"}'
    assert json.loads(row.data) == {"i": 1, "name": "Zoë"}
    assert row.occurred_at == FIXED
    assert row.actor_id is None
    assert row.actor_role is None


def test_canonical_json_is_independent_of_key_order():
    assert events.canonical_json({"b": 1, "a": [2, 3]}) == events.canonical_json({"a": [2, 3], "b": 1})
    assert events.canonical_json({"b": 1, "a": [2, 3]}) == '{"a":[2,3],"b":1}'


def test_rolled_back_append_leaves_no_gap(db_session):
    append(db_session, 2)
    events.record(db_session, SYSTEM, actions.PATIENT_UPDATED, "patient", 9, now=FIXED)
    db_session.rollback()
    assert append(db_session, 1)[0].seq == 3
    assert event_chain.verify(db_session).ok


# --- Verification -------------------------------------------------------------------------------

def test_verify_empty_log(db_session):
    result = event_chain.verify(db_session)
    assert result.ok
    assert result.count == 0
    assert result.head_hash == GENESIS_HASH


def test_verify_intact_log(db_session):
    written = append(db_session, 5)
    result = event_chain.verify(db_session)
    assert result.ok, result.reason
    assert result.count == 5
    assert result.head_hash == written[-1].hash
    assert result.bad_seq is None


def test_altered_event_data_is_detected(db_session, backend):
    append(db_session, 4)
    result = tamper(db_session, backend, "UPDATE events SET data = :d WHERE seq = 2", d='{"i":2,"name":"Zoe"}')
    assert not result.ok
    assert result.bad_seq == 2
    assert result.reason == "contents altered"
    assert result.count == 1


@pytest.mark.parametrize(("column", "value"), [
    ("action", "'record.viewed'"), ("actor_role", "'manager'"), ("patient_id", "99"), ("entity_id", "99"),
])
def test_altering_any_stored_field_is_detected(db_session, backend, column, value):
    append(db_session, 3)
    result = tamper(db_session, backend, f"UPDATE events SET {column} = {value} WHERE seq = 3")  # noqa: S608 - fixed
    assert (result.ok, result.bad_seq, result.reason) == (False, 3, "contents altered")


def test_recomputed_hash_after_alteration_breaks_the_next_link(db_session, backend):
    append(db_session, 4)
    unprotect(db_session, backend)
    db_session.execute(text("UPDATE events SET data = :d WHERE seq = 2"), {"d": '{"i":2,"name":"Mallory"}'})
    db_session.commit()
    row = db_session.execute(select(Event.__table__).where(Event.seq == 2)).one()
    db_session.execute(text("UPDATE events SET hash = :h WHERE seq = 2"), {"h": events.compute_hash(row)})
    db_session.commit()
    result = event_chain.verify(db_session)
    assert (result.ok, result.bad_seq, result.reason) == (False, 3, "link to the previous event broken")


def test_deleted_middle_event_is_detected(db_session, backend):
    append(db_session, 5)
    result = tamper(db_session, backend, "DELETE FROM events WHERE seq = 3")
    assert not result.ok
    assert result.bad_seq == 3
    assert result.reason == "event 3 is missing"
    assert result.count == 2


def test_deleted_first_event_is_detected(db_session, backend):
    append(db_session, 3)
    result = tamper(db_session, backend, "DELETE FROM events WHERE seq = 1")
    assert (result.ok, result.bad_seq) == (False, 1)


def test_reordered_events_are_detected(db_session, backend):
    append(db_session, 5)
    result = tamper(db_session, backend, "UPDATE events SET seq = 1000 WHERE seq = 3",
                    "UPDATE events SET seq = 3 WHERE seq = 4", "UPDATE events SET seq = 4 WHERE seq = 1000")
    assert [r.seq for r in chain(db_session)] == [1, 2, 3, 4, 5]
    assert not result.ok
    assert result.bad_seq == 3
    assert result.reason == "link to the previous event broken"


def test_appended_event_with_wrong_prev_hash_is_detected(db_session):
    # No trigger stops an INSERT of a new seq: the chain must catch it.
    append(db_session, 3)
    forge(db_session, 4, prev_hash="f" * 64)
    db_session.commit()
    result = event_chain.verify(db_session)
    assert (result.ok, result.bad_seq, result.reason) == (False, 4, "link to the previous event broken")
    assert result.count == 3


def test_event_inserted_in_the_middle_is_detected(db_session, backend):
    append(db_session, 4)
    rows = chain(db_session)
    unprotect(db_session, backend)
    for seq in (4, 3):  # make room at seq 3
        db_session.execute(text("UPDATE events SET seq = :new WHERE seq = :old"), {"new": seq + 1, "old": seq})
    forge(db_session, 3, prev_hash=rows[1].hash)  # links correctly to event 2
    db_session.commit()
    result = event_chain.verify(db_session)
    assert (result.ok, result.bad_seq, result.reason) == (False, 3, "unkeyed event after the chain was keyed")


def test_inserted_event_with_wrong_prev_hash_in_the_middle_is_detected(db_session, backend):
    append(db_session, 4)
    unprotect(db_session, backend)
    for seq in (4, 3):
        db_session.execute(text("UPDATE events SET seq = :new WHERE seq = :old"), {"new": seq + 1, "old": seq})
    forge(db_session, 3, prev_hash=GENESIS_HASH)
    db_session.commit()
    result = event_chain.verify(db_session)
    assert (result.ok, result.bad_seq, result.reason) == (False, 3, "link to the previous event broken")


# --- Forgery: the database alone cannot make an event that verifies -------------------------------

def test_a_forged_event_with_a_valid_plain_hash_fails_verification_naming_it(db_session):
    append(db_session, 3)
    saved = Checkpoint.from_json(event_chain.take_checkpoint(db_session, SYSTEM).to_json())
    forge(db_session, 5, prev_hash=saved.hash)  # as an attacker with INSERT: linked, its SHA-256 right
    db_session.commit()
    for expected in (None, saved):
        result = event_chain.verify(db_session, expected)
        assert (result.ok, result.bad_seq, result.reason) == (False, 5, "unkeyed event after the chain was keyed")
        assert result.count == 4


@pytest.mark.parametrize(("key_id", "reason"), [
    ("test", "contents altered"),
    ("old", "hashed with key 'old', which is not configured"),
])
def test_a_forged_event_naming_a_key_fails_verification(db_session, key_id, reason):
    written = append(db_session, 2)
    forge(db_session, 3, prev_hash=written[-1].hash, key_id=key_id)
    db_session.commit()
    result = event_chain.verify(db_session)
    assert (result.ok, result.bad_seq, result.reason) == (False, 3, reason)


def test_events_written_before_the_chain_was_keyed_verify_as_before(db_session):
    write_unkeyed(db_session, 3)
    db_session.commit()
    append(db_session, 2, start=3)
    keys = db_session.execute(select(Event.seq, Event.key_id).order_by(Event.seq)).all()
    assert keys == [(1, None), (2, None), (3, None), (4, "test"), (5, "test")], "the switch point: event 4"
    result = event_chain.verify(db_session)
    assert (result.ok, result.count) == (True, 5), result.reason
    forge(db_session, 6, prev_hash=result.head_hash)  # an unkeyed event is accepted only before the switch
    db_session.commit()
    assert event_chain.verify(db_session).bad_seq == 6


def test_events_hashed_with_a_retired_key_verify_while_it_is_supplied(db_session, monkeypatch):
    first, second = "11" * 32, "22" * 32
    use_keys(monkeypatch, "k1", k1=first)
    append(db_session, 2)
    use_keys(monkeypatch, "k2", k2=second, k1=first)  # AUDIT_CHAIN_KEY_ID=k2, AUDIT_CHAIN_OLD_KEYS=k1:1111...
    append(db_session, 2, start=2)
    assert db_session.scalars(select(Event.key_id).order_by(Event.seq)).all() == ["k1", "k1", "k2", "k2"]
    assert event_chain.verify(db_session).ok
    use_keys(monkeypatch, "k2", k2=second)
    result = event_chain.verify(db_session)
    assert (result.ok, result.bad_seq, result.reason) == (False, 1, "hashed with key 'k1', which is not configured")
    use_keys(monkeypatch, "k2", k2=second, k1="33" * 32)
    assert (event_chain.verify(db_session).bad_seq, event_chain.verify(db_session).reason) == (1, "contents altered")


@pytest.mark.parametrize(("key", "key_id", "old_keys", "error"), [
    (None, "1", "", "AUDIT_CHAIN_KEY is not set"),
    ("ab" * 31, "1", "", "AUDIT_CHAIN_KEY: the key of id '1' is shorter than 32 bytes"),
    ("zz" * 32, "1", "", "AUDIT_CHAIN_KEY: the key of id '1' is not hexadecimal"),
    ("ab" * 32, "", "", "AUDIT_CHAIN_KEY: key id '' must be 1 to 16 letters, digits"),
    ("ab" * 32, "2", "1:" + "cd" * 31, "AUDIT_CHAIN_OLD_KEYS: the key of id '1' is shorter than 32 bytes"),
    ("ab" * 32, "2", "cd" * 32, "AUDIT_CHAIN_OLD_KEYS: each entry must be id:hexkey"),
    ("ab" * 32, "2", "a key:" + "cd" * 32, "AUDIT_CHAIN_OLD_KEYS: key id 'a key' must be 1 to 16"),
    ("ab" * 32, "2", "2:" + "cd" * 32, "AUDIT_CHAIN_OLD_KEYS: key id '2' is given twice"),
])
def test_the_keyring_refuses_settings_it_cannot_use(key, key_id, old_keys, error):
    with pytest.raises(ValueError, match="^" + re.escape(error)):
        Keyring.parse(key, key_id, old_keys)


def test_the_keyring_reads_the_current_key_and_the_retired_ones():
    keyring = Keyring.parse("AB" * 32, "2026-12", f" 2026-06:{'cd' * 32} , 2025-12:{'ef' * 40}")
    assert keyring.current_id == "2026-12"
    assert keyring.keys == {"2026-12": b"\xab" * 32, "2026-06": b"\xcd" * 32, "2025-12": b"\xef" * 40}


# --- Checkpoints and truncation ------------------------------------------------------------------

def test_taking_a_checkpoint_records_it_and_signs_the_head_with_the_chain_key(db_session):
    append(db_session, 3)
    point = event_chain.take_checkpoint(db_session, SYSTEM, now=FIXED + timedelta(hours=1))
    db_session.commit()
    taken = db_session.get(Event, 4)
    assert (taken.action, taken.entity_type, taken.key_id) == (actions.CHECKPOINT_TAKEN, "event_log", "test")
    assert (point.count, point.hash) == (4, taken.hash) == (event_chain.checkpoint(db_session).count, taken.hash)
    saved = json.loads(point.to_json())
    assert saved.keys() == {"count", "hash", "taken_at", "key_id", "signature"}
    assert (saved["taken_at"], saved["key_id"]) == ("2026-03-02T10:30:00+00:00", "test")
    assert Checkpoint.from_json(point.to_json()) == point


@pytest.mark.parametrize(("change", "error"), [
    ({"count": 3}, "its signature does not verify"),
    ({"hash": "f" * 64}, "its signature does not verify"),
    ({"taken_at": "2027-01-01T00:00:00+00:00"}, "its signature does not verify"),
    ({"key_id": "old"}, "signed with key 'old', which is not configured"),
    ({"signature": None}, "its signature does not verify"),
])
def test_a_checkpoint_altered_or_not_signed_with_the_chain_key_is_refused(db_session, change, error):
    append(db_session, 3)
    saved = json.loads(event_chain.take_checkpoint(db_session, SYSTEM).to_json())
    with pytest.raises(InvalidCheckpoint, match=f"^{re.escape(error)}$"):
        Checkpoint.from_json(json.dumps({**saved, **change}))


@pytest.mark.parametrize("raw", ['{"count": 3, "hash": "ab"}', "[]", "not json", '{"count": "three"}'])
def test_a_checkpoint_that_is_not_one_is_refused(raw):
    with pytest.raises(InvalidCheckpoint, match="not a signed checkpoint"):
        Checkpoint.from_json(raw)


def test_checkpoint_of_empty_log(db_session):
    assert event_chain.checkpoint(db_session) == Checkpoint(0, GENESIS_HASH)
    assert event_chain.verify(db_session, expected=event_chain.checkpoint(db_session)).ok


def test_log_that_grew_after_the_checkpoint_verifies(db_session):
    append(db_session, 3)
    saved = event_chain.take_checkpoint(db_session, SYSTEM).to_json()
    append(db_session, 2, start=3)
    result = event_chain.verify(db_session, expected=Checkpoint.from_json(saved))
    assert result.ok, result.reason
    assert result.count == 6


def test_truncation_of_newest_events_is_detected_only_against_a_checkpoint(db_session, backend):
    append(db_session, 5)
    saved = event_chain.take_checkpoint(db_session, SYSTEM).to_json()  # kept outside the database
    alone = tamper(db_session, backend, "DELETE FROM events WHERE seq > 3")
    assert alone.ok  # a shortened chain is still internally consistent
    assert alone.count == 3

    against = event_chain.verify(db_session, expected=Checkpoint.from_json(saved))
    assert not against.ok
    assert against.bad_seq == 4
    assert against.reason == "log truncated: checkpoint has 6 events, the log 3"


def test_rewritten_log_differs_from_the_checkpoint(db_session, backend):
    append(db_session, 2)
    saved = Checkpoint.from_json(event_chain.take_checkpoint(db_session, SYSTEM).to_json())
    tamper(db_session, backend, "DELETE FROM events")
    append(db_session, 3, start=10)  # a fresh chain of the same length, made with the key
    assert event_chain.verify(db_session).ok
    result = event_chain.verify(db_session, expected=saved)
    assert (result.ok, result.bad_seq, result.reason) == (False, 3, "differs from the checkpoint")


def test_the_checkpoint_status_says_when_the_last_one_was_taken_and_whether_that_is_too_long_ago(db_session):
    week = timedelta(days=7)
    assert event_chain.checkpoint_status(db_session, week) == event_chain.CheckpointStatus(None, None, True)
    append(db_session, 2)
    event_chain.take_checkpoint(db_session, SYSTEM, now=FIXED)
    db_session.commit()
    on_time = event_chain.checkpoint_status(db_session, week, now=FIXED + week)
    assert on_time == event_chain.CheckpointStatus(FIXED, 3, False)
    assert event_chain.checkpoint_status(db_session, week, now=FIXED + week + timedelta(minutes=1)).overdue
    forge(db_session, 4, prev_hash=event_chain.checkpoint(db_session).hash, action=actions.CHECKPOINT_TAKEN,
          occurred_at=FIXED + week)
    db_session.commit()
    assert event_chain.checkpoint_status(db_session, week, now=FIXED + week).seq == 3, "a forged checkpoint is not one"


# --- Append-only guards in the database ----------------------------------------------------------

def refused(session, sql: str) -> str:
    """Run SQL that the triggers must refuse; return the error text after rolling back."""
    with pytest.raises(DBAPIError) as caught:
        session.execute(text(sql))
    session.rollback()
    return str(caught.value)


def assert_intact(session, before) -> None:
    assert chain(session) == before
    result = event_chain.verify(session)
    assert result.ok, result.reason
    assert result.count == len(before)


@pytest.mark.parametrize("statement", [
    "UPDATE events SET action = 'x' WHERE seq = 2",
    "UPDATE events SET data = '{}'",
    "UPDATE events SET seq = 1073741900 WHERE seq = 2",  # made unsealed, to be sealed again elsewhere
    "DELETE FROM events WHERE seq = 3",
    "DELETE FROM events",
])
def test_changing_or_deleting_a_logged_event_is_refused(db_session, statement):
    append(db_session, 3)
    before = chain(db_session)
    assert "append-only" in refused(db_session, statement)
    assert_intact(db_session, before)


def test_guards_also_hold_through_the_orm(db_session):
    event = append(db_session, 2)[1]
    event.action = "tampered"
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.flush()
    db_session.rollback()
    db_session.delete(db_session.get(Event, 1))
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.flush()
    db_session.rollback()
    assert event_chain.verify(db_session).ok


COLUMNS = "seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id, patient_id, referral_id, " \
          "data, prev_hash, hash"


def test_overwriting_an_existing_event_by_insert_is_refused(db_session, backend):
    append(db_session, 3)
    before = chain(db_session)
    if backend == "sqlite":
        # INSERT OR REPLACE deletes the old row without firing DELETE triggers: the INSERT guard stops it.
        statements = [
            # same seq, altered contents
            f"""INSERT OR REPLACE INTO events ({COLUMNS})
                SELECT seq, occurred_at, actor_id, actor_role, 'forged', entity_type, entity_id, patient_id,
                       referral_id, data, prev_hash, hash FROM events WHERE seq = 2""",
            # a new seq reusing an existing hash would delete the original through the unique constraint
            f"""REPLACE INTO events ({COLUMNS})
                SELECT 99, occurred_at, actor_id, actor_role, action, entity_type, entity_id, patient_id,
                       referral_id, data, prev_hash, hash FROM events WHERE seq = 1""",
        ]
    else:
        statements = [
            f"""INSERT INTO events ({COLUMNS})
                SELECT seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id, patient_id,
                       referral_id, data, prev_hash, hash FROM events WHERE seq = 2
                ON CONFLICT (seq) DO UPDATE SET action = 'forged'""",
        ]
    for sql in statements:
        assert "append-only" in refused(db_session, sql)
    assert_intact(db_session, before)


def test_emptying_the_log_is_refused(db_session, backend):
    append(db_session, 3)
    before = chain(db_session)
    if backend == "sqlite":
        # SQLite has no TRUNCATE; its truncate optimisation of DELETE without WHERE must not skip the trigger.
        assert "append-only" in refused(db_session, "DELETE FROM events")
    else:
        assert "append-only" in refused(db_session, "TRUNCATE events")
        assert "append-only" in refused(db_session, "TRUNCATE events CASCADE")
        # Triggers not set ENABLE ALWAYS are skipped in replica mode; ours are ALWAYS.
        for sql in ("TRUNCATE events", "DELETE FROM events", "UPDATE events SET action = 'x'"):
            db_session.execute(text("SET session_replication_role = replica"))
            assert db_session.scalar(text("SHOW session_replication_role")) == "replica"
            assert "append-only" in refused(db_session, sql)
    assert_intact(db_session, before)


def test_the_guard_triggers_are_installed(db_session, backend):
    if backend == "sqlite":
        names = set(db_session.scalars(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")))
        assert names == {"events_no_update", "events_no_delete", "events_no_replace"}
    else:
        rows = dict(db_session.execute(text(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal"
        )).all())
        assert rows == {"events_no_update_delete": "A", "events_no_truncate": "A"}  # A = ENABLE ALWAYS


# --- Atomicity: a change and its event commit together -------------------------------------------

def fail_on_call(monkeypatch, n: int) -> list[str]:
    """Make the n-th events.record call (as intake sees it) raise; returns the actions attempted."""
    real, attempted = events.record, []

    def flaky(session, actor, action, *args, **kwargs):
        attempted.append(action)
        if len(attempted) == n:
            raise RuntimeError("disk full")
        return real(session, actor, action, *args, **kwargs)

    monkeypatch.setattr("inclusive_access.domain.intake.events.record", flaky)
    return attempted


@pytest.mark.parametrize(("fail_at", "action"), [(1, actions.PATIENT_REGISTERED), (2, actions.REFERRAL_RECEIVED)])
def test_failure_while_recording_leaves_no_partial_write(db_session, monkeypatch, fail_at, action):
    patient, referral = intake.parse_intake(db_session, intake_row())
    attempted = fail_on_call(monkeypatch, fail_at)
    with pytest.raises(RuntimeError, match="disk full"):
        intake.receive_referral(db_session, SYSTEM, patient, referral)
    assert attempted[-1] == action
    db_session.rollback()
    assert count(db_session, Patient) == 0
    assert count(db_session, Referral) == 0
    assert count(db_session, Event) == 0


def test_failure_on_a_linked_referral_leaves_the_existing_record_as_it_was(db_session, monkeypatch):
    row = intake_row()
    intake.receive_referral(db_session, SYSTEM, *intake.parse_intake(db_session, row))
    db_session.commit()
    before = (count(db_session, Patient), count(db_session, Referral), event_chain.checkpoint(db_session))
    patient, referral = intake.parse_intake(db_session, intake_row(nhs_number=row["nhs_number"], pathway="frailty"))
    fail_on_call(monkeypatch, 1)
    with pytest.raises(RuntimeError):
        intake.receive_referral(db_session, SYSTEM, patient, referral)
    db_session.rollback()
    assert (count(db_session, Patient), count(db_session, Referral), event_chain.checkpoint(db_session)) == before
    assert event_chain.verify(db_session).ok


def test_new_patient_referral_writes_one_registration_and_one_receipt(db_session):
    before = event_chain.checkpoint(db_session).count
    referral, linked = intake.receive_referral(db_session, SYSTEM, *intake.parse_intake(db_session, intake_row()))
    db_session.commit()
    assert linked is False
    rows = db_session.scalars(select(Event).where(Event.seq > before).order_by(Event.seq)).all()
    assert [r.action for r in rows] == [actions.PATIENT_REGISTERED, actions.REFERRAL_RECEIVED]
    registered, received = rows
    assert (registered.entity_type, registered.entity_id) == ("patient", referral.patient_id)
    assert registered.patient_id == referral.patient_id
    assert (received.entity_type, received.entity_id) == ("referral", referral.id)
    assert (received.patient_id, received.referral_id) == (referral.patient_id, referral.id)
    assert json.loads(received.data)["linked_existing_patient"] is False


def test_linked_referral_writes_only_a_receipt(db_session):
    row = intake_row()
    first, _ = intake.receive_referral(db_session, SYSTEM, *intake.parse_intake(db_session, row))
    db_session.commit()
    before = event_chain.checkpoint(db_session).count
    second, linked = intake.receive_referral(
        db_session, SYSTEM,
        *intake.parse_intake(db_session, intake_row(nhs_number=row["nhs_number"], pathway="frailty")))
    db_session.commit()
    assert linked is True
    assert second.patient_id == first.patient_id
    rows = db_session.scalars(select(Event).where(Event.seq > before)).all()
    assert [r.action for r in rows] == [actions.REFERRAL_RECEIVED]
    assert rows[0].referral_id == second.id
    assert json.loads(rows[0].data)["linked_existing_patient"] is True


def test_every_receipt_has_exactly_one_event(db_session):
    shared = intake_row()["nhs_number"]
    rows = [intake_row(), intake_row(nhs_number=shared), intake_row(nhs_number=shared, pathway="frailty"), intake_row()]
    referrals = [intake.receive_referral(db_session, SYSTEM, *intake.parse_intake(db_session, r))[0]
                 for r in rows]
    db_session.commit()
    received = db_session.scalars(
        select(Event.referral_id).where(Event.action == actions.REFERRAL_RECEIVED)).all()
    assert sorted(received) == sorted(r.id for r in referrals)
    registered = db_session.scalars(
        select(Event.patient_id).where(Event.action == actions.PATIENT_REGISTERED)).all()
    assert sorted(registered) == sorted(db_session.scalars(select(Patient.id)).all())
    assert len(registered) == 3
    assert event_chain.verify(db_session).count == 7
