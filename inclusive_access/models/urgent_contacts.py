"""Crisis and urgent contacts: a patient's emergency or crisis care while on a referral, as staff learn of it."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of

KINDS = ("ed_attendance", "crisis_team", "urgent_gp", "admission")
SOURCES = ("patient", "carer", "gp_letter", "ed_discharge_summary", "crisis_team", "other")
#: whether something followed a delay on the pathway (urgent contacts and safeguarding concerns alike)
DELAY_ANSWERS = ("yes", "no", "not_known")


class UrgentContact(db.Model):
    """Appended, never edited: each is one contact as recorded, with the clinician's judgement of a delay."""

    __tablename__ = "urgent_contacts"
    __table_args__ = (
        CheckConstraint(one_of("kind", KINDS), name="kind"),
        CheckConstraint(one_of("source", SOURCES), name="source"),
        CheckConstraint(one_of("followed_delay", DELAY_ANSWERS), name="followed_delay"),
        CheckConstraint("followed_delay = 'yes' OR delay_detail IS NULL", name="delay_detail_only_if_delay"),
        Index("ix_urgent_contacts_patient_occurred", "patient_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    #: the day it happened (UK date), which may be before the referral was received
    occurred_on: Mapped[date]
    #: who told us
    source: Mapped[str] = mapped_column(String(24))
    followed_delay: Mapped[str] = mapped_column(String(9))
    #: what the delay was, when it followed one
    delay_detail: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_role: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime]
    #: the one-time token of the form that added it: a repeated submit finds this row instead of adding another
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
