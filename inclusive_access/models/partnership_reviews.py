"""Partnership review meetings with outreach partners: who came, the minutes, what was learnt from incidents and
complaints, the actions agreed with their leads, and the outreach figures the meeting reviewed as they stood."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inclusive_access.extensions import db
from inclusive_access.models.mixins import Versioned
from inclusive_access.models.outreach import Partner
from inclusive_access.models.users import User

review_partners = Table(
    "partnership_review_partners", db.metadata,
    Column("review_id", ForeignKey("partnership_reviews.id"), primary_key=True),
    Column("partner_id", ForeignKey("partners.id"), primary_key=True, index=True),
)


class PartnershipReview(Versioned, db.Model):
    """One meeting; its minutes and learning are edited with optimistic locking, its figures never."""

    __tablename__ = "partnership_reviews"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_in_order"),
        # the list of meetings: ORDER BY held_on DESC, id DESC
        Index("ix_partnership_reviews_held_on", "held_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(160))
    #: the period whose outreach figures the meeting reviewed (London dates, both included)
    period_start: Mapped[date]
    period_end: Mapped[date]
    minutes: Mapped[str] = mapped_column(Text)
    #: what was learnt from incidents and complaints
    learning: Mapped[str | None] = mapped_column(Text)
    #: the figures reviewed, as published (small counts already shown as "*") when the meeting was recorded, so the
    #: minutes keep the numbers discussed whatever is recorded later
    figures: Mapped[dict] = mapped_column(JSON)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    recorder: Mapped[User] = relationship(foreign_keys=[recorded_by], lazy="joined")
    partners: Mapped[list[Partner]] = relationship(secondary=review_partners, order_by=Partner.name, lazy="selectin")
    actions: Mapped[list["ReviewAction"]] = relationship(
        back_populates="review", order_by="(ReviewAction.due_on, ReviewAction.id)", lazy="selectin")


class ReviewAction(Versioned, db.Model):
    """An action agreed at a meeting: what, who leads it (a name: partners' staff have no account) and by when."""

    __tablename__ = "partnership_review_actions"
    __table_args__ = (CheckConstraint("(done_on IS NULL) = (done_by IS NULL)", name="done_with_who"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("partnership_reviews.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    lead_name: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date]
    added_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime]
    done_on: Mapped[date | None]
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    review: Mapped[PartnershipReview] = relationship(back_populates="actions")
