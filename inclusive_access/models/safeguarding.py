"""Safeguarding concerns, their multi-agency route and actions; closed only by a senior."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusive_access.extensions import db, one_of
from inclusive_access.models.mixins import OfReferral
from inclusive_access.models.urgent_contacts import DELAY_ANSWERS

CATEGORIES = ("lost_contact", "exploitation_risk", "self_neglect", "domestic_abuse", "other")


class SafeguardingConcern(OfReferral, db.Model):
    """Never deleted; an open concern shows on the patient banner and blocks discharge."""

    __tablename__ = "safeguarding_concerns"
    __table_args__ = (
        CheckConstraint(one_of("category", CATEGORIES), name="category"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint(one_of("followed_delay", DELAY_ANSWERS), name="followed_delay"),
        CheckConstraint("followed_delay = 'yes' OR delay_detail IS NULL", name="delay_detail_only_if_delay"),
        CheckConstraint("status = 'open' OR (closure_summary IS NOT NULL AND outcome IS NOT NULL)",
                        name="closed_with_summary"),
        Index("ix_safeguarding_patient_status", "patient_id", "status"),
        Index("ix_safeguarding_status_raised", "status", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    #: the senior review that chose the safeguarding route, if it came from one
    review_id: Mapped[int | None] = mapped_column(ForeignKey("senior_reviews.id"))
    category: Mapped[str] = mapped_column(String(20))
    concern: Mapped[str] = mapped_column(Text)
    #: whether the concern followed a delay on the pathway (concerns raised before the question was asked: not known)
    followed_delay: Mapped[str] = mapped_column(String(9), server_default="not_known")
    delay_detail: Mapped[str | None] = mapped_column(Text)
    raised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_role: Mapped[str] = mapped_column(String(16))
    raised_at: Mapped[datetime]
    #: the multi-agency review it was referred to: to whom, when, their reference
    routed_to: Mapped[str | None] = mapped_column(String(200))
    routed_on: Mapped[date | None]
    route_reference: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="open")
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    closure_summary: Mapped[str | None] = mapped_column(Text)
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    actions: Mapped[list["SafeguardingAction"]] = relationship(order_by="SafeguardingAction.recorded_at",
                                                               lazy="selectin")


class SafeguardingAction(db.Model):
    """An action taken on a concern: appended, never edited."""

    __tablename__ = "safeguarding_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_concerns.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    #: the one-time token of the form that added it: a repeated submit finds this row instead of adding another
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
