"""The graded response to a missed appointment: a barrier check, never an automatic discharge."""
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from inclusive_access.domain import (
    actions,
    adjustments,
    clocks,
    events,
    locking,
    reviews,
    safeguarding,
    submissions,
    worklists,
)
from inclusive_access.domain.access import BOOKING_WORK, CLINICAL_JUDGEMENT, require_role
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.errors import InvalidInput, StaleRecord
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import (
    Appointment,
    BarrierCheck,
    BarrierContactAttempt,
    Patient,
    Referral,
    SafeguardingConcern,
)

BARRIERS = {"transport_cost": "Transport cost", "safety": "Safety", "childcare": "Childcare", "work": "Work",
            "language": "Language", "cognition": "Cognition or memory", "digital_access": "Digital access",
            "other": "Other"}
ATTEMPT_METHODS = {"telephone": "Telephone", "text": "Text message", "letter": "Letter", "email": "Email",
                   "home_visit": "Home visit"}
SAFEGUARDING = {"no_concern": "No safeguarding concern", "concern_raised": "Concern raised",
                "follow_up_planned": "Follow-up planned"}
OUTCOMES = {"rebooked": "Rebooked", "alternative_offered": "Alternative format offered, not yet rebooked",
            "declined": "Patient declined further contact", "not_reached": "Not reached"}
ALTERNATIVES = {"telephone": "Telephone", "telephone_interpreter": "Telephone with interpreter", "video": "Video",
                "home_visit": "Home visit", "community_venue": "Community venue", "evening": "Evening slot"}
#: the "was not brought" safeguarding answer is a safeguarding judgement: booking staff record barriers only
SAFEGUARDING_ANSWER_ROLES = CLINICAL_JUDGEMENT
#: what is left when the answer is "Concern raised" but no concern is on the safeguarding route
LEFT_RAISE_CONCERN = "Raise the safeguarding concern on the safeguarding route"
#: unreached attempts that put a referral on the senior review list
UNREACHED_ATTEMPTS_FOR_REVIEW = 3


def answers_safeguarding(role: str | None) -> bool:
    """Whether this role gives the "was not brought" safeguarding answer (booking staff record barriers only)."""
    return role in SAFEGUARDING_ANSWER_ROLES


def depends_on_others(patient: Patient, on: date) -> bool:
    """A child, or an adult who depends on someone else to attend: a missed appointment is "was not brought"."""
    age = on.year - patient.date_of_birth.year - ((on.month, on.day) < (patient.date_of_birth.month,
                                                                        patient.date_of_birth.day))
    return (age < 18 or bool(patient.learning_disability) or bool(patient.cognitive_impairment)
            or any(a.category == "support_person" for a in patient.active_adjustments))


def flag_for_senior_review(session: Session, actor: Actor, referral: Referral, reason: str, now: datetime) -> None:
    """Put the referral on the senior review list (once: the first reason stands until a senior decides)."""
    if referral.senior_review_flagged_at is not None or reviews.pending_review(session, referral.id) is not None:
        return
    referral.senior_review_reason, referral.senior_review_flagged_at = reason, now
    review = reviews.open_review(session, actor, referral, "attendance", "non_attendance", reason, now)
    events.record(session, actor, actions.SENIOR_REVIEW_FLAGGED, "referral", referral.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"reason": reason, "review_id": review.id})


def open_barrier_check(session: Session, actor: Actor, appointment: Appointment, referral: Referral,
                       now: datetime) -> BarrierCheck:
    """Called by appointments.record_outcome for every DNA, in the same transaction."""
    patient = session.get(Patient, referral.patient_id)
    check = BarrierCheck(referral_id=referral.id, appointment_id=appointment.id, opened_at=now,
                         missed_at=appointment.starts_at,
                         was_not_brought=depends_on_others(patient, appointment.starts_at.astimezone(LONDON).date()))
    session.add(check)
    session.flush()
    events.record(session, actor, actions.BARRIER_CHECK_OPENED, "barrier_check", check.id,
                  patient_id=referral.patient_id, referral_id=referral.id, now=now,
                  data={"appointment_id": appointment.id, "was_not_brought": check.was_not_brought})
    dnas = session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.referral_id == referral.id, Appointment.status == "dna"))
    if dnas >= 2:
        flag_for_senior_review(session, actor, referral, f"{dnas} missed appointments", now)
    return check


def open_check_for(session: Session, referral_id: int) -> BarrierCheck | None:
    return session.scalar(select(BarrierCheck).where(BarrierCheck.referral_id == referral_id,
                                                     BarrierCheck.completed_at.is_(None)))


def latest_completed_check(session: Session, referral_id: int) -> BarrierCheck | None:
    """The most recent completed check still waiting for its rebooking to be linked."""
    return session.scalar(select(BarrierCheck).where(
        BarrierCheck.referral_id == referral_id, BarrierCheck.completed_at.is_not(None),
        BarrierCheck.rebooked_appointment_id.is_(None)).order_by(BarrierCheck.completed_at.desc()).limit(1))


def checks_by_appointment(session: Session, referral_id: int) -> dict[int, BarrierCheck]:
    """The barrier check each missed appointment opened, for the appointment list."""
    return {c.appointment_id: c for c in session.scalars(
        select(BarrierCheck).where(BarrierCheck.referral_id == referral_id))}


def _editable(check: BarrierCheck, seen_version: int) -> None:
    if check.completed_at is not None:
        raise InvalidInput({"outcome": "This barrier check is already complete"})
    if seen_version != check.version:
        raise StaleRecord("This barrier check changed since you opened it.")


def concern_for(session: Session, check: BarrierCheck) -> SafeguardingConcern | None:
    """The concern on the safeguarding route that a "Concern raised" answer stands for: one raised on the referral
    since the check opened, or one still open on it (the route already holds it)."""
    return session.scalar(select(SafeguardingConcern).where(
        SafeguardingConcern.referral_id == check.referral_id,
        or_(SafeguardingConcern.raised_at >= check.opened_at, SafeguardingConcern.status == "open"))
        .order_by(SafeguardingConcern.raised_at.desc(), SafeguardingConcern.id.desc()).limit(1))


def _concern_errors(concern: safeguarding.ConcernDetails) -> dict[str, str]:
    """The concern's own messages, under the names its fields have on the barrier check."""
    return {f"concern_{'text' if name == 'concern' else name}": message for name, message in concern.errors().items()}


def save_barriers(session: Session, actor: Actor, check: BarrierCheck, seen_version: int, barriers: list[str],
                  other: str | None, safeguarding_answer: str | None,
                  concern: safeguarding.ConcernDetails | None = None, now: datetime | None = None) -> None:
    """Save the barriers found (and the safeguarding answer) as the user goes: nothing is lost on leaving.

    "Concern raised" is never just a word on the check: the concern described with it is raised on the
    safeguarding route in the same transaction, unless one raised since the check opened (or still open) is there.
    """
    require_role(actor, BOOKING_WORK)
    if safeguarding_answer is not None or concern is not None:
        require_role(actor, SAFEGUARDING_ANSWER_ROLES)
    now = now or datetime.now(UTC)
    _editable(check, seen_version)
    answer = safeguarding_answer or check.safeguarding
    errors = {}
    if any(b not in BARRIERS for b in barriers):
        errors["barriers"] = "Select barriers from the list"
    if "other" in barriers and not other:
        errors["other_barrier"] = "Describe the other barrier"
    if safeguarding_answer is not None and safeguarding_answer not in SAFEGUARDING:
        errors["safeguarding"] = "Select an answer to the safeguarding question"
    elif concern is not None and answer != "concern_raised":
        errors["safeguarding"] = 'Select "Concern raised" to raise the concern you described'
    linked = concern_for(session, check) if answer == "concern_raised" and concern is None else None
    if answer == "concern_raised" and linked is None:
        errors.update(_concern_errors(concern or safeguarding.ConcernDetails("", "")))
    if errors:
        raise InvalidInput(errors)
    if concern is not None:
        linked = safeguarding.raise_concern(session, actor, check.referral, concern, now=now)
    check.barriers, check.other_barrier = sorted(set(barriers)), other if "other" in barriers else None
    check.safeguarding = answer
    locking.flush(session, "barrier check")
    events.record(session, actor, actions.BARRIER_CHECK_UPDATED, "barrier_check", check.id,
                  patient_id=check.referral.patient_id, referral_id=check.referral_id, now=now,
                  data={"barriers": check.barriers, "other": check.other_barrier, "safeguarding": check.safeguarding,
                        "concern_id": linked.id if linked else None})


def log_attempt(session: Session, actor: Actor, check: BarrierCheck, method: str, reached: bool,
                note: str | None, submission_token: str | None = None,
                now: datetime | None = None) -> BarrierContactAttempt:
    """Log a try to reach the patient; three unreached tries put the referral on the senior review list."""
    require_role(actor, BOOKING_WORK)
    now = now or datetime.now(UTC)
    submissions.refuse_repeat(session, BarrierContactAttempt, submission_token)
    if check.completed_at is not None:
        raise InvalidInput({"method": "This barrier check is already complete"})
    if method not in ATTEMPT_METHODS:
        raise InvalidInput({"method": "Select how you tried to contact the patient"})
    attempt = BarrierContactAttempt(barrier_check_id=check.id, attempted_at=now, method=method, reached=reached,
                                    note=note, recorded_by=actor.user_id, submission_token=submission_token)
    session.add(attempt)
    session.flush()
    session.refresh(check, ["attempts"])
    events.record(session, actor, actions.BARRIER_CHECK_ATTEMPTED, "barrier_check", check.id,
                  patient_id=check.referral.patient_id, referral_id=check.referral_id, now=now,
                  data={"method": method, "reached": reached, "note": note})
    if not any(a.reached for a in check.attempts) and len(check.attempts) >= UNREACHED_ATTEMPTS_FOR_REVIEW:
        flag_for_senior_review(session, actor, check.referral,
                               f"Not reached after {len(check.attempts)} contact attempts", now)
    return attempt


def remaining(session: Session, check: BarrierCheck) -> list[str]:
    """What is left before the check can be completed, in words for the page."""
    left = []
    if check.barriers is None:
        left.append("Record the barriers found (or none)")
    if not check.attempts:
        left.append("Log at least one contact attempt")
    if check.was_not_brought and not check.safeguarding:
        left.append("Answer the safeguarding question (was not brought)")
    if check.safeguarding == "concern_raised" and concern_for(session, check) is None:
        left.append(LEFT_RAISE_CONCERN)
    if check.outcome is None:
        left.append("Record the outcome")
    return left


def complete_barrier_check(session: Session, actor: Actor, check: BarrierCheck, seen_version: int, outcome: str,
                           alternative_format: str | None = None,
                           adjustment: adjustments.AdjustmentDetails | None = None,
                           now: datetime | None = None) -> None:
    """Record the outcome. A "was not brought" check needs the safeguarding answer first, and "Concern raised"
    its concern on the safeguarding route.

    Rebooking itself is a booking (appointments.book_appointment), allowed once the check is complete;
    `link_rebooking` then records which appointment it was.
    """
    require_role(actor, CLINICAL_JUDGEMENT)
    now = now or datetime.now(UTC)
    _editable(check, seen_version)
    errors = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "Select the outcome"
    if alternative_format is not None and alternative_format not in ALTERNATIVES:
        errors["alternative_format"] = "Select the alternative offered"
    if outcome == "alternative_offered" and not alternative_format:
        errors["alternative_format"] = "Select which alternative was offered"
    if check.was_not_brought and not check.safeguarding:
        errors["safeguarding"] = "Answer the safeguarding question: this patient was not brought"
    linked = concern_for(session, check) if check.safeguarding == "concern_raised" else None
    if check.safeguarding == "concern_raised" and linked is None:
        errors["concern_text"] = LEFT_RAISE_CONCERN
    if not check.attempts and outcome != "rebooked":
        errors["method"] = "Log the attempts to reach the patient first"
    if errors:
        raise InvalidInput(errors)
    if adjustment is not None:
        patient = session.get(Patient, check.referral.patient_id)
        check.adjustment_id = adjustments.record_adjustment(session, actor, patient, adjustment, "barrier_check",
                                                            now=now).id
    check.outcome, check.alternative_format = outcome, alternative_format
    check.completed_at, check.completed_by = now, actor.user_id
    locking.flush(session, "barrier check")
    events.record(session, actor, actions.BARRIER_CHECK_COMPLETED, "barrier_check", check.id,
                  patient_id=check.referral.patient_id, referral_id=check.referral_id, now=now,
                  data={"outcome": outcome, "alternative_format": alternative_format, "barriers": check.barriers,
                        "adjustment_id": check.adjustment_id, "safeguarding": check.safeguarding,
                        "concern_id": linked.id if linked else None})


def link_rebooking(check: BarrierCheck, appointment: Appointment) -> None:
    """Remember the first appointment booked after a completed check (the 14-day measure reads it)."""
    if check.rebooked_appointment_id is None:
        check.rebooked_appointment_id = appointment.id


def rebooking_of(session: Session, check: BarrierCheck) -> Appointment | None:
    """The first appointment booked since the missed one that starts after it, as the 14-day measure counts it
    (fact_projection._rebooking): whether booked once the check was done or, for urgent need, past it."""
    return session.scalar(select(Appointment).where(
        Appointment.referral_id == check.referral_id, Appointment.booked_at >= check.missed_at,
        Appointment.starts_at > check.missed_at).order_by(Appointment.booked_at, Appointment.id).limit(1))


def rebooking_status(check: BarrierCheck, rebooked: Appointment | None, now: datetime,
                     policy: Policy = DEFAULT_POLICY) -> dict:
    """The 14-day deadline from the missed appointment, and whether a new booking met it."""
    deadline = clocks.rebooking_due(check.missed_at, policy.clocks)
    if rebooked is not None:
        return {"deadline": deadline, "met": rebooked.booked_at <= deadline, "booked_at": rebooked.booked_at}
    return {"deadline": deadline, "met": False if now > deadline else None, "booked_at": None}


def _open():
    return select(BarrierCheck).where(BarrierCheck.completed_at.is_(None))


def barrier_worklist(session: Session, now: datetime, page: int = 1, per_page: int = worklists.PER_PAGE,
                     policy: Policy = DEFAULT_POLICY) -> worklists.WorklistPage:
    """Open barrier checks by their rebooking deadline (14 days after the missed appointment): overdue, due
    today, then later. Reads ix_barrier_checks_open_by_missed (completed_at, missed_at)."""
    lead = timedelta(days=policy.clocks.rebooking_days)
    order = (BarrierCheck.missed_at, BarrierCheck.id)
    return worklists.page_of(session, _open(), BarrierCheck.missed_at, lead, order, now, page, per_page)


def count_open(session: Session) -> int:
    return worklists.count(session, _open())
