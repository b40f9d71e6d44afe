"""Rapid clarification of a poor-quality referral: the question, contact attempts, the answer."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusive_access.extensions import db
from inclusive_access.models.mixins import OfReferral


class ContactAttemptColumns:
    """What every attempt to reach someone records (a clarification's referrer, a missed appointment's patient)."""

    attempted_at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(16))
    reached: Mapped[bool]
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: the one-time token of the form that added it: a repeated submit finds this row instead of adding another
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)


class Clarification(OfReferral, db.Model):
    __tablename__ = "clarifications"
    __table_args__ = (
        CheckConstraint("channel IN ('telephone', 'email', 'secure_message')", name="channel"),
        CheckConstraint("closed_at IS NULL OR response IS NOT NULL OR close_reason IS NOT NULL",
                        name="closed_with_answer_or_reason"),
        # The SLA sweep: open ones (closed_at IS NULL) not yet escalated, by due time.
        Index("ix_clarifications_open_due", "closed_at", "escalated_at", "due_at"),
        # The worklist: open ones by due time (overdue, due today, later).
        Index("ix_clarifications_open_by_due", "closed_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    #: whom to contact (usually the referrer)
    contact_name: Mapped[str] = mapped_column(String(160))
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime]
    due_at: Mapped[datetime]
    escalated_at: Mapped[datetime | None]
    response: Mapped[str | None] = mapped_column(Text)
    #: why it was closed without an answer (documented, never silent)
    close_reason: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    attempts: Mapped[list["ContactAttempt"]] = relationship(order_by="ContactAttempt.attempted_at",
                                                            lazy="selectin")


class ContactAttempt(ContactAttemptColumns, db.Model):
    __tablename__ = "contact_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    clarification_id: Mapped[int] = mapped_column(ForeignKey("clarifications.id"), index=True)
