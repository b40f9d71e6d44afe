"""Migration 0004: referrals already waiting for a senior become pending reviews, and it downgrades cleanly."""
from datetime import UTC, date, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from inclusive_access.domain import reviews
from inclusive_access.extensions import db
from inclusive_access.models import SeniorReview
from tests.conftest import make_app
from tests.factories import next_nhs_number

AT = datetime(2026, 5, 4, 9, 30)  # naive UTC, as the columns store it


def _referral(conn, referral_id: int, state: str, **extra) -> None:
    pathway = conn.execute(text("SELECT id FROM pathways WHERE code = 'msk'")).scalar_one()
    columns = {"id": referral_id, "patient_id": 11, "pathway_id": pathway, "referrer_name": "Dr A",
               "referrer_organisation": "Surgery", "referrer_contact": "0113 496 0000", "received_at": AT,
               "reason": "Knee", "urgency": "routine", "flags": '["housing"]', "flagged": True, "state": state,
               "created_at": AT, "version": 3, "triage_due_at": AT, "triage_priority": 1, **extra}
    names = ", ".join(columns)
    conn.execute(text(f"INSERT INTO referrals ({names}) VALUES ({', '.join(':' + n for n in columns)})"), columns)


def _missed(conn, referral_id: int, day: int) -> None:
    conn.execute(text(
        "INSERT INTO appointments (referral_id, starts_at, duration_minutes, format, status, first_contact, "
        "booked_by, booked_at, version) VALUES (:r, :s, 30, 'clinic', 'dna', :f, 7, :at, 2)"),
        {"r": referral_id, "s": datetime(2026, 5, day, 10), "f": False, "at": AT})


def test_migration_0004_opens_reviews_for_referrals_already_waiting(blank_database_url):
    app = make_app(blank_database_url)
    flagged_at = datetime(2026, 5, 20, 11, 0)
    with app.app_context():
        upgrade(revision="0003")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, username, display_name, role, password_hash, active, failed_logins, "
                "created_at, version) VALUES (7, 'mig.clin', 'Migration Clinician', 'clinician', 'x', :t, 0, "
                ":at, 1)"), {"t": True, "at": AT})
            conn.execute(text(
                "INSERT INTO patients (id, nhs_number, given_name, family_name, date_of_birth, sex, "
                "ethnic_category, communication_needs, housing_status, created_at, version) VALUES "
                "(11, :nhs, 'Mig', 'Ration', :dob, 'female', 'A', '[]', 'temporary', :at, 1)"),
                {"nhs": next_nhs_number(), "dob": date(1960, 1, 1), "at": AT})
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
        db.session.remove()
        db.engine.dispose()
