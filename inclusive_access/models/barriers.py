"""The barrier check opened by every missed appointment, and its contact attempts."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusive_access.extensions import db
from inclusive_access.models.clarifications import ContactAttemptColumns
from inclusive_access.models.mixins import OfReferral


class BarrierCheck(OfReferral, db.Model):
    __tablename__ = "barrier_checks"
    __table_args__ = (
        # The worklist: open checks (completed_at IS NULL) by rebooking deadline, which runs from missed_at.
        Index("ix_barrier_checks_open_by_missed", "completed_at", "missed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the missed appointment that opened this check
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    opened_at: Mapped[datetime]
    #: when the missed appointment was: the 14-day rebooking clock starts here
    missed_at: Mapped[datetime]
    #: the patient depends on someone else to attend: recorded as "was not brought"
    was_not_brought: Mapped[bool] = mapped_column(default=False)
    #: barrier codes found (domain.dna.BARRIERS); None until recorded, [] when none were found
    barriers: Mapped[list | None] = mapped_column(JSON)
    other_barrier: Mapped[str | None] = mapped_column(Text)
    #: no_concern, concern_raised, follow_up_planned (required when was_not_brought)
    safeguarding: Mapped[str | None] = mapped_column(String(20))
    #: alternative_offered, rebooked, adjustment_recorded, declined, not_reached
    outcome: Mapped[str | None] = mapped_column(String(24))
    alternative_format: Mapped[str | None] = mapped_column(String(24))
    rebooked_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("reasonable_adjustments.id"))
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    attempts: Mapped[list["BarrierContactAttempt"]] = relationship(order_by="BarrierContactAttempt.attempted_at",
                                                                   lazy="selectin")


class BarrierContactAttempt(ContactAttemptColumns, db.Model):
    __tablename__ = "barrier_contact_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    barrier_check_id: Mapped[int] = mapped_column(ForeignKey("barrier_checks.id"), index=True)
