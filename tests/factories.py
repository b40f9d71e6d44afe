"""Factories: valid records with defaults, built through the domain so their events exist too."""
import csv
import io
import random
from datetime import UTC, datetime, timedelta
from itertools import count

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.demo.people import synthetic_nhs_numbers
from inclusive_access.domain import accounts, appointments, bulk_import, discharge, dna, intake, triage
from inclusive_access.domain.actors import SYSTEM, Actor, actor_for
from inclusive_access.models import Appointment, BarrierCheck, Referral, User
from tests.conftest import PASSWORD

#: the domain tests' June: a referral received at 09:00 (UK time) on Monday 1 June 2026 and triaged at 10:00 UTC,
#: and its first appointment a week later, 10:00 BST on Monday 8 June
RECEIVED = "2026-06-01 09:00"
TRIAGED = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
SLOT = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
#: that June as a report or an audit sample names it, and when a clarification of the referral is asked: an hour
#: after receipt, as a triage would be
JUNE = "2026-06"
ASKED = TRIAGED
#: a second appointment a week after SLOT, and a discharge asked for on 22 June and decided four hours later
SECOND_SLOT = SLOT + timedelta(days=7)
REQUESTED = datetime(2026, 6, 22, 10, 0, tzinfo=UTC)
DECIDED = REQUESTED + timedelta(hours=4)

_numbers = iter(synthetic_nhs_numbers(random.Random(999), 20000))
_refs = count(1)


def next_nhs_number() -> str:
    return next(_numbers)


def make_user(session: Session, role: str = "booking", username: str | None = None) -> User:
    return accounts.create_user(session, SYSTEM, username or f"user{next(_refs)}", f"Test {role}", role, PASSWORD)


def staff(session: Session, role: str, username: str | None = None) -> Actor:
    """A user of `role` (not signed in anywhere) to act through the domain."""
    return actor_for(make_user(session, role=role, username=username))


def intake_row(**overrides) -> dict:
    """A valid intake as the form or a CSV row would send it (all strings)."""
    row = {
        "nhs_number": next_nhs_number(), "given_name": "Testy", "family_name": "Sampleton",
        "date_of_birth": "1950-04-01", "sex": "female", "postcode": "LS1 4AP", "imd_decile": "5",
        "imd_index": "IoD2025", "ethnic_category": "A", "preferred_language": "English",
        "interpreter_needed": "no", "communication_needs": "", "housing_status": "settled",
        "learning_disability": "no", "cognitive_impairment": "no", "caring_responsibilities": "no",
        "pathway": "msk", "referrer_name": "Dr Example", "referrer_organisation": "Test Surgery",
        "referrer_contact": "0113 496 0000",
        "received_at": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
        "reason": "Knee pain", "urgency": "routine", "external_ref": f"EXT-{next(_refs)}",
    }
    row.update(overrides)
    return row


def csv_text(rows: list[dict], columns=None) -> str:
    """Rows as a referrals CSV file's text, header first (the import's columns unless told)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns or bulk_import.COLUMNS), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def make_referral(session: Session, actor=SYSTEM, duplicate_reason: str | None = "Another problem, for the test",
                  **overrides) -> Referral:
    """A referral; for a patient already open on the pathway, confirmed with `duplicate_reason` (None: refused)."""
    patient, referral = intake.parse_intake(session, intake_row(**overrides))
    row, _linked = intake.receive_referral(session, actor, patient, referral, duplicate_reason=duplicate_reason)
    return row


def intake_form(**overrides) -> dict:
    """A valid intake as the browser posts the form: date of birth in three boxes, UK local time, needs as a list."""
    from inclusive_access.domain.validation import LONDON

    row = intake_row()
    del row["external_ref"]  # the form has no field for it (only the CSV import does)
    year, month, day = row.pop("date_of_birth").split("-")
    row.update(dob_day=day, dob_month=month, dob_year=year, communication_needs=[],
               received_at=(datetime.now(UTC) - timedelta(hours=1)).astimezone(LONDON).strftime("%Y-%m-%dT%H:%M"))
    row.update(overrides)
    return row


#: a senior's approval of a discharge
APPROVE = discharge.Decision("approved", "Goals met and agreed with the patient")

#: a booking script with no barriers: triage accepts with it
SCRIPT = triage.BookingScript(contact_method="telephone", contact_times="", safe_to_leave_message=True,
                              interpreter_needed=False, language="", communication_needs="", mobility="none",
                              caring_or_work="", digital_access="phone_only")


def accept_and_book(session: Session, actor, referral: Referral, days_to_contact: float) -> Appointment:
    """Accept an hour after receipt and book an appointment `days_to_contact` days after receipt."""
    triage.triage_referral(session, actor, referral, referral.version, SCRIPT, [], "accept",
                           now=referral.received_at + timedelta(hours=1))
    slot = referral.received_at + timedelta(days=days_to_contact)
    return appointments.book_appointment(session, actor, referral, referral.version, slot, "telephone", None,
                                         now=referral.received_at + timedelta(hours=2))


def accept_and_attend(session: Session, actor, referral: Referral, days_to_contact: float) -> None:
    """accept_and_book, and record attendance an hour after the appointment (the first contact)."""
    appointment = accept_and_book(session, actor, referral, days_to_contact)
    appointments.record_outcome(session, actor, appointment, appointment.version, "attended",
                                now=appointment.starts_at + timedelta(hours=1))


def discharged(session: Session, clinician, senior, received_at: str, at: datetime, **overrides) -> Referral:
    """A referral received at `received_at`, seen a day later, and discharged at `at` (treatment complete, asked
    for a minute before by `clinician` and approved by `senior`)."""
    referral = make_referral(session, received_at=received_at, **overrides)
    accept_and_attend(session, clinician, referral, 1)
    review = discharge.request_discharge(session, clinician, referral, referral.version, "treatment_complete",
                                         "Goals met", now=at - timedelta(minutes=1))
    discharge.decide_review(session, senior, review, referral.version, APPROVE, now=at)
    return referral


#: first-contact waits (days) of ten people at each end of the equity KPI, enough to judge a month: medians 12 and 6
JUDGED_Q1_WAITS = (8, 9, 10, 11, 12, 12, 13, 14, 15, 16)
JUDGED_Q5_WAITS = (3, 4, 5, 5, 6, 6, 7, 8, 9, 10)


def wait_gap_month(session: Session, actor, month: str, q1: tuple[float, ...] = (10, 12, 14),
                   q5: tuple[float, ...] = (5, 7)) -> None:
    """A month ('YYYY-MM') in MSK whose first contacts came after `q1` days in IMD quintile 1 (deciles 1 and 2 in
    turn) and `q5` in quintile 5 (deciles 10 and 9), received a day apart from the 1st. By default three and two
    people, medians 12 and 6: a gap of 6 days (ratio 2), above the default threshold of 2 but too few to judge;
    JUDGED_Q1_WAITS and JUDGED_Q5_WAITS give the same gap on enough people."""
    for deciles, waits in ((("1", "2"), q1), (("10", "9"), q5)):
        for day, wait in enumerate(waits, start=1):
            referral = make_referral(session, imd_decile=deciles[(day - 1) % 2], pathway="msk",
                                     received_at=f"{month}-{day:02d} 09:00")
            accept_and_attend(session, actor, referral, wait)


def accepted(session: Session, actor, now: datetime = TRIAGED, **overrides) -> Referral:
    """A referral (received on RECEIVED unless told) that `actor` triaged as accepted at `now`."""
    overrides.setdefault("received_at", RECEIVED)
    row = make_referral(session, **overrides)
    triage.triage_referral(session, actor, row, row.version, SCRIPT, [], "accept", now=now)
    return row


def book(session: Session, actor, referral: Referral, starts_at: datetime, fmt: str = "telephone",
         place: str | None = None, now: datetime | None = None, **details) -> Appointment:
    """Book `referral` for `starts_at`, as if at `now`: by default booked ahead, at the latest as it began."""
    when = now if now is not None else min(datetime.now(UTC), starts_at)
    return appointments.book_appointment(session, actor, referral, referral.version, starts_at, fmt, place,
                                         now=when, **details)


def miss(session: Session, actor, referral: Referral, starts_at: datetime = SLOT, booked_at: datetime = TRIAGED,
         **outcome) -> BarrierCheck:
    """Book an appointment, record it as missed an hour after its start, and return the barrier check that
    opened."""
    appointment = book(session, actor, referral, starts_at, now=booked_at)
    appointments.record_outcome(session, actor, appointment, appointment.version, "dna",
                                now=starts_at + timedelta(hours=1), **outcome)
    return session.scalars(select(BarrierCheck).where(BarrierCheck.appointment_id == appointment.id)).one()


def attempt(session: Session, actor, check: BarrierCheck, reached: bool = False, at: datetime | None = None,
            method: str = "telephone"):
    """A contact attempt on a barrier check (an hour after it opened unless told); unreached: 'No answer'."""
    return dna.log_attempt(session, actor, check, method, reached, None if reached else "No answer",
                           now=at or check.opened_at + timedelta(hours=1))


def complete(session: Session, actor, check: BarrierCheck, outcome: str = "rebooked", at: datetime | None = None,
             **details) -> None:
    """Complete a barrier check with `outcome` (two hours after it opened unless told)."""
    dna.complete_barrier_check(session, actor, check, check.version, outcome,
                               now=at or check.opened_at + timedelta(hours=2), **details)
