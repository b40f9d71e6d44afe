"""Reading and correcting a patient's record: views are logged, edits are versioned."""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, later, locking, name_keys
from inclusive_access.domain.access import CLINICAL_JUDGEMENT, EVERYONE, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.models import Event, Patient, Referral, User

if TYPE_CHECKING:  # intake imports this module to write the changes an intake brings
    from inclusive_access.domain.intake import PatientDetails


def view_record(session: Session, actor: Actor, patient: Patient, referral: Referral | None = None) -> None:
    """Log that this actor opened the record: the access log answers 'who saw this patient'. In a read the event is
    appended after the page is sent (domain/later.py)."""
    require_role(actor, EVERYONE)
    later.event(session, actor, actions.RECORD_VIEWED, "referral" if referral else "patient",
                  referral.id if referral else patient.id, patient_id=patient.id,
                  referral_id=referral.id if referral else None)


def view_listed(session: Session, actor: Actor, shown: Iterable[tuple[int, int]]) -> None:
    """Log each referral a list shows, (patient id, referral id), as viewed by this actor: a list chosen by the
    reader (the referrals behind a dashboard figure) picks whom to look at, so 'who saw this patient' must answer
    it, as for a patient search."""
    require_role(actor, EVERYONE)
    for patient_id, referral_id in shown:
        later.event(session, actor, actions.RECORD_VIEWED, "referral", referral_id, patient_id=patient_id,
                      referral_id=referral_id)


def changes_since(session: Session, patient: Patient, seen_version: int) -> dict[str, dict]:
    """Fields changed by others since `seen_version`: field -> {value, by, at}, newest wins."""
    rows = session.execute(
        select(Event.data, Event.occurred_at, User.display_name)
        .join(User, User.id == Event.actor_id, isouter=True)
        .where(Event.patient_id == patient.id, Event.action == actions.PATIENT_UPDATED)
        .order_by(Event.seq)
    ).all()
    changed: dict[str, dict] = {}
    for data, occurred_at, by in rows:
        payload = json.loads(data)
        if payload.get("version", 0) > seen_version:
            for field, (_old, new) in payload["changes"].items():
                changed[field] = {"value": new, "by": by or "system", "at": occurred_at}
    return changed


def update_patient(session: Session, actor: Actor, patient: Patient, details: PatientDetails,
                   seen_version: int) -> dict:
    """Correct a patient's details. A save based on an older version is refused, never merged.

    Returns the changed fields as {field: [old, new]}; the NHS number itself cannot change here.
    """
    require_role(actor, CLINICAL_JUDGEMENT)
    return write_changes(session, actor, patient, details, seen_version)


def write_changes(session: Session, actor: Actor, patient: Patient, details: PatientDetails,
                  seen_version: int) -> dict:
    """The write behind a correction, and behind an intake that brings new details: only the fields that differ,
    one patient.updated event, a save based on an older version refused. The caller has checked the role."""
    if details.nhs_number != patient.nhs_number:
        # Identity is not edited in passing: a wrong number needs a merge/correction workflow of its own.
        raise InvalidInput({"nhs_number": "The NHS number cannot be changed here"})
    if seen_version != patient.version:
        raise StaleRecord("This patient's details changed since you opened them.",
                          changes_since(session, patient, seen_version))
    new = asdict(details)
    changes = {f: [getattr(patient, f), val] for f, val in new.items() if getattr(patient, f) != val}
    if not changes:
        return {}
    for field, (_old, val) in changes.items():
        setattr(patient, field, val)
    for field, key in name_keys.keys(patient.given_name, patient.family_name).items():
        setattr(patient, field, key)
    locking.flush(session, "patient's details")
    events.record(session, actor, actions.PATIENT_UPDATED, "patient", patient.id, patient_id=patient.id,
                  data={"version": patient.version, "changes": changes})
    return changes
