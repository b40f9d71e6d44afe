"""One-time links through which a patient answers a questionnaire on their own phone, and the counters that limit
how often links may be tried."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of
from inclusive_access.models.outcomes import TIME_POINTS


class QuestionnaireLink(db.Model):
    """One link as sent: which questionnaire, for which referral, until when, and whether it has been used.

    The link itself is never stored: only a hash of its random secret, so the table alone cannot make a working
    link. Used once: the answers it brought are `response_id`."""

    __tablename__ = "questionnaire_links"
    __table_args__ = (
        CheckConstraint(one_of("time_point", TIME_POINTS), name="time_point"),
        CheckConstraint("(used_at IS NULL) = (response_id IS NULL)", name="used_with_response"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    instrument_id: Mapped[str] = mapped_column(String(32))
    time_point: Mapped[str] = mapped_column(String(16))
    #: the wording it opens in, as chosen when sent; the patient can switch on the page
    easy_read: Mapped[bool]
    #: SHA-256 (hex) of the random secret the link carries
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_role: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    response_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaire_responses.id"), unique=True)
    #: opens and submits of this link in the current counting window, and when that window began
    attempts: Mapped[int] = mapped_column(default=0)
    attempts_since: Mapped[datetime | None]
    #: the one-time token of the form that sent it: a repeated submit finds this row instead of adding another
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)


class LinkThrottle(db.Model):
    """Refused link requests (forged, unknown, expired or used links) from one source address in the current
    window: beyond the limit, every link request from there is refused until the window ends."""

    __tablename__ = "link_throttles"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(default=0)
