"""Reasonable adjustments: record, edit, end (never delete), review, and whether each was met."""
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, locking, submissions
from inclusive_access.domain.access import BOOKING_WORK, CLINICAL_JUDGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Patient, ReasonableAdjustment

CATEGORIES = {"communication_support": "Communication support (interpreter, BSL, advocate)",
              "information_format": "Information format (easy read, large print, braille, audio, email)",
              "environment_access": "Environment and access (step-free, quiet space, home visit)",
              "timing": "Timing (longer appointment, first or last slot, evening)",
              "support_person": "Support person (carer or advocate present)", "other": "Other"}
SHORT_LABELS = {"communication_support": "Communication support", "information_format": "Information format",
                "environment_access": "Environment and access", "timing": "Timing",
                "support_person": "Support person", "other": "Other"}
SOURCES = {"triage_script": "Triage booking script", "barrier_check": "Barrier check after a missed appointment",
           "patient_request": "Patient or carer request", "referrer": "Referrer"}
CONSENT_BASES = {"patient": "The patient consented", "best_interest": "Best-interest decision",
                 "attorney_deputy": "Attorney or deputy", "parental_responsibility": "Parental responsibility"}
#: who records an adjustment from each source: triage records what the patient said in the booking script, so
#: whoever may triage records those; every other recording, edit and ending is a clinician's
RECORD_ROLES = {"triage_script": BOOKING_WORK}
#: the national Reasonable Adjustment Flag is reviewed at least yearly
DEFAULT_REVIEW = timedelta(days=365)


@dataclass(frozen=True)
class AdjustmentDetails:
    category: str
    description: str
    consent_basis: str
    impairment: str | None = None
    applies_to_appointments: bool = True
    review_date: date | None = None


def _check(details: AdjustmentDetails, today: date) -> None:
    errors = {}
    if details.category not in CATEGORIES:
        errors["category"] = "Select the kind of adjustment"
    if not details.description:
        errors["description"] = "Describe the adjustment"
    if details.consent_basis not in CONSENT_BASES:
        errors["consent_basis"] = "Select the basis for recording it"
    if details.review_date is not None and details.review_date <= today:
        errors["review_date"] = "The review date must be in the future"
    if errors:
        raise InvalidInput(errors)


def record_adjustment(session: Session, actor: Actor, patient: Patient, details: AdjustmentDetails, source: str,
                      submission_token: str | None = None, now: datetime | None = None) -> ReasonableAdjustment:
    """Add an adjustment to the patient's register; review in 12 months unless a date is given."""
    require_role(actor, RECORD_ROLES.get(source, CLINICAL_JUDGEMENT))
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, ReasonableAdjustment, submission_token)
    today = now.astimezone(LONDON).date()
    _check(details, today)
    if source not in SOURCES:
        raise InvalidInput({"source": "Select where the adjustment came from"})
    item = ReasonableAdjustment(
        patient_id=patient.id, category=details.category, description=details.description,
        impairment=details.impairment, source=source, consent_basis=details.consent_basis,
        applies_to_appointments=details.applies_to_appointments, recorded_by=actor.user_id,
        recorded_role=actor.role, recorded_at=now, review_date=details.review_date or today + DEFAULT_REVIEW,
        submission_token=submission_token)
    session.add(item)
    session.flush()
    # The patient's cached register would hide the new one from later rules in this transaction.
    session.expire(patient, ["active_adjustments"])
    events.record(session, actor, actions.ADJUSTMENT_RECORDED, "adjustment", item.id, patient_id=patient.id,
                  now=now, data={"category": item.category, "description": item.description, "source": source,
                                 "consent_basis": item.consent_basis, "review_date": item.review_date})
    return item


def update_adjustment(session: Session, actor: Actor, item: ReasonableAdjustment, seen_version: int,
                      details: AdjustmentDetails, now: datetime | None = None) -> dict:
    """Edit an active adjustment; returns {field: [old, new]}. Reviewing it is an edit of its review date."""
    require_role(actor, CLINICAL_JUDGEMENT)
    now = now or datetime.now(UTC)
    if item.status != "active":
        raise InvalidInput({"description": "An ended adjustment cannot be edited"})
    if seen_version != item.version:
        raise StaleRecord("This adjustment changed since you opened it.")
    _check(details, now.astimezone(LONDON).date())
    new = {"category": details.category, "description": details.description, "impairment": details.impairment,
           "consent_basis": details.consent_basis, "applies_to_appointments": details.applies_to_appointments,
           "review_date": details.review_date or item.review_date}
    changes = {k: [getattr(item, k), v] for k, v in new.items() if getattr(item, k) != v}
    for key, (_old, value) in changes.items():
        setattr(item, key, value)
    locking.flush(session, "adjustment")
    if changes:
        events.record(session, actor, actions.ADJUSTMENT_UPDATED, "adjustment", item.id, patient_id=item.patient_id,
                      now=now, data={"changes": changes})
    return changes


def end_adjustment(session: Session, actor: Actor, item: ReasonableAdjustment, seen_version: int, reason: str,
                   now: datetime | None = None) -> None:
    """End an adjustment with a reason. It stays in the register, and in the record, for good."""
    require_role(actor, CLINICAL_JUDGEMENT)
    now = now or datetime.now(UTC)
    if not reason:
        raise InvalidInput({"end_reason": "Say why the adjustment is no longer needed"})
    if item.status != "active":
        raise InvalidInput({"end_reason": "This adjustment has already ended"})
    if seen_version != item.version:
        raise StaleRecord("This adjustment changed since you opened it.")
    item.status, item.ended_at, item.end_reason = "ended", now, reason
    locking.flush(session, "adjustment")
    session.expire(item.patient, ["active_adjustments"])
    events.record(session, actor, actions.ADJUSTMENT_ENDED, "adjustment", item.id, patient_id=item.patient_id,
                  now=now, data={"reason": reason})


def register_for(session: Session, patient: Patient) -> list[ReasonableAdjustment]:
    """All the patient's adjustments, active first, newest first."""
    return list(session.scalars(select(ReasonableAdjustment).where(ReasonableAdjustment.patient_id == patient.id)
                                .order_by(ReasonableAdjustment.status, ReasonableAdjustment.recorded_at.desc())))


def overdue_reviews(session: Session, today: date, limit: int = 500) -> list[ReasonableAdjustment]:
    """Active adjustments past their review date, most overdue first (reads ix_adjustments_status_review)."""
    return list(session.scalars(
        select(ReasonableAdjustment).where(ReasonableAdjustment.status == "active",
                                           ReasonableAdjustment.review_date < today)
        .order_by(ReasonableAdjustment.review_date, ReasonableAdjustment.id).limit(limit)))


def applicable_at_appointments(patient: Patient) -> list[ReasonableAdjustment]:
    return [a for a in patient.active_adjustments if a.applies_to_appointments]


def booking_prompts(patient: Patient, script_answers: dict | None) -> list[str]:
    """What to arrange when booking: communication-support adjustments, and any interpreter need on file."""
    prompts = [f"Arrange: {a.description}" for a in patient.active_adjustments
               if a.category == "communication_support"]
    answers = script_answers or {}
    if (patient.interpreter_needed or answers.get("interpreter_needed")) and not prompts:
        language = answers.get("language") or patient.preferred_language or "spoken language"
        prompts.append(f"Book an interpreter ({language}) for every contact")
    return prompts
