"""Audit samples: the parameters that reproduce them, the records drawn, and versioned findings per record."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusive_access.extensions import db, one_of

RECORD_TYPES = ("adjustment", "dna_discharge", "rejected_referral", "barrier_check", "clarification",
                "flagged_triage")
ANSWERS = ("compliant", "partly", "not_compliant", "not_applicable")


class AuditSample(db.Model):
    """Everything needed to draw the same records again: type, months, segment filter, strata, size and seed."""

    __tablename__ = "audit_samples"
    __table_args__ = (
        CheckConstraint(one_of("record_type", RECORD_TYPES), name="record_type"),
        CheckConstraint("allocation IS NULL OR allocation IN ('equal', 'proportional')", name="allocation"),
        CheckConstraint("(stratify_by IS NULL) = (allocation IS NULL)", name="strata_with_allocation"),
        CheckConstraint("size > 0", name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(20))
    #: months 'YYYY-MM' (Europe/London) of the record's defining moment, inclusive
    first_month: Mapped[str] = mapped_column(String(7))
    last_month: Mapped[str] = mapped_column(String(7))
    pathway: Mapped[str | None] = mapped_column(String(32))
    #: an optional filter: a segment of referral_facts and the value kept ('1', 'Asian or Asian British', 'true')
    segment: Mapped[str | None] = mapped_column(String(24))
    segment_value: Mapped[str | None] = mapped_column(String(40))
    stratify_by: Mapped[str | None] = mapped_column(String(24))
    allocation: Mapped[str | None] = mapped_column(String(12))
    size: Mapped[int]
    seed: Mapped[int]
    #: records that matched, and records taken (fewer than size when the population is smaller)
    population: Mapped[int]
    taken: Mapped[int]
    drawn_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime]
    #: the one-time token of the form that drew it: a repeated submit finds this sample instead of drawing again
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    records: Mapped[list["AuditSampleRecord"]] = relationship(order_by="AuditSampleRecord.position",
                                                              lazy="selectin", back_populates="sample")


class AuditSampleRecord(db.Model):
    """One drawn record, in draw order, with its stratum."""

    __tablename__ = "audit_sample_records"
    __table_args__ = (UniqueConstraint("sample_id", "record_id", name="uq_audit_sample_records_sample_record"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("audit_samples.id"))
    position: Mapped[int]
    #: the id of the sampled row in its record type's table
    record_id: Mapped[int]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    stratum: Mapped[str | None] = mapped_column(String(40))

    sample: Mapped[AuditSample] = relationship(back_populates="records")


class AuditFinding(db.Model):
    """An auditor's judgement of one sampled record. Never edited: a revision is a new version with a reason, and
    only the newest version counts."""

    __tablename__ = "audit_findings"
    __table_args__ = (
        UniqueConstraint("sample_record_id", "version", name="uq_audit_findings_record_version"),
        CheckConstraint("version = 1 OR reason IS NOT NULL", name="revision_has_reason"),
        Index("ix_audit_findings_current", "sample_record_id", "current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_record_id: Mapped[int] = mapped_column(ForeignKey("audit_sample_records.id"))
    version: Mapped[int]
    current: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]

    answers: Mapped[list["AuditAnswer"]] = relationship(lazy="selectin", order_by="AuditAnswer.id")


class AuditAnswer(db.Model):
    """One checklist item's answer within a finding."""

    __tablename__ = "audit_answers"
    __table_args__ = (
        UniqueConstraint("finding_id", "item", name="uq_audit_answers_finding_item"),
        CheckConstraint(one_of("answer", ANSWERS), name="answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("audit_findings.id"))
    item: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(String(16))
