"""Rows written straight into a database at an old revision, for the migration tests: plain SQL of the columns that
revision has, never the models (which describe the head)."""
from datetime import date, datetime

from sqlalchemy import text

from tests.factories import next_nhs_number

AT = datetime(2026, 5, 4, 9, 30)  # naive UTC, as the columns store it


def insert(conn, table: str, **values) -> None:
    names = ", ".join(values)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values)


def pathway_id(conn, code: str = "msk") -> int:
    return conn.execute(text("SELECT id FROM pathways WHERE code = :code"), {"code": code}).scalar_one()


def user(conn, user_id: int = 7, role: str = "clinician", **columns) -> None:
    """A user as revisions 0001 to 0011 store one (0012 replaced failed_logins and locked_until)."""
    insert(conn, "users", **{"id": user_id, "username": f"mig.{role}", "display_name": "Migration User",
                             "role": role, "password_hash": "x", "active": True, "failed_logins": 0,
                             "created_at": AT, "version": 1, **columns})


def patient(conn, patient_id: int = 11, **columns) -> None:
    """A patient as revision 0001 stores one (0014 added the name keys)."""
    insert(conn, "patients", **{"id": patient_id, "nhs_number": next_nhs_number(), "given_name": "Mig",
                                "family_name": "Ration", "date_of_birth": date(1960, 1, 1), "sex": "female",
                                "ethnic_category": "A", "communication_needs": "[]", "housing_status": "settled",
                                "created_at": AT, "version": 1, **columns})


def referral(conn, referral_id: int, state: str = "received", patient_id: int = 11, **columns) -> None:
    """A referral with the columns revision 0001 requires; `columns` add later revisions' (0002's triage_due_at and
    triage_priority are required from 0002 on)."""
    insert(conn, "referrals", **{"id": referral_id, "patient_id": patient_id, "pathway_id": pathway_id(conn),
                                 "referrer_name": "Dr A", "referrer_organisation": "Surgery",
                                 "referrer_contact": "0113 496 0000", "received_at": AT, "reason": "Knee",
                                 "urgency": "routine", "flags": "[]", "flagged": False, "state": state,
                                 "created_at": AT, "version": 1, **columns})
