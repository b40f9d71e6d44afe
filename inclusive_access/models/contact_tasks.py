"""Contact problems: a person booking staff can no longer reach by any recorded route, for them to put right."""
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusive_access.extensions import db, one_of
from inclusive_access.models.mixins import Versioned

if TYPE_CHECKING:
    from inclusive_access.models.patients import Patient

#: why a task was opened: a message failed permanently on the only route recorded for its addressee
REASONS = ("no_working_route",)
OPEN = "closed_at IS NULL"


class ContactTask(Versioned, db.Model):
    """One task on the "Contact problems" worklist. Never deleted: a closed task keeps who closed it and how."""

    __tablename__ = "contact_tasks"
    __table_args__ = (
        CheckConstraint(one_of("reason", REASONS), name="reason"),
        CheckConstraint("closed_at IS NULL OR (closed_by IS NOT NULL AND outcome_note IS NOT NULL)",
                        name="closed_with_note"),
        # The worklist: open tasks (closed_at IS NULL), oldest first.
        Index("ix_contact_tasks_open", "closed_at", "opened_at"),
        # One open task per patient and reason: a second failure finds the first still open.
        Index("uq_contact_tasks_one_open", "patient_id", "reason", unique=True,
              sqlite_where=text(OPEN), postgresql_where=text(OPEN)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    #: the worklist names the patient on every row
    patient: Mapped["Patient"] = relationship(lazy="joined")
    #: the referral the failed message was about, if any
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    #: the message whose failure opened the task
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"))
    reason: Mapped[str] = mapped_column(String(24))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: what was done: details updated, or the person called (required to close)
    outcome_note: Mapped[str | None] = mapped_column(Text)
