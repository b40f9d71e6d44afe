"""Crafted outcome histories for the outcome reports: referrals through the domain factories (so their
referral_facts exist), then their outcome facts and urgent-contact flags.

Until the projection of questionnaire.completed and urgent_contact.recorded events lands, outcome_facts rows and
the two urgent flags are written here directly, as the projection would write them; once it lands, add_outcome
and urgent can record answers and urgent contacts through the domain instead, with the same signatures.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from inclusive_access.domain import instruments
from inclusive_access.models import OutcomeFact, Referral, ReferralFact
from tests import factories

#: one score at a time point: (when completed, score)
Answer = tuple[datetime, float]


def seen(session: Session, clinician, received_at: str, pathway: str = "mental_health", **patient) -> Referral:
    """A referral received at `received_at` ('YYYY-MM-DD HH:MM', UK) and seen a day later (its first contact)."""
    referral = factories.make_referral(session, received_at=received_at, pathway=pathway, **patient)
    factories.accept_and_attend(session, clinician, referral, 1)
    return referral


def discharged(session: Session, clinician, senior, received_at: str, at: datetime,
               pathway: str = "mental_health", **patient) -> Referral:
    """A referral seen a day after `received_at` and discharged at `at`."""
    return factories.discharged(session, clinician, senior, received_at, at, pathway=pathway, **patient)


def add_outcome(session: Session, referral: Referral, instrument_id: str, baseline: Answer | None = None,
                followup: Answer | None = None, improved_at: datetime | None = None) -> OutcomeFact:
    """The referral's outcome facts on an instrument, as the projection derives them (models.OutcomeFact): the
    baseline at first contact and the follow-up at discharge (an experience measure's answer is its follow-up);
    `improved` from the instrument's minimal important change, and the time to improvement from `improved_at`
    (the follow-up's time when it improved and no earlier answer is given)."""
    instrument = current_app.extensions["instruments"][instrument_id]
    both = baseline is not None and followup is not None
    improved = instruments.improved(instrument, baseline[1], followup[1]) if both and instrument.mic else None
    if improved and improved_at is None:
        improved_at = followup[0]
    fact = OutcomeFact(
        referral_id=referral.id, instrument_id=instrument_id, kind=instrument.kind, better=instrument.better,
        responses=(baseline is not None) + (followup is not None),
        baseline_at=baseline and baseline[0], baseline_score=baseline and baseline[1],
        followup_at=followup and followup[0], followup_score=followup and followup[1], improved=improved,
        improved_at=improved_at,
        days_to_improvement=(improved_at - baseline[0]) / timedelta(days=1) if improved_at and baseline else None)
    session.add(fact)
    session.flush()
    return fact


def urgent(session: Session, referral: Referral, after_referral: bool = False, after_discharge: bool = False) -> None:
    """Mark an urgent contact within 30 days of the referral and/or its discharge on its referral_facts row. Call
    it after the referral's last domain action: a new event re-projects the row."""
    fact = session.get(ReferralFact, referral.id)
    fact.urgent_contact_after_referral, fact.urgent_contact_after_discharge = after_referral, after_discharge
    session.flush()
