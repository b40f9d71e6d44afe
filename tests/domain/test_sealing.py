"""Events sealed at commit: concurrent writers make one gap-free chain that verifies, each event applied to the
facts; what rolls back, or fails between sealing and commit, leaves no event and no gap; an unsealed event can be
sealed once, never altered; a transaction's unsealed events hold up no other's commit."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from inclusive_access.domain import actions, chain_keys, event_chain, events, triage
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.extensions import db
from inclusive_access.models import Event, Referral, ReferralFact
from tests.domain.test_events import FIXED, append, chain
from tests.factories import SCRIPT, make_referral, make_user


def sealed_log(session) -> tuple[int, int, int]:
    """(events, lowest seq, highest seq) of the committed log, after checking that the chain verifies."""
    result = event_chain.verify(session)
    assert result.ok, result.reason
    return session.execute(select(func.count(), func.min(Event.seq), func.max(Event.seq))).one()


def test_an_event_is_unsealed_until_its_transaction_commits(db_session):
    append(db_session, 2)
    event = events.record(db_session, SYSTEM, actions.PATIENT_UPDATED, "patient", 1, patient_id=1, now=FIXED)
    assert event.seq >= events.UNSEALED
    db_session.commit()
    assert (event.seq, event.prev_hash) == (3, db_session.get(Event, 2).hash)
    assert sealed_log(db_session) == (3, 1, 3)


def test_events_are_sealed_in_the_order_they_were_recorded(db_session):
    recorded = [events.record(db_session, SYSTEM, actions.PATIENT_UPDATED, "patient", i, patient_id=i,
                              data={"i": i}, now=FIXED) for i in range(1, 4)]
    db_session.commit()
    assert [(e.seq, e.entity_id) for e in recorded] == [(1, 1), (2, 2), (3, 3)]


def test_a_failure_between_sealing_and_commit_loses_nothing_committed_and_leaves_no_gap(db_session):
    append(db_session, 2)
    events.record(db_session, SYSTEM, actions.PATIENT_UPDATED, "patient", 9, now=FIXED)

    def crash():
        raise RuntimeError("the worker died after sealing")

    events.when_sealed(db_session, crash)
    with pytest.raises(RuntimeError, match="after sealing"):
        db_session.commit()
    db_session.rollback()
    assert sealed_log(db_session) == (2, 1, 2)
    assert append(db_session, 1)[0].seq == 3
    assert sealed_log(db_session) == (3, 1, 3)


def refused_row(session) -> None:
    """An import's row refused inside its savepoint, after recording an event there."""
    def refused() -> None:
        with session.begin_nested():
            events.record(session, SYSTEM, actions.PATIENT_UPDATED, "patient", 8, now=FIXED)
            raise RuntimeError("a refused row")

    with pytest.raises(RuntimeError):
        refused()


def test_a_savepoint_rolled_back_takes_its_events_and_leaves_no_gap(db_session):
    append(db_session, 1)
    refused_row(db_session)
    kept = events.record(db_session, SYSTEM, actions.PATIENT_UPDATED, "patient", 9, now=FIXED)
    db_session.commit()
    assert (kept.seq, kept.entity_id) == (2, 9)
    assert sealed_log(db_session) == (2, 1, 2)


def test_a_savepoint_rolled_back_leaves_the_events_before_it_to_be_sealed(db_session):
    kept = events.record(db_session, SYSTEM, actions.PATIENT_UPDATED, "patient", 7, now=FIXED)
    refused_row(db_session)
    db_session.commit()
    assert (kept.seq, kept.entity_id) == (1, 7)
    assert sealed_log(db_session) == (1, 1, 1)


def test_a_row_put_in_the_log_unsealed_by_anyone_else_is_never_sealed_and_fails_the_check(db_session):
    """Whoever may INSERT into events but has not the key must not get a forged row sealed by the app's next
    commit."""
    append(db_session, 1)
    forged_seq = events.UNSEALED + 777
    db_session.execute(text(
        "INSERT INTO events (seq, occurred_at, actor_role, action, entity_type, entity_id, data, prev_hash, hash, "
        "key_id) VALUES (:seq, :at, 'senior', 'referral.discharged', 'referral', 1, '{}', '', 'unsealed:x', :key)"),
        {"seq": forged_seq, "at": FIXED, "key": chain_keys.current_id()})
    db_session.commit()
    ours = append(db_session, 1)[0]
    assert ours.seq == 2
    assert db_session.scalar(select(Event.hash).where(Event.seq == forged_seq)) == "unsealed:x"
    result = event_chain.verify(db_session)
    assert (result.ok, result.count, result.bad_seq) == (False, 2, forged_seq)
    assert "committed unsealed" in result.reason


@pytest.mark.parametrize("change", [
    "seq = 1, data = :forged",
    "seq = 1, action = :forged",
    "seq = seq + 1, prev_hash = :forged",  # still unsealed after it: not a seal
])
def test_an_unsealed_event_can_be_sealed_but_not_altered(db_session, change):
    events.record(db_session, SYSTEM, actions.PATIENT_UPDATED, "patient", 1, now=FIXED)
    unsealed = {"u": events.UNSEALED, "forged": '{"forged":true}'}
    with pytest.raises(DBAPIError, match="append-only"):
        db_session.execute(text(f"UPDATE events SET {change} WHERE seq >= :u"), unsealed)  # noqa: S608 - fixed
    db_session.rollback()
    events.record(db_session, SYSTEM, actions.PATIENT_UPDATED, "patient", 1, now=FIXED)
    db_session.execute(text("UPDATE events SET seq = 1, prev_hash = 'p', hash = 'h' WHERE seq >= :u"), unsealed)
    assert db_session.scalar(select(Event.hash).where(Event.seq == 1)) == "h"
    db_session.rollback()


@pytest.mark.parametrize("place", ["seq = 1, hash = 'h'", "seq = 3, hash = (SELECT hash FROM events WHERE seq = 1)"])
def test_an_unsealed_event_cannot_be_sealed_onto_a_place_another_event_holds(db_session, backend, place):
    """On SQLite, UPDATE OR REPLACE would make room by deleting the event there, firing no DELETE trigger."""
    append(db_session, 2)
    before = chain(db_session)
    events.record(db_session, SYSTEM, actions.PATIENT_UPDATED, "patient", 1, now=FIXED)
    update = "UPDATE OR REPLACE" if backend == "sqlite" else "UPDATE"
    with pytest.raises(DBAPIError, match="append-only" if backend == "sqlite" else "duplicate key"):
        db_session.execute(text(f"{update} events SET {place}, prev_hash = 'p' WHERE seq >= :u"),  # noqa: S608
                           {"u": events.UNSEALED})
    db_session.rollback()
    assert chain(db_session) == before


def _triage_in_own_session(app, referral_id: int) -> int:
    with app.app_context():
        try:
            referral = db.session.get(Referral, referral_id)
            booker = actor_for(make_user(db.session, "booking", f"booker{referral_id}"))
            triage.triage_referral(db.session, booker, referral, referral.version, SCRIPT, [], "accept")
            db.session.commit()
            return referral_id
        finally:
            db.session.remove()


def test_concurrent_writers_make_one_gap_free_chain_with_every_event_applied(app, db_session, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    referrals = [make_referral(db_session).id for _ in range(12)]
    db_session.commit()
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert sorted(pool.map(lambda rid: _triage_in_own_session(app, rid), referrals)) == referrals
    count, first, last = sealed_log(db_session)
    assert (first, last) == (1, count)
    assert db_session.scalar(select(func.count()).select_from(Event).where(
        Event.action == actions.TRIAGE_ACCEPTED)) == 12
    assert set(db_session.scalars(select(ReferralFact.state).where(ReferralFact.referral_id.in_(referrals)))) == {
        "accepted"}


def test_unsealed_events_hold_up_no_other_transaction(app, db_session, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    events.record(db_session, SYSTEM, actions.PATIENT_UPDATED, "patient", 1, now=FIXED)  # left open

    def other() -> int:
        with app.app_context():
            try:
                db.session.execute(text("SET LOCAL lock_timeout = '5s'"))
                return append(db.session, 1)[0].seq
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(other).result(timeout=30) == 1
    db_session.commit()
    assert sealed_log(db_session) == (2, 1, 2)
