"""The reasonable-adjustments register (after the NHS RA Flag and the Accessible Information Standard)."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusive_access.extensions import db, one_of
from inclusive_access.models.mixins import Versioned

CATEGORIES = ("communication_support", "information_format", "environment_access", "timing", "support_person",
              "other")
SOURCES = ("triage_script", "barrier_check", "patient_request", "referrer")
CONSENT_BASES = ("patient", "best_interest", "attorney_deputy", "parental_responsibility")


class ReasonableAdjustment(Versioned, db.Model):
    """Never deleted: an adjustment that no longer applies is ended, with a reason."""

    __tablename__ = "reasonable_adjustments"
    __table_args__ = (
        CheckConstraint(one_of("category", CATEGORIES), name="category"),
        CheckConstraint(one_of("source", SOURCES), name="source"),
        CheckConstraint(one_of("consent_basis", CONSENT_BASES), name="consent_basis"),
        CheckConstraint("status IN ('active', 'ended')", name="status"),
        CheckConstraint("status = 'active' OR end_reason IS NOT NULL", name="ended_with_reason"),
        Index("ix_adjustments_patient_status", "patient_id", "status"),
        # The overdue-review list: active ones by review date.
        Index("ix_adjustments_status_review", "status", "review_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    category: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text)
    #: the impairment or need behind it, as the RA flag records it (optional)
    impairment: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))
    consent_basis: Mapped[str] = mapped_column(String(24))
    #: the adjustment applies at appointments, so each outcome records whether it was met
    applies_to_appointments: Mapped[bool] = mapped_column(default=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: the recorder's role at the time, as the national flag requires
    recorded_role: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime]
    review_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(8), default="active")
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)
    #: the one-time token of the form that added it: a repeated submit finds this row instead of adding another
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    patient: Mapped["Patient"] = relationship(lazy="joined")  # noqa: F821 - resolved by name


class AdjustmentDelivery(db.Model):
    """Whether an adjustment was actually met at an appointment: delivered, not just recorded."""

    __tablename__ = "adjustment_deliveries"
    __table_args__ = (UniqueConstraint("appointment_id", "adjustment_id", name="uq_adjustment_deliveries_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    adjustment_id: Mapped[int] = mapped_column(ForeignKey("reasonable_adjustments.id"), index=True)
    met: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
