"""Reconciling a minimum record with the core record: one of the session's clinicians links it to a referral of the
person it was, which appends the record to that patient's history (nothing on the patient is overwritten); a senior
can undo a wrong link, which is appended too, so the history shows both. A positive safeguarding screen raises its
concern on the referral as the record joins it (domain.outreach_safeguarding)."""
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events, locking, outreach, outreach_safeguarding
from inclusive_access.domain.access import SENIOR_JUDGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, NotPermitted, StaleRecord, TransitionNotAllowed
from inclusive_access.domain.states import CLOSED_STATES
from inclusive_access.models import OutreachRecord, Referral

#: what a record adds to the patient's history when it joins it: the minimum record as the venue completed it
RECORD_FIELDS = ("session_id", "seen_at", "given_name", "family_name", "name_is_alias", "approximate_age",
                 "nhs_number", "consent_to_share", "shared_with_partner_ids", "presenting_need", "exploitation_risk",
                 "self_neglect_risk", "safeguarding_detail", "flags", "action_agreed", "follow_up_on",
                 "follow_up_plan")


def may_reconcile(session: Session, actor: Actor, record: OutreachRecord) -> bool:
    """Before reconciliation a record is seen only by the clinicians named on its session."""
    return actor.role in outreach.OUTREACH_CLINICIANS and outreach.is_named_on(session, record.session_id,
                                                                                actor.user_id)


def link(session: Session, actor: Actor, record: OutreachRecord, referral: Referral, seen_version: int,
         kind: str = "matched", now: datetime | None = None) -> None:
    """Link an unreconciled record to an open referral: `kind` is matched (an existing patient) or new_patient
    (one registered from the record, identity not verified)."""
    if not may_reconcile(session, actor, record):
        raise NotPermitted("Only the clinicians named on the session may reconcile its records.")
    now = now or datetime.now(UTC)
    if record.reconciliation != "unreconciled":
        raise TransitionNotAllowed("This record is already linked to a patient.")
    if seen_version != record.version:
        raise StaleRecord("This record changed since you opened it.")
    if referral.state in CLOSED_STATES:
        raise InvalidInput({"referral_id": "Choose an open referral: this one is closed"})
    concern = outreach_safeguarding.raise_on_link(session, actor, record, referral, now)
    record.reconciliation, record.patient_id, record.referral_id = kind, referral.patient_id, referral.id
    record.reconciled_by, record.reconciled_at = actor.user_id, now
    locking.flush(session, "outreach record")
    events.record(session, actor, actions.OUTREACH_RECORD_LINKED, "outreach_record", record.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"kind": kind, **{field: getattr(record, field) for field in RECORD_FIELDS},
                        "concern_id": concern.id if concern else None})


def undo_link(session: Session, actor: Actor, record: OutreachRecord, seen_version: int, reason: str | None,
              now: datetime | None = None) -> None:
    """A senior undoes a wrong link: the record returns to the reconciliation list, and both patients' histories
    keep the link and its undoing. A safeguarding concern the link raised stays open on that referral: closing it
    is a senior's decision on the safeguarding route, never a side effect (the event names it). The follow-up's
    judgement goes with the link: linked again, the sweep judges it against the right patient's contacts."""
    require_role(actor, SENIOR_JUDGEMENT)
    now = now or datetime.now(UTC)
    if record.reconciliation == "unreconciled":
        raise TransitionNotAllowed("This record is not linked to a patient.")
    if not (reason or "").strip():
        raise InvalidInput({"reason": "Say why the link was wrong"})
    if seen_version != record.version:
        raise StaleRecord("This record changed since you opened it.")
    patient_id, referral_id, kind = record.patient_id, record.referral_id, record.reconciliation
    concern = outreach_safeguarding.left_open(session, record)
    record.reconciliation, record.patient_id, record.referral_id = "unreconciled", None, None
    record.reconciled_by, record.reconciled_at = None, None
    record.follow_up_checked_at = record.contact_lost = None
    locking.flush(session, "outreach record")
    events.record(session, actor, actions.OUTREACH_LINK_UNDONE, "outreach_record", record.id,
                  patient_id=patient_id, referral_id=referral_id, now=now,
                  data={"kind": kind, "reason": reason.strip(), "concern_left_open": concern.id if concern else None})
