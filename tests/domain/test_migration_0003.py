"""Migration 0003: the adjustments the booking script proposed become real ones, each with its event continuing the
chain, and it downgrades back to the triage records as they were."""
import json
from datetime import UTC, date, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from inclusive_access.domain import actions, event_chain
from inclusive_access.extensions import db
from inclusive_access.models import Event, Patient, ReasonableAdjustment
from tests.domain.migration_rows import patient, referral, user
from tests.domain.test_events import write_unkeyed

RECORDED_AT = datetime(2026, 3, 2, 11, 15)  # naive UTC, as the columns store it
PROPOSED = [{"category": "communication_support", "description": "Tigrinya interpreter for every contact"},
            {"category": "timing", "description": "Afternoon appointments"}]
TRIAGE_RECORDS = "SELECT referral_id, proposed_adjustments, outcome FROM triage_records ORDER BY referral_id"


def test_migration_0003_turns_proposed_adjustments_into_real_ones(blank_app):
    upgrade(revision="0002")
    with db.engine.begin() as conn:
        user(conn, username="mig.clin", created_at=RECORDED_AT)
        patient(conn, created_at=RECORDED_AT)
        referral(conn, 21, "accepted", received_at=RECORDED_AT, created_at=RECORDED_AT, version=2,
                 triage_due_at=RECORDED_AT, triage_priority=1, triaged_at=RECORDED_AT)
        conn.execute(text(
            "INSERT INTO triage_records (referral_id, answers, suggested_formats, proposed_adjustments, "
            "outcome, recorded_by, recorded_at) VALUES (21, '{}', '[\"clinic\"]', :proposed, 'accepted', 7, "
            ":at)"), {"proposed": json.dumps(PROPOSED), "at": RECORDED_AT})
        # One event before the migration: the adopted adjustments must continue its chain.
        write_unkeyed(conn, 1)  # as the app wrote it at 0002 (plain SHA-256: 0011 keyed the chain)
        triage_records = conn.execute(text(TRIAGE_RECORDS)).all()

    upgrade()
    session = db.session
    items = session.scalars(select(ReasonableAdjustment).order_by(ReasonableAdjustment.id)).all()
    assert [(a.patient_id, a.category, a.description) for a in items] == [
        (11, "communication_support", "Tigrinya interpreter for every contact"),
        (11, "timing", "Afternoon appointments")]
    assert {(a.source, a.consent_basis, a.status, a.applies_to_appointments, a.version) for a in items} == {
        ("triage_script", "patient", "active", True, 1)}
    assert {(a.recorded_by, a.recorded_role, a.recorded_at, a.review_date) for a in items} == {
        (7, "clinician", RECORDED_AT.replace(tzinfo=UTC), date(2027, 3, 2))}
    adopted = session.scalars(select(Event).where(Event.action == actions.ADJUSTMENT_RECORDED)
                              .order_by(Event.seq)).all()
    assert [(e.seq, e.entity_type, e.entity_id, e.patient_id, e.actor_id) for e in adopted] == [
        (2, "adjustment", items[0].id, 11, 7), (3, "adjustment", items[1].id, 11, 7)]
    assert json.loads(adopted[0].data) == {
        "category": "communication_support", "description": "Tigrinya interpreter for every contact",
        "source": "triage_script", "consent_basis": "patient", "review_date": "2027-03-02",
        "migrated_from": "triage_record"}
    verification = event_chain.verify(session)
    assert verification.ok, verification.reason
    assert verification.count == 3
    assert [a.id for a in session.get(Patient, 11).active_adjustments] == [items[0].id, items[1].id]
    session.remove()

    downgrade(revision="0002")
    assert not {"reasonable_adjustments", "adjustment_deliveries", "barrier_checks"} & set(
        inspect(db.engine).get_table_names())
    assert "senior_review_reason" not in {c["name"] for c in inspect(db.engine).get_columns("referrals")}
    with db.engine.connect() as conn:
        assert conn.execute(text(TRIAGE_RECORDS)).all() == triage_records
        # the log is append-only: the adopted adjustments' events stay
        assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() == 3
