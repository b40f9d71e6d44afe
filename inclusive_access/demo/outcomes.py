"""Outcome questionnaires and urgent contacts for the demo's referrals, through the domain: a clinician asks the
pathway's questionnaires at first contact (some on paper, entered days later), a few at a review, and again at
discharge with the experience questionnaire; urgent contacts during long waits and after discharge.

The service's inequalities show: a follow-up is missed more often the more barriers the patient has, and the
most deprived improve least (an outcome gap). Made after the referrals' histories, from its own random stream,
so the rest of the demo is the same with or without it."""
import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import questionnaires, urgent_contacts
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.instruments import Instrument, for_pathway
from inclusive_access.domain.pathway_delays import DelayLink
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Referral

#: the chance a follow-up is answered at discharge, less for each barrier the patient has (no lower than FLOOR)
FOLLOW_UP, LESS_PER_BARRIER, FLOOR = 0.88, 0.18, 0.3
#: the referral flags that are barriers to a follow-up, besides living in IMD quintile 1 or 2
BARRIER_FLAGS = ("language", "cognitive", "housing")
#: the mean improvement between first contact and discharge, as a share of the scale, by IMD quintile
GAIN = {1: 0.12, 2: 0.16, 3: 0.2, 4: 0.24, 5: 0.28, None: 0.2}
#: a wait to first contact longer than this is a delay an urgent contact may follow
LONG_WAIT = timedelta(days=28)
#: the urgent contacts each pathway's patients have, with who usually tells the service
URGENT = {"mental_health": [("crisis_team", "crisis_team"), ("ed_attendance", "ed_discharge_summary")],
          "frailty": [("admission", "carer"), ("ed_attendance", "ed_discharge_summary")],
          "msk": [("urgent_gp", "gp_letter"), ("ed_attendance", "patient")]}


def barriers(referral: Referral) -> int:
    return (referral.imd_quintile in (1, 2)) + sum(flag in referral.flags for flag in BARRIER_FLAGS)


def outcome_year(session: Session, rng: random.Random, clinician: Actor, instruments: Iterable[Instrument],
                 now: datetime) -> None:
    """Questionnaires for every referral seen, and urgent contacts for some of every referral."""
    instruments = list(instruments)
    for referral in session.scalars(select(Referral).order_by(Referral.id)).all():
        if referral.first_contact_at is not None:
            _questionnaires(session, rng, clinician, referral, for_pathway(instruments, referral.pathway.code), now)
        _urgent_contacts(session, rng, clinician, referral, now)


def answers(rng: random.Random, instrument: Instrument, severity: float, activities: int = 3) -> dict[str, str]:
    """Answers of a patient as unwell as `severity` (0 the best answer to every question, 1 the worst), each item
    a little either side; "Don't know" now and then. Only the first `activities` optional items are answered."""
    given = {}
    for i, item in enumerate(instrument.items):
        if item.optional and i >= activities:
            continue
        unscored = [option for option in item.options if option.score is None]
        if unscored and rng.random() < 0.08:
            given[item.id] = rng.choice(unscored).code
            continue
        scored = sorted((option for option in item.options if option.score is not None), key=lambda o: o.score)
        place = severity if instrument.better == "lower" else 1 - severity
        index = round(place * (len(scored) - 1) + rng.gauss(0, 0.5))
        given[item.id] = scored[min(max(index, 0), len(scored) - 1)].code
    return given


def mode_for(rng: random.Random, referral: Referral) -> str:
    """How a clinician takes a patient's answers: with an interpreter where language is a need."""
    return "telephone_interpreter" if "language" in referral.flags else rng.choices(
        ["in_person", "telephone", "video"], [60, 30, 10])[0]


def ask(session: Session, rng: random.Random, clinician: Actor, referral: Referral, instrument: Instrument,
        time_point: str, severity: float, mode: str, at: datetime, now: datetime, activities: int = 3) -> None:
    """A clinician records, taken `mode`'s way at `at`, the answers of a patient as unwell as `severity` (answers);
    one form in ten is on paper, entered a few days later."""
    at = min(at, now)
    on_paper = rng.random() < 0.1
    entered = min(at + (timedelta(days=rng.randint(1, 7)) if on_paper else timedelta(minutes=30)), now)
    questionnaires.record_answers(session, clinician, referral, instrument, time_point,
                                  answers(rng, instrument, severity, activities), mode, at, now=entered)


def _questionnaires(session: Session, rng: random.Random, clinician: Actor, referral: Referral,
                    instruments: list[Instrument], now: datetime) -> None:
    seen, closed = referral.first_contact_at, referral.discharged_at
    mode = mode_for(rng, referral)
    before = rng.uniform(0.45, 0.85)
    after = min(max(before - rng.gauss(GAIN[referral.imd_quintile], 0.12), 0.0), 1.0)
    activities = rng.randint(1, 3)  # PSFS: the patient names the same activities each time
    followed_up = closed is not None and rng.random() < max(FOLLOW_UP - LESS_PER_BARRIER * barriers(referral), FLOOR)
    final = None if closed is None else min(max(seen + timedelta(days=1), closed - timedelta(days=rng.randint(1, 4))),
                                            closed)

    def asked(instrument: Instrument, time_point: str, severity: float, at: datetime) -> None:
        ask(session, rng, clinician, referral, instrument, time_point, severity, mode, at, now, activities)

    for instrument in instruments:
        if instrument.kind == "prem":
            if followed_up and rng.random() < 0.6:
                asked(instrument, "discharge", rng.uniform(0.0, 0.3) + 0.05 * barriers(referral), final)
            continue
        if rng.random() < 0.08:  # not asked at first contact
            continue
        asked(instrument, "first_contact", before, seen + timedelta(minutes=20))
        if closed is not None and closed - seen > timedelta(days=56) and rng.random() < 0.4:
            asked(instrument, "review", (before + after) / 2, seen + (closed - seen) / 2)
        if followed_up:
            asked(instrument, "discharge", after, final)


def _urgent_contacts(session: Session, rng: random.Random, clinician: Actor, referral: Referral,
                     now: datetime) -> None:
    """More often during a long wait for a first contact (and then mostly said to have followed it), and after
    discharge for the most deprived."""
    today = now.astimezone(LONDON).date()
    waited = (referral.first_contact_at or now) - referral.received_at
    delayed = waited > LONG_WAIT
    chance = (0.15 if delayed else 0.03) * (1.5 if referral.pathway.code == "mental_health" else 1)
    if rng.random() < chance:
        day = _day(referral.received_at + timedelta(days=rng.randint(7, 28) if delayed else rng.randint(0, 40)))
        link = (DelayLink("yes", f"Demo: waited {waited.days} days for a first appointment")
                if delayed and rng.random() < 0.7 else DelayLink(rng.choice(["no", "not_known"])))
        _record(session, rng, clinician, referral, day, link, today, now)
    closed = referral.discharged_at
    if closed is not None and rng.random() < (0.08 if referral.imd_quintile in (1, 2) else 0.03):
        _record(session, rng, clinician, referral, _day(closed + timedelta(days=rng.randint(0, 45))),
                DelayLink(rng.choice(["no", "not_known"])), today, now)


def _day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _record(session: Session, rng: random.Random, clinician: Actor, referral: Referral, day: date, link: DelayLink,
            today: date, now: datetime) -> None:
    if day > today:
        return
    kind, source = rng.choice(URGENT[referral.pathway.code])
    told = datetime.combine(day + timedelta(days=rng.randint(0, 10)), datetime.min.time(), LONDON) + timedelta(
        hours=rng.randint(9, 16))
    urgent_contacts.record_urgent_contact(session, clinician, referral, urgent_contacts.ContactDetails(
        kind, day, source, link), now=min(told, now))
