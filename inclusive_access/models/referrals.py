"""Pathways and referrals."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusive_access.extensions import db
from inclusive_access.models.mixins import Versioned
from inclusive_access.models.patients import Patient

REFERRAL_STATES = (
    "received", "awaiting_clarification", "accepted", "in_treatment", "rejection_review",
    "rejected", "needs_senior_review", "discharge_review", "discharged",
)
_STATE_LIST = ", ".join(f"'{s}'" for s in REFERRAL_STATES)


class Pathway(db.Model):
    __tablename__ = "pathways"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)


class Referral(Versioned, db.Model):
    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATE_LIST})", name="state"),
        CheckConstraint("urgency IN ('routine', 'urgent')", name="urgency"),
        # The referral list, newest first, a page at a time by keyset (domain.listing): one index for each filter,
        # each ending in (received_at, id) so that no page sorts the referrals
        Index("ix_referrals_received", "received_at", "id"),
        Index("ix_referrals_pathway_received", "pathway_id", "received_at", "id"),
        Index("ix_referrals_state_received", "state", "received_at", "id"),
        Index("ix_referrals_flagged_received", "flagged", "received_at", "id"),
        # The triage worklist: WHERE state = 'received' ORDER BY triage_priority, triage_due_at
        Index("ix_referrals_triage_queue", "state", "triage_priority", "triage_due_at"),
        # Questionnaires due at discharge: WHERE state = 'discharged' AND discharged_at >= now - 30 days
        Index("ix_referrals_state_discharged", "state", "discharged_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    #: indexed by ix_referrals_pathway_received
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id"))
    #: the sender's reference; unique so re-importing a file creates no duplicates
    external_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: one-time token from the intake form, so a double-clicked submit creates one referral
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    referrer_name: Mapped[str] = mapped_column(String(120))
    referrer_organisation: Mapped[str] = mapped_column(String(160))
    #: the referrer's organisation's ODS code, when given; referrer_organisation keeps its name as it was then
    referrer_ods_code: Mapped[str | None] = mapped_column(String(10))
    referrer_contact: Mapped[str] = mapped_column(String(160))
    received_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(8))
    #: inequality flags derived at receipt and snapshotted; reports use this, not today's record
    flags: Mapped[list] = mapped_column(JSON, default=list)
    flagged: Mapped[bool] = mapped_column(default=False)
    #: IMD quintile at receipt (1 = most deprived); None = not known
    imd_quintile: Mapped[int | None]
    state: Mapped[str] = mapped_column(String(24), default="received")
    #: when triage is due (domain.clocks.triage_due), set at receipt
    triage_due_at: Mapped[datetime]
    #: 0 = back from clarification (top of the queue), 1 = in turn
    triage_priority: Mapped[int] = mapped_column(default=1)
    #: set while the referral waits for a senior's triage decision
    triage_escalated_at: Mapped[datetime | None]
    triaged_at: Mapped[datetime | None]
    #: first attended appointment (referral-to-first-contact ends here)
    first_contact_at: Mapped[datetime | None]
    #: why the referral is on the senior review list (second DNA, not reached after 3 attempts, ...)
    senior_review_reason: Mapped[str | None] = mapped_column(String(200))
    senior_review_flagged_at: Mapped[datetime | None]
    #: the earlier referral this re-refers (a discharged referral is read-only; a new one links back)
    previous_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    discharged_at: Mapped[datetime | None]
    #: domain.discharge.REASONS code of the approved discharge (non_attendance marks a DNA-linked discharge)
    discharge_reason: Mapped[str | None] = mapped_column(String(24))
    rejection_code: Mapped[str | None] = mapped_column(String(32))
    rejection_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    patient: Mapped[Patient] = relationship(lazy="joined")
    pathway: Mapped[Pathway] = relationship(lazy="joined")
