"""Outcome and experience questionnaires: each set of answers as given, and the outcome facts the reports read."""
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from inclusive_access.extensions import db, one_of

#: when in a referral a questionnaire was given (instruments.DUE_AT, plus a repeat while it is open)
TIME_POINTS = ("first_contact", "review", "discharge")
#: how the answers were collected: with a clinician (in person, by telephone, with an interpreter), or by the
#: patient alone through a one-time link
MODES = ("in_person", "telephone", "telephone_interpreter", "video", "patient_link")


class QuestionnaireResponse(db.Model):
    """Appended, never edited: one completed questionnaire, with the instrument version it was given under."""

    __tablename__ = "questionnaire_responses"
    __table_args__ = (
        CheckConstraint(one_of("time_point", TIME_POINTS), name="time_point"),
        CheckConstraint(one_of("mode", MODES), name="mode"),
        # a patient's own answers have no staff author; a clinician's always have one
        CheckConstraint("(mode = 'patient_link') = (recorded_by IS NULL)", name="author_matches_mode"),
        Index("ix_questionnaire_responses_referral", "referral_id", "instrument_id", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"))
    instrument_id: Mapped[str] = mapped_column(String(32))
    instrument_version: Mapped[int]
    time_point: Mapped[str] = mapped_column(String(16))
    #: item id -> option code, as JSON
    answers: Mapped[str] = mapped_column(Text)
    #: None when a mean had no scored answer (every answer "Don't know")
    score: Mapped[float | None] = mapped_column(Float)
    #: when the patient answered (a clinician may enter a paper form later)
    completed_at: Mapped[datetime]
    mode: Mapped[str] = mapped_column(String(24))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_role: Mapped[str | None] = mapped_column(String(16))
    recorded_at: Mapped[datetime]
    #: the one-time token of the form that added it: a repeated submit finds this row instead of adding another
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)


class OutcomeFact(db.Model):
    """One referral's results on one instrument, from its questionnaire.completed events alone (by when each was
    completed, not entered): the baseline is the earliest answered at first contact, the follow-up the latest
    answered at discharge (for an experience measure, "prem", its latest answer at any point: it has no baseline).
    Written only by the projection, and rebuilt with referral_facts."""

    __tablename__ = "outcome_facts"

    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), primary_key=True, autoincrement=False)
    instrument_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: "prom" or "prem", as the instrument said when answered
    kind: Mapped[str] = mapped_column(String(4))
    #: "higher" or "lower": which way the score is better
    better: Mapped[str] = mapped_column(String(6))
    responses: Mapped[int]
    baseline_at: Mapped[datetime | None]
    baseline_score: Mapped[float | None] = mapped_column(Float)
    followup_at: Mapped[datetime | None]
    followup_score: Mapped[float | None] = mapped_column(Float)
    #: the follow-up moved from the baseline in the better direction by at least the minimal important change
    #: (None without both, or for an instrument with no minimal important change)
    improved: Mapped[bool | None]
    #: the earliest later answer (at review or discharge) that reached the minimal important change
    improved_at: Mapped[datetime | None]
    #: improved_at - baseline_at, in days (fractional)
    days_to_improvement: Mapped[float | None] = mapped_column(Float)
