"""Crafted outcome histories for the outcome reports, made through the domain as staff would make them: referrals
through the shared factories, questionnaire answers through domain.questionnaires and urgent contacts through
domain.urgent_contacts, so the projection writes the outcome facts and urgent-contact flags the reports read."""
from datetime import date, datetime, time
from functools import cache
from itertools import product

from flask import current_app
from sqlalchemy.orm import Session

from inclusive_access.domain import questionnaires, urgent_contacts
from inclusive_access.domain.instruments import Instrument, score
from inclusive_access.domain.pathway_delays import DelayLink
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Referral
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


@cache
def answers_scoring(instrument: Instrument, wanted: float) -> dict[str, str]:
    """Answers to `instrument` that score `wanted`: for a sum, each item's highest option that still fits (PHQ-9 18
    is six items at 3, the rest at 0); for a mean, the first answers, in the order of the options, whose mean it is
    (the experience measure's 75 is three answers at 100 and one at 0)."""
    if instrument.scoring == "sum":
        answers, left = {}, wanted
        for item in instrument.items:
            option = max((o for o in item.options if o.score is not None and o.score <= left), key=lambda o: o.score)
            answers[item.id], left = option.code, left - option.score
        if left:
            raise ValueError(f"{instrument.id} cannot add up to {wanted}")
        return answers
    choices = [[o.code for o in item.options] + [""] * item.optional for item in instrument.items]
    for codes in product(*choices):
        answers = {item.id: code for item, code in zip(instrument.items, codes, strict=True) if code}
        if score(instrument, answers) == wanted:
            return answers
    raise ValueError(f"{instrument.id} has no answers with a mean of {wanted}")


def answer(session: Session, clinician, referral: Referral, instrument_id: str, time_point: str,
           given: Answer) -> None:
    """A clinician records, as the patient gave them at the time, answers scoring the given score."""
    completed_at, wanted = given
    instrument = current_app.extensions["instruments"][instrument_id]
    questionnaires.record_answers(session, clinician, referral, instrument, time_point,
                                  answers_scoring(instrument, wanted), "in_person", completed_at, now=completed_at)


def add_outcome(session: Session, clinician, referral: Referral, instrument_id: str, baseline: Answer | None = None,
                followup: Answer | None = None, review: Answer | None = None) -> None:
    """The referral's answers to an instrument: `baseline` at first contact, `review` at a review (an improvement
    before discharge) and `followup` at discharge (an experience measure's one answer)."""
    for time_point, given in (("first_contact", baseline), ("review", review), ("discharge", followup)):
        if given is not None:
            answer(session, clinician, referral, instrument_id, time_point, given)


def urgent(session: Session, clinician, referral: Referral, *days: date) -> None:
    """Urgent contacts on the referral's patient on each of `days` (UK dates), each recorded that day."""
    for day in days:
        details = urgent_contacts.ContactDetails("ed_attendance", day, "ed_discharge_summary", DelayLink("no"))
        urgent_contacts.record_urgent_contact(session, clinician, referral, details,
                                              now=datetime.combine(day, time(12), LONDON))
