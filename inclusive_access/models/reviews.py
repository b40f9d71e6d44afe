"""Senior reviews: discharge requests, the senior review list after missed appointments, flagged rejections."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of
from inclusive_access.models.mixins import OfReferral

KINDS = ("discharge", "attendance", "rejection")
DECISIONS = ("approved", "continue", "safeguarding")


class SeniorReview(OfReferral, db.Model):
    """One item of the senior review queue. Never deleted: a decided review stays as the record of the decision."""

    __tablename__ = "senior_reviews"
    __table_args__ = (
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint(f"decision IS NULL OR {one_of('decision', DECISIONS)}", name="decision"),
        CheckConstraint("decided_at IS NULL OR (decision IS NOT NULL AND rationale IS NOT NULL)",
                        name="decided_with_rationale"),
        # The queue: pending reviews (decided_at IS NULL), oldest first.
        Index("ix_senior_reviews_pending", "decided_at", "opened_at"),
        # At most one pending review per referral: a second request finds the first.
        Index("uq_senior_reviews_one_pending", "referral_id", unique=True,
              sqlite_where=text("decided_at IS NULL"), postgresql_where=text("decided_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: discharge (a clinician's request), attendance (second DNA or not reached), rejection (a flagged referral)
    kind: Mapped[str] = mapped_column(String(12))
    #: discharge reason code (domain.discharge.REASONS), or the rejection code for a flagged rejection
    reason: Mapped[str] = mapped_column(String(32))
    reason_text: Mapped[str] = mapped_column(Text)
    #: whose action opened the review: they may not approve it themselves (four eyes); None for the system
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime]
    #: missed appointments on the referral when the review opened
    dna_count: Mapped[int] = mapped_column(default=0)
    decision: Mapped[str | None] = mapped_column(String(12))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    rationale: Mapped[str | None] = mapped_column(Text)
    #: the engagement plan when the referral continues
    plan: Mapped[str | None] = mapped_column(Text)
    #: why discharge is safe although a safeguarding concern is still open (the senior's record)
    safe_despite_concern: Mapped[str | None] = mapped_column(Text)
    #: the referral's state after the decision
    outcome_state: Mapped[str | None] = mapped_column(String(24))
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
