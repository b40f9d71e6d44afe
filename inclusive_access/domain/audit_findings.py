"""Audit findings: each sampled record judged against its record type's checklist. A finding is never edited; a
revision is a new version, with a reason, and only the newest version counts."""
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import actions, events
from inclusive_access.domain.access import AUDIT_WORK, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.models import AuditAnswer, AuditFinding, AuditSampleRecord

ANSWERS = {"compliant": "Compliant", "partly": "Partly compliant", "not_compliant": "Not compliant",
           "not_applicable": "Not applicable"}
#: record type -> checklist item -> the question (NHS England reasonable-adjustment and DNA guidance, DOMAIN.md)
CHECKLISTS = {
    "adjustment": {
        "recorded": "Recorded with a category, a description and the basis of consent",
        "flagged": "Shown wherever the patient appears (banner, worklists, appointments)",
        "delivered": "Met at each appointment since it was recorded, or the reason recorded",
        "reviewed": "Reviewed by its review date",
    },
    "dna_discharge": {
        "barrier_check": "Barrier check completed after each missed appointment",
        "contact": "At least three contact attempts, or the patient reached",
        "alternative": "An alternative format or adjustment offered",
        "senior_rationale": "Senior review with a recorded rationale before discharge",
        "safeguarding": "Safeguarding considered",
    },
    "rejected_referral": {
        "reason": "Rejection reason coded and explained",
        "clarification": "Clarification sought first where the referral was unclear",
        "senior_review": "Senior sign-off where the referral carried an inequality flag",
        "referrer_informed": "Referrer told, with alternatives or signposting",
    },
    "barrier_check": {
        "opened": "Opened when the missed appointment was recorded",
        "barriers": "Each barrier asked about (cost, safety, childcare, work, language, cognition, digital)",
        "contact": "Contact attempts recorded",
        "outcome": "Outcome recorded with an alternative format or adjustment where a barrier was found",
        "not_brought": "Was-not-brought question answered where the patient depends on others",
    },
    "clarification": {
        "within_24_hours": "Referrer contacted within 24 hours",
        "escalated": "Escalated when overdue",
        "resolved": "Answer recorded, or closed with a documented reason",
    },
    "flagged_triage": {
        "same_day": "Triaged by its same-day due time",
        "script": "Booking script completed",
        "barriers_acted_on": "Barriers found led to an alternative format or adjustment",
    },
}


@dataclass(frozen=True)
class FindingDetails:
    answers: dict[str, str]
    note: str = ""
    reason: str = ""

    def errors(self, record_type: str, revising: bool) -> dict[str, str]:
        found = {f"item_{item}": "Choose an answer for this item" for item in CHECKLISTS[record_type]
                 if self.answers.get(item) not in ANSWERS}
        if set(self.answers) - set(CHECKLISTS[record_type]):
            found["answers"] = "Answer the items of this record's checklist only"
        if revising and not self.reason.strip():
            found["reason"] = "Give the reason for revising the finding"
        return found


def current_finding(session: Session, sample_record_id: int) -> AuditFinding | None:
    return session.scalar(select(AuditFinding).where(AuditFinding.sample_record_id == sample_record_id,
                                                     AuditFinding.current.is_(True)))


def record_finding(session: Session, actor: Actor, record: AuditSampleRecord, details: FindingDetails,
                   seen_version: int | None, now: datetime | None = None) -> AuditFinding:
    """Record the first finding (seen_version None), or a revision of the version the auditor saw, with a reason."""
    require_role(actor, AUDIT_WORK)
    now = now or datetime.now(UTC)
    events.lock_log(session)
    previous = current_finding(session, record.id)
    if (previous.version if previous else None) != seen_version:
        raise StaleRecord("This finding changed since you opened it.")
    record_type = record.sample.record_type
    if errors := details.errors(record_type, revising=previous is not None):
        raise InvalidInput(errors)
    if previous:
        previous.current = False
        session.flush()
    finding = AuditFinding(sample_record_id=record.id, version=previous.version + 1 if previous else 1,
                           current=True, note=details.note or None, reason=details.reason or None,
                           recorded_by=actor.user_id, recorded_at=now,
                           answers=[AuditAnswer(item=item, answer=details.answers[item])
                                    for item in CHECKLISTS[record_type]])
    session.add(finding)
    session.flush()
    events.record(session, actor, actions.FINDING_RECORDED, "audit_finding", finding.id, patient_id=record.patient_id,
                  referral_id=record.referral_id, now=now,
                  data={"sample_id": record.sample_id, "record_id": record.record_id, "version": finding.version,
                        "answers": {a.item: a.answer for a in finding.answers}, "note": details.note or None,
                        "reason": details.reason or None})
    return finding


def current_findings(session: Session, sample_id: int) -> dict[int, AuditFinding]:
    """{sample record id: its current finding} for one sample, in one query (answers loaded with them)."""
    query = (select(AuditFinding).join(AuditSampleRecord, AuditSampleRecord.id == AuditFinding.sample_record_id)
             .where(AuditSampleRecord.sample_id == sample_id, AuditFinding.current.is_(True)))
    return {finding.sample_record_id: finding for finding in session.scalars(query)}


def versions(session: Session, sample_record_id: int) -> list[AuditFinding]:
    """Every version of a record's finding, newest first."""
    return list(session.scalars(select(AuditFinding).where(AuditFinding.sample_record_id == sample_record_id)
                                .order_by(AuditFinding.version.desc())))
