"""The booking script's answers and the triage decision for a referral."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db


class TriageRecord(db.Model):
    """One per referral; the script can be saved before the decision and revised until it is made."""

    __tablename__ = "triage_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), unique=True)
    #: the booking script's answers, keyed by question (domain.triage.SCRIPT_QUESTIONS)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: formats the script suggested from the answers (domain.triage.suggest_formats)
    suggested_formats: Mapped[list] = mapped_column(JSON, default=list)
    #: [{"category": ..., "description": ...}] until the adjustments register lands
    proposed_adjustments: Mapped[list] = mapped_column(JSON, default=list)
    #: accepted, clarification, escalated, rejected, rejection_review
    outcome: Mapped[str | None] = mapped_column(String(24))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]
