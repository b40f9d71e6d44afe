"""Verifying the identity of a patient registered from an outreach record on the identity the person gave: a
clinician confirms who they are against their NHS number (found with them, or traced), and says how."""
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, intake, locking
from inclusive_access.domain import validation as v
from inclusive_access.domain.access import CLINICAL_JUDGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord, TransitionNotAllowed
from inclusive_access.models import Patient


def verify_identity(session: Session, actor: Actor, patient: Patient, seen_version: int, raw: dict,
                    now: datetime | None = None) -> None:
    """`raw`: "nhs_number" (required when the patient has none; one on file is kept, never changed here) and
    "how" the identity was checked. A number that is another patient's is refused: that is the same person
    registered twice, for a merge, not a verification."""
    require_role(actor, CLINICAL_JUDGEMENT)
    if patient.identity_verified:
        raise TransitionNotAllowed("This patient's identity is already verified.")
    errors = v.FieldErrors()
    number = patient.nhs_number or v.nhs_number_field(errors, raw)
    how = v.text(errors, raw, "how", "how you checked the person's identity", 500, multiline=True)
    other = intake.find_patient(session, number) if number and not patient.nhs_number else None
    if other is not None:
        errors.add("nhs_number", "This NHS number is another patient's on file: the two records are one person, "
                                 "to be merged, not verified")
    if errors:
        raise InvalidInput(dict(errors))
    if seen_version != patient.version:
        raise StaleRecord("This patient's details changed since you opened them.")
    patient.nhs_number, patient.identity_verified = number, True
    locking.flush(session, "patient's details")
    events.record(session, actor, actions.PATIENT_IDENTITY_VERIFIED, "patient", patient.id, patient_id=patient.id,
                  now=now or datetime.now(UTC), data={"version": patient.version, "nhs_number": number, "how": how})
