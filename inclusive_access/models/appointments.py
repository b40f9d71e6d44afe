"""Appointments: when, in what format, where, and what happened."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of
from inclusive_access.models.mixins import Versioned

FORMATS = ("clinic", "telephone", "telephone_interpreter", "video", "home_visit", "community_venue")
STATUSES = ("booked", "attended", "attended_late", "late_not_seen", "dna", "cancelled_patient", "cancelled_service")


class Appointment(Versioned, db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(one_of("format", FORMATS), name="format"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        Index("ix_appointments_referral_starts", "referral_id", "starts_at"),
        # the reminder sweep (domain.message_causes): the booked appointments starting on one day
        Index("ix_appointments_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=30)
    format: Mapped[str] = mapped_column(String(24))
    place: Mapped[str | None] = mapped_column(String(200))
    #: support to arrange, e.g. "Polish interpreter" (shown on the booking)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(24), default="booked")
    #: this appointment was the referral's first contact
    first_contact: Mapped[bool] = mapped_column(default=False)
    outcome_recorded_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    booked_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    booked_at: Mapped[datetime]
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
