"""Migration 0005: referral_facts filled from the event log already there, and it downgrades back to the log alone."""
from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, inspect, select, text

from inclusive_access.extensions import db
from tests.domain.migration_rows import patient, referral
from tests.domain.test_events import write_unkeyed_event


def utc(*moment: int) -> datetime:
    return datetime(*moment, tzinfo=UTC)


def _log(conn) -> None:
    """Two referrals' histories as the app logged them at 0004, with events the projection passes over between."""

    def event(action: str, at: datetime, referral_id: int | None, **data) -> None:
        write_unkeyed_event(conn, occurred_at=at, action=action, entity_type="referral", entity_id=referral_id,
                            patient_id=11, referral_id=referral_id, data=data)

    event("referral.received", utc(2026, 3, 2, 9, 30), 21, received_at=utc(2026, 3, 2, 9, 30), pathway_code="msk",
          flags=["housing", "carer"], imd_quintile=1, ethnic_category="H", sex="female", age_band="65-74",
          triage_due_at=utc(2026, 3, 2, 17), previous_referral_id=None, version=1)
    event("patient.updated", utc(2026, 3, 2, 10), None, changed=["postcode"])
    event("triage.accepted", utc(2026, 3, 2, 12), 21, **{"from": "received", "to": "accepted"})
    event("adjustment.recorded", utc(2026, 3, 3, 9), None, category="timing")
    event("appointment.dna", utc(2026, 3, 10, 11), 21, starts_at=utc(2026, 3, 10, 10))
    event("appointment.booked", utc(2026, 3, 12, 9), 21, starts_at=utc(2026, 3, 20, 10))
    event("referral.first_contact", utc(2026, 3, 20, 10), 21, first_contact_at=utc(2026, 3, 20, 10))
    event("referral.discharged", utc(2026, 4, 30, 23, 30), 21, reason="non_attendance",
          **{"from": "in_treatment", "to": "discharged"})
    # received at 00:30 on 1 June in London, 31 days after the first closed: a re-referral within 90 days
    event("referral.received", utc(2026, 5, 31, 23, 30), 22, received_at=utc(2026, 5, 31, 23, 30),
          pathway_code="frailty", flags=[], imd_quintile=None, ethnic_category=None, age_band="85+",
          previous_referral_id=21)
    event("clarification.requested", utc(2026, 6, 1, 9), 22, due_at=utc(2026, 6, 2, 9),
          **{"from": "received", "to": "awaiting_clarification"})
    event("clarification.answered", utc(2026, 6, 1, 15), 22, **{"from": "awaiting_clarification", "to": "received"})
    event("triage.rejected", utc(2026, 6, 2, 10), 22, **{"from": "received", "to": "rejected"})


EXPECTED = {
    21: dict(patient_id=11, pathway="msk", received_at=datetime(2026, 3, 2, 9, 30), received_month="2026-03",
             imd_quintile=1, ethnic_group="Asian or Asian British", sex="female", age_band="65-74", flagged=True,
             flag_deprivation=False, flag_housing=True, flag_cognitive=False, flag_language=False,
             flag_communication=False, flag_carer=True, state="discharged", triage_due_at=datetime(2026, 3, 2, 17),
             triaged_at=datetime(2026, 3, 2, 12), accepted_at=datetime(2026, 3, 2, 12), rejected_at=None,
             clarifications=0, clarifications_on_time=0, clarification_due_at=None,
             first_contact_at=datetime(2026, 3, 20, 10), first_contact_month="2026-03",
             days_to_first_contact=(18 * 86400 + 1800) / 86400, attended=0, dnas=1, dnas_rebooked_in_14_days=1,
             unrebooked_dna_at=None, barrier_checks=0, barrier_checks_completed=0, adjustments_due=0,
             adjustments_met=0, discharged_at=datetime(2026, 4, 30, 23, 30), discharge_reason="non_attendance",
             dna_linked_discharge=True, closed_at=datetime(2026, 4, 30, 23, 30), previous_referral_id=None,
             re_referral_within_90_days=False),
    22: dict(patient_id=11, pathway="frailty", received_at=datetime(2026, 5, 31, 23, 30), received_month="2026-06",
             imd_quintile=None, ethnic_group="Not known", sex="not_known", age_band="85+", flagged=False,
             flag_deprivation=False, flag_housing=False, flag_cognitive=False, flag_language=False,
             flag_communication=False, flag_carer=False, state="rejected", triage_due_at=None,
             triaged_at=datetime(2026, 6, 1, 9), accepted_at=None, rejected_at=datetime(2026, 6, 2, 10),
             clarifications=1, clarifications_on_time=1, clarification_due_at=None, first_contact_at=None,
             first_contact_month=None, days_to_first_contact=None, attended=0, dnas=0, dnas_rebooked_in_14_days=0,
             unrebooked_dna_at=None, barrier_checks=0, barrier_checks_completed=0, adjustments_due=0,
             adjustments_met=0, discharged_at=None, discharge_reason=None, dna_linked_discharge=False,
             closed_at=datetime(2026, 6, 2, 10), previous_referral_id=21, re_referral_within_90_days=True),
}


def test_migration_0005_projects_the_log_on_file_into_referral_facts(blank_app):
    upgrade(revision="0004")
    with db.engine.begin() as conn:
        patient(conn)
        for referral_id in EXPECTED:
            referral(conn, referral_id, triage_due_at=datetime(2026, 3, 2, 17), triage_priority=1)
        _log(conn)
    db.engine.dispose()

    upgrade(revision="0005")
    with db.engine.connect() as conn:
        facts = Table("referral_facts", MetaData(), autoload_with=conn)
        rows = {row.referral_id: row._asdict() for row in conn.execute(select(facts))}
    assert rows.keys() == EXPECTED.keys()
    for referral_id, expected in EXPECTED.items():
        assert {k: v for k, v in rows[referral_id].items() if k != "referral_id"} == expected

    downgrade(revision="0004")
    assert "referral_facts" not in inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() == 12
        assert conn.execute(text("SELECT count(*) FROM referrals")).scalar_one() == 2
