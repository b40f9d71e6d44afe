"""A referral's history as the service would have worked it, through the domain: triage, booking, what happened
at each appointment, the graded response to a missed one, the episode of care and discharge, and re-referral."""
import random
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.demo.people import referral_details
from inclusive_access.domain import (
    adjustments,
    appointments,
    clarification,
    discharge,
    dna,
    intake,
    reviews,
    triage,
    triage_flags,
)
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import Clarification

#: referrals received this recently are today's work: still awaiting triage, or waiting for a clarification
BACKLOG = timedelta(days=2)
#: a decision or request still waiting this long after it was made is the current backlog, not history
PENDING = timedelta(days=10)
#: every so many referrals, the booking script finds a carer the referral did not mention (by id, not by the
#: random draws, so the rest of the demo is the history it was)
FLAGS_CORRECTED_EVERY = 17


class Team(NamedTuple):
    """The staff who work the referrals, one of each role that acts on them."""

    booking: Actor
    clinician: Actor
    senior: Actor


#: what booking staff agree with most patients at triage
SCRIPT = triage.BookingScript(contact_method="telephone", contact_times="mornings", safe_to_leave_message=True,
                              interpreter_needed=False, language="", communication_needs="", mobility="none",
                              caring_or_work="", digital_access="phone_only")


def clarify(session: Session, actor, referral, question: str, channel: str, at: datetime) -> Clarification:
    triage.triage_referral(session, actor, referral, referral.version, SCRIPT, [], "clarify", now=at,
                           clarify={"question": question, "channel": channel, "contact_name": referral.referrer_name})
    return session.scalars(select(Clarification).where(Clarification.referral_id == referral.id)).one()


def referral_history(session: Session, rng: random.Random, referral, team: Team, now: datetime) -> None:
    """Triage a referral as the service would have: today's are the backlog; older ones were triaged within hours."""
    age = now - referral.received_at
    if age < BACKLOG:
        if rng.random() < 0.3:  # an open clarification; those over 24 hours old are overdue
            clarify(session, team.booking, referral, "Demo: what is the main goal of this referral?",
                     rng.choice(list(clarification.CHANNELS)), referral.received_at + timedelta(minutes=20))
        return  # otherwise awaiting triage
    at = referral.received_at + timedelta(hours=rng.randint(1, 20))
    script = SCRIPT
    if "language" in referral.flags:
        script = triage.BookingScript(**{**SCRIPT.as_dict(), "interpreter_needed": True,
                                         "language": referral.patient.preferred_language or "Polish"})
    roll = rng.random()
    if roll < 0.06:
        _reject(session, rng, referral, team, script, at, now)
        return
    if roll < 0.10:  # answered (or closed without an answer after three tries) within hours; then accepted
        item = clarify(session, team.booking, referral, "Demo: please confirm current medication and mobility",
                        "telephone", at)
        answered = item.id % 5 != 2  # by turns, so that a small demo has both
        for hour in range(1 if answered else 3):
            clarification.log_attempt(session, team.booking, item, "telephone", answered and hour == 0,
                                      None if answered else "Demo: no answer", now=at + timedelta(hours=hour + 1))
        clarification.close_clarification(
            session, team.booking, item, item.version, "Demo: details confirmed" if answered else None,
            None if answered else "Demo: referrer not reachable; triaged on the information given",
            now=at + timedelta(hours=5))
        at += timedelta(hours=6)
    elif roll < 0.12:  # a senior's view asked for; recent ones are still waiting
        triage.triage_referral(session, team.booking, referral, referral.version, script, [], "escalate",
                               reason_text="Demo: complex needs, senior view wanted", now=at)
        if age < timedelta(days=5):
            return
        _accept_and_book(session, rng, referral, team, script, at + timedelta(days=1), now, triaged_by=team.senior)
        return
    if referral.id % FLAGS_CORRECTED_EVERY == 0 and "carer" not in referral.flags:
        triage_flags.correct_flags(session, team.booking, referral, referral.version, [*referral.flags, "carer"],
                                   "Demo: the booking script found caring duties the referral did not mention",
                                   now=at)
    _accept_and_book(session, rng, referral, team, script, at, now)


def _reject(session: Session, rng: random.Random, referral, team: Team, script, at: datetime, now: datetime):
    """Rejected; a flagged referral's proposed rejection waits for a senior, who decided all but this week's."""
    triage.triage_referral(session, team.clinician, referral, referral.version, script, [], "reject",
                           reason_code=rng.choice(list(triage.REJECTION_CODES)),
                           reason_text="Demo: criteria not met", now=at)
    if referral.state == "rejection_review" and now - at > PENDING:
        uphold = rng.random() < 0.5
        discharge.decide_review(session, team.senior, reviews.pending_review(session, referral.id), referral.version,
                                discharge.Decision("approved" if uphold else "continue",
                                                   "Demo: senior reviewed the proposed rejection",
                                                   plan=None if uphold else "Demo: triage again with notes"),
                                now=at + timedelta(hours=4))
        if not uphold:
            _accept_and_book(session, rng, referral, team, script, at + timedelta(hours=5), now)


def _accept_and_book(session, rng, referral, team: Team, script, at: datetime, now: datetime,
                     triaged_by: Actor | None = None) -> None:
    """Booking staff (or the senior a referral was escalated to) triage and book; a clinician records adjustments
    asked for later, and what happened."""
    chosen = triage.suggest_adjustments(script)
    triage.triage_referral(session, triaged_by or team.booking, referral, referral.version, script, chosen, "accept",
                           now=at)
    if rng.random() < 0.04:  # recorded on request, with a short review period: some are now overdue for review
        item = adjustments.record_adjustment(session, team.clinician, referral.patient, adjustments.AdjustmentDetails(
            category="information_format", description="Large print letters", consent_basis="patient",
            review_date=at.date() + timedelta(days=90)), "patient_request", now=at)
        if rng.random() < 0.3 and at + timedelta(days=30) < now:
            adjustments.end_adjustment(session, team.clinician, item, item.version, "Demo: now prefers email",
                                       now=at + timedelta(days=30))
    starts = (at + timedelta(days=rng.randint(3, 21))).replace(hour=rng.choice([9, 10, 11, 14, 15, 18]), minute=0)
    fmt = "telephone_interpreter" if script.interpreter_needed else rng.choice(["clinic", "telephone", "home_visit"])
    _appointment(session, rng, referral, team, starts, fmt, at, now)


def _appointment(session, rng, referral, team: Team, starts: datetime, fmt: str, at: datetime, now: datetime,
                 follow_ups: int = 1) -> None:
    """Book; a few are moved before the day; then what happened, if the day has passed: seen (the episode of care
    follows), missed (the graded response), or cancelled or arrived too late to be seen (booked again)."""
    place = "Demo Community Clinic" if fmt in ("clinic", "community_venue") else None
    appointment = appointments.book_appointment(session, team.booking, referral, referral.version, starts, fmt, place,
                                                now=at)
    if rng.random() < 0.05 and at + timedelta(days=1) < min(now, starts):
        starts += timedelta(days=7)
        appointments.rebook_appointment(session, team.booking, appointment, appointment.version, starts, fmt, place,
                                        notes="Demo: the patient asked for a later date", now=at + timedelta(days=1))
    if starts >= now:
        return
    outcome = rng.choices(["attended", "attended_late", "late_not_seen", "dna", "cancelled_patient",
                           "cancelled_service"], [75, 4, 1, 12, 5, 3])[0]
    record_outcome(session, rng, team.clinician, referral, appointment, outcome, starts + timedelta(hours=1))
    if outcome in appointments.SEEN:
        episode(session, rng, referral, team, starts, now)
    elif outcome == "dna":
        _graded_response(session, rng, referral, team, starts + timedelta(days=1), now)
    elif follow_ups and starts + timedelta(days=1) < now:
        booked_at = starts + timedelta(days=1)
        _appointment(session, rng, referral, team, booked_at + timedelta(days=rng.randint(3, 14)), fmt, booked_at, now,
                     follow_ups - 1)


def episode(session, rng, referral, team: Team, seen: datetime, now: datetime) -> None:
    """Treatment lasts weeks to months after the first contact; then discharge is requested and a senior decides
    (continuing a few); requests this week still wait. Some discharged patients are referred again."""
    if referral.state != "in_treatment" or referral.senior_review_flagged_at:  # on the senior review list instead
        return
    ends = seen + timedelta(days=rng.choice([14, 21, 28, 42, 56, 84, 120, 180]))
    if ends > now:
        return
    reason = rng.choices(["treatment_complete", "patient_choice", "moved_away"], [85, 10, 5])[0]
    review = discharge.request_discharge(session, team.clinician, referral, referral.version, reason,
                                         "Demo: the goals agreed at the first contact are met", now=ends)
    decided = ends + timedelta(days=rng.randint(1, 4))
    if decided > now:
        return
    if rng.random() < 0.06:
        discharge.decide_review(session, team.senior, review, referral.version, discharge.Decision(
            "continue", "Demo: one more review of the exercise plan", plan="Demo: telephone review in four weeks"),
            now=decided)
        return
    discharge.decide_review(session, team.senior, review, referral.version,
                            discharge.Decision("approved", "Demo: discharge agreed; the GP is informed"), now=decided)
    again = decided + timedelta(days=rng.randint(20, 120))
    if rng.random() < 0.05 and again < now - BACKLOG:
        details = referral_details(rng, again)
        raw = {"pathway": details.pathway_code, "referrer_name": details.referrer_name,
               "referrer_organisation": details.referrer_organisation, "referrer_contact": details.referrer_contact,
               "received_at": again.astimezone(LONDON).strftime("%Y-%m-%d %H:%M"),
               "reason": "Synthetic demo re-referral: symptoms returned", "urgency": details.urgency,
               "duplicate_reason": "Synthetic demo: a second problem"}  # used only if another is open there
        new = intake.re_refer(session, team.booking, referral, raw, now=again)
        referral_history(session, rng, new, team, now)


#: barrier found -> the adjustment that addresses it
BARRIER_ADJUSTMENTS = {
    "childcare": ("timing", "Appointments in school hours or the evening"),
    "work": ("timing", "Evening appointments"),
    "transport_cost": ("environment_access", "Appointments at the community venue near home"),
    "language": ("communication_support", "Interpreter for every contact"),
    "cognition": ("support_person", "Carer present, with a reminder call the day before"),
    "digital_access": ("information_format", "Letters by post, not email"),
    "safety": ("other", "Do not visit at home; meet at the community venue"),
}


def deliveries(rng: random.Random, referral, outcome: str) -> dict[int, tuple[bool, str | None]]:
    """Each adjustment due at an appointment that took place, marked met (mostly) or not met."""
    due = adjustments.applicable_at_appointments(referral.patient) if outcome in appointments.TOOK_PLACE else []
    return {a.id: (True, None) if rng.random() < 0.85 else (False, "Demo: could not be arranged in time") for a in due}


def record_outcome(session, rng, actor, referral, appointment, outcome: str, at: datetime) -> None:
    """Record an outcome, with the adjustments delivered."""
    reason = {"cancelled_patient": "Demo: patient unwell", "cancelled_service": "Demo: clinician off sick"}
    appointments.record_outcome(session, actor, appointment, appointment.version, outcome, reason.get(outcome),
                                now=at, deliveries=deliveries(rng, referral, outcome))


def _graded_response(session, rng, referral, team: Team, at: datetime, now: datetime) -> None:
    """Work the barrier check a missed appointment opened: booking staff try to reach the patient and note the
    barriers; a clinician answers the safeguarding question and completes most, which rebook; this week's and a
    few others are still being worked."""
    check = dna.open_check_for(session, referral.id)
    if check is None or at > now:
        return
    if now - at < PENDING or rng.random() < 0.1:  # still being worked: attempts so far
        for i in range(rng.randint(0, 2)):
            dna.log_attempt(session, team.booking, check, "telephone", False, "Demo: no answer",
                            now=at + timedelta(hours=i))
        return
    if rng.random() < 0.06:  # three calls unanswered: the senior review list
        not_reached(session, team.booking, team.clinician, check, at)
        return
    found = rng.sample(sorted(BARRIER_ADJUSTMENTS), k=rng.randint(1, 2))
    dna.save_barriers(session, team.booking, check, check.version, found, None, None, now=at)
    dna.log_attempt(session, team.booking, check, "telephone", True, "Demo: spoke to the patient", now=at)
    if check.was_not_brought:
        dna.save_barriers(session, team.clinician, check, check.version, found, None, "no_concern", now=at)
    category, description = BARRIER_ADJUSTMENTS[found[0]]
    alternative = {"childcare": "evening", "work": "evening", "transport_cost": "community_venue",
                   "language": "telephone_interpreter", "digital_access": "telephone"}.get(found[0])
    # by turns rather than by chance, so that a small demo has each outcome too
    outcome = {3: "alternative_offered", 7: "declined"}.get(check.id % 10, "rebooked")
    if outcome == "alternative_offered":
        alternative = alternative or "telephone"
    dna.complete_barrier_check(session, team.clinician, check, check.version, outcome, alternative,
                               adjustments.AdjustmentDetails(category=category, description=description,
                                                             consent_basis="patient"), now=at)
    rebook_at = at + timedelta(days=rng.choice([1, 2, 5, 9, 20]))  # mostly within 14 days of the DNA
    if outcome == "declined" or rebook_at > now:
        return
    starts = (rebook_at + timedelta(days=rng.randint(2, 10))).replace(hour=18 if alternative == "evening" else 10)
    fmt = {"evening": "clinic", "community_venue": "community_venue"}.get(alternative, alternative or "telephone")
    _appointment(session, rng, referral, team, starts, fmt, rebook_at, now, follow_ups=0)


def not_reached(session: Session, booking, clinician, check, at: datetime) -> None:
    """Booking staff call three times unanswered; a clinician completes the check as not reached (a senior then
    decides on discharge)."""
    if check is None:
        return
    for hour in range(3):
        dna.log_attempt(session, booking, check, "telephone", False, "Demo: no answer", now=at + timedelta(hours=hour))
    dna.save_barriers(session, clinician, check, check.version, [], None,
                      "no_concern" if check.was_not_brought else None, now=at + timedelta(hours=3))
    dna.complete_barrier_check(session, clinician, check, check.version, "not_reached", now=at + timedelta(hours=3))
