"""The lists the staff work from: senior review decisions and safeguarding concerns over the year, and today's
open work in every state a worklist shows."""
import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.demo.episodes import PENDING, SCRIPT, Team, clarify, not_reached, record_outcome
from inclusive_access.demo.people import referral_details
from inclusive_access.domain import appointments, discharge, dna, intake, reviews, safeguarding, triage
from inclusive_access.models import Referral

#: referrals `todays_work` makes, of the total asked for
TODAYS_WORK = 10


def senior_reviews(session: Session, rng: random.Random, team: Team, now: datetime) -> None:
    """Decisions on the senior review list after missed appointments (this week's still waiting), and safeguarding
    concerns at every stage."""
    flagged = session.scalars(select(Referral).where(Referral.senior_review_flagged_at.is_not(None))
                              .order_by(Referral.senior_review_flagged_at)).all()
    choices = ["continue", "safeguarding", "approved"]
    for i, referral in enumerate(flagged):
        if i == len(flagged) - 1 or (now - referral.senior_review_flagged_at < PENDING and i % 2):
            continue
        choice = choices[i % len(choices)]
        at = min(referral.senior_review_flagged_at + timedelta(days=2), now)
        if choice == "approved":
            not_reached(session, team.booking, team.clinician, dna.open_check_for(session, referral.id),
                         at - timedelta(days=1))
            if discharge.discharge_blocks(session, referral):
                continue
        decision = discharge.Decision(
            choice, "Demo: barrier checks done, reviewed with the patient's GP",
            plan=None if choice == "approved" else "Demo: home visit with a carer present",
            concern=safeguarding.ConcernDetails("lost_contact", "Demo: not reached after repeated missed visits")
            if choice == "safeguarding" else None)
        discharge.decide_review(session, team.senior, reviews.pending_review(session, referral.id), referral.version,
                                decision, now=at)
    active = session.scalars(select(Referral).where(Referral.state.in_(("accepted", "in_treatment")))
                             .order_by(Referral.received_at.desc()).limit(12)).all()
    for i, referral in enumerate(active):
        at = now - timedelta(days=rng.randint(2, 30))
        concern = safeguarding.raise_concern(
            session, team.clinician, referral, safeguarding.ConcernDetails(
                rng.choice(["self_neglect", "exploitation_risk", "domestic_abuse", "other"]),
                "Demo: concern noticed at a home visit"), now=at)
        if i % 2:
            safeguarding.route_concern(session, team.clinician, concern, concern.version,
                                       "Demo adult safeguarding hub", (at + timedelta(days=1)).date(),
                                       f"DEMO-{concern.id:04d}", now=at + timedelta(days=1))
            safeguarding.record_action(session, team.clinician, concern, "Demo: strategy discussion held",
                                       now=at + timedelta(days=1, hours=2))
        if i % 3 == 0:
            safeguarding.close_concern(session, team.senior, concern, concern.version, "Demo: support plan in place",
                                       "Demo: closed after multi-agency review", now=at + timedelta(days=2))


def todays_work(session: Session, rng: random.Random, people: list[intake.PatientDetails], team: Team,
                 now: datetime) -> None:
    """Open work in every state a worklist shows, whatever the volume (a small demo has little backlog by chance),
    one referral for each of `people` (TODAYS_WORK, the first two flagged where the demo has such patients); last,
    the newest referral of all: flagged, 40 minutes old, today's first triage job."""

    def referral(age: timedelta, flagged: bool = False):
        at = now - age
        row, _linked = intake.receive_referral(session, team.booking, people.pop(0 if flagged else -1),
                                               referral_details(rng, at), now=at,
                                               duplicate_reason="Synthetic demo: a second problem")
        return row, at

    def booked(age: timedelta, starts: datetime):
        row, at = referral(age)
        triage.triage_referral(session, team.booking, row, row.version, SCRIPT, [], "accept",
                               now=at + timedelta(hours=2))
        fmt = rng.choice(["telephone", "home_visit"])
        return row, appointments.book_appointment(session, team.booking, row, row.version, starts, fmt, None,
                                                  now=at + timedelta(hours=2))

    referral(timedelta(hours=3))  # awaiting triage
    for age in (timedelta(hours=30), timedelta(hours=2)):  # clarifications: one overdue, one not yet due
        row, at = referral(age)
        clarify(session, team.booking, row, "Demo: is the patient still at the same address?", "telephone",
                 at + timedelta(minutes=20))
    row, at = referral(timedelta(hours=5))
    triage.triage_referral(session, team.booking, row, row.version, SCRIPT, [], "escalate",
                           reason_text="Demo: complex needs, senior view wanted", now=at + timedelta(hours=1))
    row, at = referral(timedelta(hours=6), flagged=True)  # a flagged referral's proposed rejection waits for a senior
    triage.triage_referral(session, team.clinician, row, row.version, SCRIPT, [], "reject",
                           reason_code=rng.choice(list(triage.REJECTION_CODES)), reason_text="Demo: criteria not met",
                           now=at + timedelta(hours=1))
    booked(timedelta(days=3), (now + timedelta(days=5)).replace(hour=10, minute=0))  # waiting for the appointment
    for age, missed, reached in ((timedelta(days=20), 4, False), (timedelta(days=30), 8, None)):
        row, appointment = booked(age, now - timedelta(days=missed))
        record_outcome(session, rng, team.clinician, row, appointment, "dna",
                       appointment.starts_at + timedelta(hours=1))
        check = dna.open_check_for(session, row.id)
        if reached is None:  # three calls unanswered: on the senior review list
            not_reached(session, team.booking, team.clinician, check, appointment.starts_at + timedelta(days=1))
        else:  # the barrier check is being worked
            dna.log_attempt(session, team.booking, check, "telephone", reached, "Demo: no answer",
                            now=appointment.starts_at + timedelta(days=1))
    row, appointment = booked(timedelta(days=60), now - timedelta(days=40))  # discharge asked for yesterday
    record_outcome(session, rng, team.clinician, row, appointment, "attended",
                   appointment.starts_at + timedelta(hours=1))
    discharge.request_discharge(session, team.clinician, row, row.version, "treatment_complete",
                                "Demo: the goals agreed at the first contact are met", now=now - timedelta(days=1))
    referral(timedelta(minutes=40), flagged=True)

