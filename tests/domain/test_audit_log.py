"""What auditors read from the log: a record's timeline and its own chain check, the access logs, chunked
verification that agrees with the whole-log walk, and the evented verification run."""
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from inclusive_access.domain import actions, audit_log, event_chain, events, records
from inclusive_access.domain.actors import SYSTEM
from inclusive_access.domain.errors import NotPermitted
from inclusive_access.models import Event
from tests.domain.test_events import append, unprotect
from tests.factories import make_referral, staff


def test_a_referrals_timeline_has_every_event_in_order_with_views_and_verifies(db_session):
    referral = make_referral(db_session)
    other = make_referral(db_session)
    auditor = staff(db_session, "auditor", "timeline.auditor")
    records.view_record(db_session, auditor, referral.patient, referral)
    db_session.commit()
    found = audit_log.record_timeline(db_session, auditor, referral_id=referral.id)
    actions = [row.action for row in found.rows]
    assert actions == ["referral.received", "record.viewed"]
    assert [row.seq for row in found.rows] == sorted(row.seq for row in found.rows)
    assert found.rows[1].actor_role == "auditor"
    assert found.broken == []
    assert all(row.referral_id == referral.id for row in found.rows), "not the other referral's"
    assert other.id not in {row.referral_id for row in found.rows}


def test_a_timeline_filters_by_action_and_lists_the_actions_it_has(db_session):
    referral = make_referral(db_session)
    auditor = staff(db_session, "auditor")
    records.view_record(db_session, auditor, referral.patient, referral)
    db_session.commit()
    found = audit_log.record_timeline(db_session, auditor, patient_id=referral.patient_id, action="record.viewed")
    assert [row.action for row in found.rows] == ["record.viewed"]
    assert {"patient.registered", "referral.received", "record.viewed"} <= set(found.actions)


def test_an_altered_event_shows_on_its_records_timeline(db_session, backend):
    referral = make_referral(db_session)
    db_session.commit()
    auditor = staff(db_session, "auditor")
    received = audit_log.record_timeline(db_session, auditor, referral_id=referral.id).rows[0]
    unprotect(db_session, backend)
    db_session.execute(text("UPDATE events SET data = :d WHERE seq = :s"), {"d": '{"forged":true}', "s": received.seq})
    db_session.commit()
    db_session.expire_all()
    assert audit_log.record_timeline(db_session, auditor, referral_id=referral.id).broken == [received.seq]


def test_a_broken_link_shows_on_the_timeline_too(db_session, backend):
    written = append(db_session, 3)
    unprotect(db_session, backend)
    db_session.execute(text("UPDATE events SET prev_hash = :h WHERE seq = 3"), {"h": "0" * 64})
    db_session.commit()
    db_session.expire_all()
    found = audit_log.record_timeline(db_session, staff(db_session, "auditor"), patient_id=written[2].patient_id)
    assert found.broken == [3]


def test_patient_views_say_who_and_when_newest_first(db_session):
    referral = make_referral(db_session)
    first, second = staff(db_session, "clinician", "first.viewer"), staff(db_session, "auditor", "second.viewer")
    records.view_record(db_session, first, referral.patient, referral)
    records.view_record(db_session, second, referral.patient)
    db_session.commit()
    views = audit_log.patient_views(db_session, referral.patient_id)
    assert [(v["username"], v["actor_role"], v["referral_id"]) for v in views] == [
        ("second.viewer", "auditor", None), ("first.viewer", "clinician", referral.id)]


def test_user_views_are_limited_to_the_user_and_the_period(db_session):
    one, two = make_referral(db_session), make_referral(db_session)
    viewer, someone_else = staff(db_session, "clinician", "the.viewer"), staff(db_session, "booking", "other")
    records.view_record(db_session, viewer, one.patient, one)
    records.view_record(db_session, someone_else, two.patient, two)
    db_session.commit()
    now = datetime.now(UTC)
    seen = audit_log.user_views(db_session, viewer.user_id, now - timedelta(hours=1), now + timedelta(hours=1))
    assert [(v["patient_id"], v["referral_id"]) for v in seen.rows] == [(one.patient_id, one.id)]
    later = audit_log.user_views(db_session, viewer.user_id, now + timedelta(hours=1), now + timedelta(hours=2))
    assert later.rows == []


@pytest.mark.parametrize("limit", [1, 2, 5, 100])
def test_chunked_verification_agrees_with_the_whole_walk(db_session, limit):
    append(db_session, 7)
    result, after = event_chain.Verification(True, 0, events.GENESIS_HASH), -1
    while result.ok and result.count != after:
        after = result.count
        result = event_chain.verify_chunk(db_session, after, result.head_hash, limit=limit)
    assert result == event_chain.verify(db_session)
    assert (result.ok, result.count) == (True, 7)


def test_a_walk_checks_up_to_the_head_it_began_with(db_session, monkeypatch):
    """Events appended during the walk are the next walk's; one removed from the end during it is missing."""
    monkeypatch.setattr(event_chain, "VERIFY_CHUNK", 2)
    append(db_session, 7)
    assert event_chain.walk(db_session, upto=5) == (event_chain.verify_chunk(db_session, 0, limit=5), True)
    cut = event_chain.walk(db_session, upto=9)[0]
    assert (cut.ok, cut.count, cut.bad_seq, cut.reason) == (False, 7, 8, "event 8 is missing")
    first, done = event_chain.walk(db_session, chunks=1)
    assert (first.ok, first.count, done) == (True, 2, False)


def test_a_chunk_names_the_first_bad_event_as_the_whole_walk_does(db_session, backend):
    append(db_session, 6)
    unprotect(db_session, backend)
    db_session.execute(text("UPDATE events SET data = :d WHERE seq = 5"), {"d": '{"forged":true}'})
    db_session.commit()
    first = event_chain.verify_chunk(db_session, 0, events.GENESIS_HASH, limit=3)
    assert (first.ok, first.count) == (True, 3)
    second = event_chain.verify_chunk(db_session, first.count, first.head_hash, limit=3)
    assert (second.ok, second.bad_seq, second.reason) == (False, 5, "contents altered")
    assert second == event_chain.verify(db_session)


def test_a_chunk_started_from_a_wrong_hash_fails_at_once(db_session):
    append(db_session, 3)
    result = event_chain.verify_chunk(db_session, 1, "f" * 64)
    assert (result.ok, result.bad_seq, result.reason) == (False, 2, "link to the previous event broken")


def test_a_verification_run_is_evented_by_an_auditor_or_manager_only(db_session):
    append(db_session, 2)
    result = event_chain.verify(db_session)
    audit_log.record_verification(db_session, staff(db_session, "manager", "checking.manager"), result)
    db_session.commit()
    logged = db_session.scalars(select(Event).where(Event.action == actions.LOG_VERIFIED)).one()
    assert (logged.actor_role, json.loads(logged.data)) == ("manager", {
        "ok": True, "count": 2, "head_hash": result.head_hash, "bad_seq": None, "reason": ""})
    for actor in (staff(db_session, "clinician", "not.an.auditor"), SYSTEM):
        with pytest.raises(NotPermitted):
            audit_log.record_verification(db_session, actor, result)
