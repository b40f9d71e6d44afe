"""Migration 0004: referrals already waiting for a senior become pending reviews, and it downgrades cleanly."""
from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from inclusive_access.domain import reviews
from inclusive_access.extensions import db
from inclusive_access.models import SeniorReview
from tests.domain.migration_rows import AT, patient, referral, user


def _referral(conn, referral_id: int, state: str, **extra) -> None:
    referral(conn, referral_id, state, flags='["housing"]', flagged=True, version=3, triage_due_at=AT,
             triage_priority=1, **extra)


def _missed(conn, referral_id: int, day: int) -> None:
    conn.execute(text(
        "INSERT INTO appointments (referral_id, starts_at, duration_minutes, format, status, first_contact, "
        "booked_by, booked_at, version) VALUES (:r, :s, 30, 'clinic', 'dna', :f, 7, :at, 2)"),
        {"r": referral_id, "s": datetime(2026, 5, day, 10), "f": False, "at": AT})


def test_migration_0004_opens_reviews_for_referrals_already_waiting(blank_app):
    flagged_at = datetime(2026, 5, 20, 11, 0)
    upgrade(revision="0003")
    with db.engine.begin() as conn:
        user(conn, username="mig.clin")
        patient(conn, housing_status="temporary")
        _referral(conn, 21, "in_treatment", senior_review_reason="2 missed appointments",
                  senior_review_flagged_at=flagged_at)
        _missed(conn, 21, 12)
        _missed(conn, 21, 19)
        _referral(conn, 22, "rejection_review", rejection_code="wrong_service",
                  rejection_text="Better met by the falls service", triaged_at=AT)
        conn.execute(text(
            "INSERT INTO events (seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id, "
            "patient_id, referral_id, data, prev_hash, hash) VALUES (1, :at, 7, 'clinician', "
            "'triage.rejection_proposed', 'referral', 22, 11, 22, '{}', :zero, :zero)"),
            {"at": AT, "zero": "0" * 64})
        _referral(conn, 23, "accepted")  # waiting for nobody: no review
    db.engine.dispose()

    upgrade()
    session = db.session
    rows = session.scalars(select(SeniorReview).order_by(SeniorReview.referral_id)).all()
    assert [(r.referral_id, r.kind, r.reason, r.reason_text, r.opened_by, r.dna_count) for r in rows] == [
        (21, "attendance", "non_attendance", "2 missed appointments", None, 2),
        (22, "rejection", "wrong_service", "Better met by the falls service", 7, 0)]
    assert [r.opened_at for r in rows] == [flagged_at.replace(tzinfo=UTC), AT.replace(tzinfo=UTC)]
    assert {(r.decided_at, r.decision, r.version) for r in rows} == {(None, None, 1)}
    assert reviews.pending_review(session, 23) is None
    queue = reviews.review_queue(session, AT.replace(tzinfo=UTC)).rows
    assert [r.id for r in queue] == [rows[1].id, rows[0].id], "oldest first"
    session.remove()

    downgrade(revision="0003")
    tables = set(inspect(db.engine).get_table_names())
    assert not tables & {"senior_reviews", "safeguarding_concerns", "safeguarding_actions"}
    assert "discharged_at" not in {c["name"] for c in inspect(db.engine).get_columns("referrals")}
    upgrade()
    assert len(db.session.scalars(select(SeniorReview)).all()) == 2, "upgrading again reopens the same reviews"
