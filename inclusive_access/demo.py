"""Synthetic demo data: clearly fake people, NHS numbers from the 999 test range, made through the domain."""
import random
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import nhs_number
from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.domain import (
    accounts,
    adjustments,
    appointments,
    audit_findings,
    audit_sampling,
    clarification,
    discharge,
    dna,
    intake,
    reviews,
    safeguarding,
    triage,
    validation,
)
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.equity import COMMUNICATION_NEEDS
from inclusive_access.models import ROLES, Appointment, Clarification, Referral

GIVEN = ["Amira", "Ben", "Chloe", "Dev", "Efua", "Farah", "George", "Hana", "Ivan", "Jia", "Kwame", "Leah",
         "Mohammed", "Niamh", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tomasz", "Uma", "Victor", "Wen",
         "Yusuf", "Zofia", "Aisha", "Callum", "Deepa", "Eilidh", "Femi"]
# Invented surnames that read as test records at a glance.
FAMILY = ["Testwood", "Sampleton", "Mockford", "Fakenham-Demo", "Dummybrook", "Placeholm", "Examplewell",
          "Specimore", "Trialby", "Pretendale", "Synthwick", "Notreal", "Madeupson", "Fictonby"]
LANGUAGES = ["Polish", "Urdu", "Bengali", "Arabic", "Romanian", "Somali", "Portuguese", "Tigrinya",
             "British Sign Language", "Punjabi"]
ORGS = ["Riverside Surgery (demo)", "Northgate Medical Centre (demo)", "City General Hospital (demo)",
        "Adult Social Care (demo)", "Community Mental Health Hub (demo)"]
PATHWAYS = ["frailty", "msk", "mental_health"]
ETHNIC_WEIGHTS = {"A": 60, "B": 2, "C": 6, "D": 1, "E": 1, "F": 1, "G": 1, "H": 3, "J": 4, "K": 2, "L": 2,
                  "M": 2, "N": 4, "P": 1, "R": 1, "S": 2, "Z": 3, "99": 4}
HOUSING_WEIGHTS = {"settled": 85, "temporary": 4, "at_risk_eviction": 3, "no_fixed_abode": 2,
                   "rough_sleeping": 1, "not_known": 5}


INWARD = "ABDEFGHJLNPQRSTUWXYZ"


def username_for(role: str) -> str:
    return f"demo.{role}"


def _tri(rng: random.Random, p_yes: float, p_unknown: float = 0.1) -> bool | None:
    roll = rng.random()
    return None if roll < p_unknown else roll < p_unknown + p_yes


def _patient(rng: random.Random, number: str, today: date) -> intake.PatientDetails:
    decile = None if rng.random() < 0.08 else rng.choices(range(1, 11), weights=[14, 13, 12, 11, 10, 9, 9, 8, 7, 7])[0]
    language = rng.choice(LANGUAGES) if rng.random() < 0.12 else ("English" if rng.random() < 0.9 else None)
    needs = rng.sample(sorted(COMMUNICATION_NEEDS), k=1) if rng.random() < 0.08 else []
    return intake.PatientDetails(
        nhs_number=number, given_name=rng.choice(GIVEN), family_name=rng.choice(FAMILY),
        date_of_birth=today - timedelta(days=rng.randint(18 * 365, 98 * 365)),
        sex=rng.choices(["female", "male", "indeterminate", "not_stated", "not_known"], [50, 46, 1, 2, 1])[0],
        # ZZ99 is the NHS pseudo-postcode area: no real address has it.
        postcode=f"ZZ99 {rng.randint(1, 9)}{rng.choice(INWARD)}{rng.choice(INWARD)}",
        imd_decile=decile, imd_index=None if decile is None else rng.choices(["IoD2025", "IoD2019"], [85, 15])[0],
        ethnic_category=rng.choices(list(ETHNIC_WEIGHTS), list(ETHNIC_WEIGHTS.values()))[0],
        preferred_language=language,
        interpreter_needed=(language not in (None, "English") and rng.random() < 0.7) or (False if language else None),
        communication_needs=needs,
        housing_status=rng.choices(list(HOUSING_WEIGHTS), list(HOUSING_WEIGHTS.values()))[0],
        learning_disability=_tri(rng, 0.04), cognitive_impairment=_tri(rng, 0.10),
        caring_responsibilities=_tri(rng, 0.12),
    )


def synthetic_nhs_numbers(rng: random.Random, quantity: int) -> list[str]:
    """Distinct valid NHS numbers from the 999 test range (the library's "synthetic" region is all of 9xx)."""
    numbers: dict[str, None] = {}
    while len(numbers) < quantity:
        stem = f"999{rng.randrange(1_000_000):06d}"
        check = nhs_number.calculate_checksum(stem)
        if check < 10:  # 10 means no valid check digit exists for this stem
            numbers[stem + str(check)] = None
    return list(numbers)


def load(session: Session, patients: int, referrals: int, seed: int,
         progress: Callable[[int], None] | None = None) -> str:
    """Demo users (one per role, sharing a random password, returned) and patients with referrals."""
    rng = random.Random(seed)
    password = secrets.token_urlsafe(12)
    users = {role: accounts.create_user(session, SYSTEM, username_for(role), f"Demo {role.capitalize()} User",
                                        role, password) for role in ROLES}
    intake_actors = [actor_for(users[r]) for r in ("booking", "booking", "clinician", "senior")]
    now = datetime.now(UTC)
    numbers = synthetic_nhs_numbers(rng, patients)
    people = [_patient(rng, n, now.date()) for n in numbers]
    # Every patient gets one referral; the rest go to patients picked at random (re-referrals).
    owners = list(range(patients)) + [rng.randrange(patients) for _ in range(max(0, referrals - patients))]
    received = sorted(now - timedelta(minutes=rng.randint(30, 365 * 24 * 60)) for _ in owners)
    rng.shuffle(owners)
    for owner, at in zip(owners, received, strict=True):
        details = intake.ReferralDetails(
            pathway_code=rng.choices(PATHWAYS, [40, 35, 25])[0],
            referrer_name=f"Dr {rng.choice(FAMILY)}", referrer_organisation=rng.choice(ORGS),
            referrer_contact=f"0113 496 {rng.randint(0, 9999):04d}",  # Ofcom drama range: never a real line
            received_at=at, reason="Synthetic demo referral: " + rng.choice(
                ["falls at home", "reduced mobility after discharge", "low mood and isolation",
                 "knee pain limiting work", "memory concerns", "back pain", "anxiety"]),
            urgency=rng.choices(["routine", "urgent"], [80, 20])[0], external_ref=None)
        # used only when the patient is still open on the pathway: staff confirm a second referral there
        referral, _linked = intake.receive_referral(session, rng.choice(intake_actors), people[owner], details,
                                                    now=at, duplicate_reason="Synthetic demo: a second problem")
        _progress_triage(session, rng, referral, actor_for(users["booking"]), actor_for(users["clinician"]),
                         actor_for(users["senior"]), now)
        if progress:
            progress(1)
    _senior_reviews(session, rng, actor_for(users["clinician"]), actor_for(users["senior"]), now)
    _audit_sample(session, rng, actor_for(users["auditor"]), now)
    return password


def _audit_sample(session: Session, rng: random.Random, auditor, now: datetime) -> None:
    """A stratified sample of the year's adjustments, half of it judged, one finding revised."""
    this_month = now.astimezone(validation.LONDON).strftime("%Y-%m")
    year_ago = (now - timedelta(days=330)).astimezone(validation.LONDON).strftime("%Y-%m")
    sample = audit_sampling.draw_sample(session, auditor, audit_sampling.SampleRequest(
        "adjustment", year_ago, this_month, 12, rng.randrange(audit_sampling.PRIME), stratify_by="imd_quintile",
        allocation="proportional"), now=now)
    items = list(audit_findings.CHECKLISTS["adjustment"])
    for record in sample.records[:len(sample.records) // 2]:
        answers = {item: rng.choices(list(audit_findings.ANSWERS), [70, 15, 10, 5])[0] for item in items}
        audit_findings.record_finding(session, auditor, record, audit_findings.FindingDetails(
            answers, note="Demo finding"), None, now=now)
    if sample.records:
        first = sample.records[0]
        audit_findings.record_finding(session, auditor, first, audit_findings.FindingDetails(
            dict.fromkeys(items, "compliant"), note="Demo finding, revised", reason="Banner checked again"), 1,
            now=now)


SCRIPT = triage.BookingScript(contact_method="telephone", contact_times="mornings", safe_to_leave_message=True,
                              interpreter_needed=False, language="", communication_needs="", mobility="none",
                              caring_or_work="", digital_access="phone_only")


def _progress_triage(session: Session, rng: random.Random, referral, booking, clinician, senior, now: datetime):
    """Move older referrals through triage so every state, and some overdue work, appears in the demo."""
    age = now - referral.received_at
    script = SCRIPT
    if age < timedelta(days=2) or rng.random() < 0.03:
        if rng.random() < 0.3:  # an open clarification; those over 24 hours old are overdue
            triage.triage_referral(session, booking, referral, referral.version, script, [], "clarify",
                                   now=min(now, referral.received_at + timedelta(minutes=20)),
                                   clarify={"question": "Demo: what is the main goal of this referral?",
                                            "channel": rng.choice(list(clarification.CHANNELS)),
                                            "contact_name": referral.referrer_name})
        return  # otherwise still awaiting triage (some of these are overdue)
    at = referral.received_at + timedelta(hours=rng.randint(1, 20))
    roll = rng.random()
    if "language" in referral.flags:
        script = triage.BookingScript(**{**SCRIPT.as_dict(), "interpreter_needed": True,
                                         "language": referral.patient.preferred_language or "Polish"})
    if roll < 0.06:
        triage.triage_referral(session, clinician, referral, referral.version, script, [], "reject",
                               reason_code=rng.choice(list(triage.REJECTION_CODES)),
                               reason_text="Demo: criteria not met", now=at)
        if referral.state == "rejection_review" and rng.random() < 0.6:
            uphold = rng.random() < 0.5
            discharge.decide_review(session, senior, reviews.pending_review(session, referral.id), referral.version,
                                    discharge.Decision("approved" if uphold else "continue",
                                                       "Demo: senior reviewed the proposed rejection",
                                                       plan=None if uphold else "Demo: triage again with notes"),
                                    now=at + timedelta(hours=4))
        return
    if roll < 0.10:
        triage.triage_referral(session, booking, referral, referral.version, script, [], "clarify", now=at,
                               clarify={"question": "Demo: please confirm current medication and mobility",
                                        "channel": "telephone", "contact_name": referral.referrer_name})
        item = session.scalars(select(Clarification).where(Clarification.referral_id == referral.id)).one()
        if age > timedelta(days=3) or rng.random() < 0.3:
            clarification.log_attempt(session, booking, item, "telephone", True, None, now=at + timedelta(hours=3))
            clarification.close_clarification(session, booking, item, item.version, "Demo: details confirmed", None,
                                              now=at + timedelta(hours=5))
            if age > timedelta(days=3):
                _accept_and_book(session, rng, referral, booking, clinician, script, at + timedelta(hours=6), now)
        return
    if roll < 0.12:
        triage.triage_referral(session, booking, referral, referral.version, script, [], "escalate",
                               reason_text="Demo: complex needs, senior view wanted", now=at)
        return
    _accept_and_book(session, rng, referral, booking, clinician, script, at, now)


def _accept_and_book(session, rng, referral, booking, clinician, script, at: datetime, now: datetime) -> None:
    """Booking staff triage and book; a clinician records adjustments asked for later, and what happened."""
    chosen = triage.suggest_adjustments(script)
    triage.triage_referral(session, booking, referral, referral.version, script, chosen, "accept", now=at)
    if rng.random() < 0.04:  # recorded on request, with a short review period: some are now overdue for review
        item = adjustments.record_adjustment(session, clinician, referral.patient, adjustments.AdjustmentDetails(
            category="information_format", description="Large print letters", consent_basis="patient",
            review_date=at.date() + timedelta(days=90)), "patient_request", now=at)
        if rng.random() < 0.3 and at + timedelta(days=30) < now:
            adjustments.end_adjustment(session, clinician, item, item.version, "Demo: now prefers email",
                                       now=at + timedelta(days=30))
    starts = (at + timedelta(days=rng.randint(3, 21))).replace(hour=rng.choice([9, 10, 11, 14, 15, 18]), minute=0)
    fmt = "telephone_interpreter" if script.interpreter_needed else rng.choice(["clinic", "telephone", "home_visit"])
    appointment = appointments.book_appointment(session, booking, referral, referral.version, starts, fmt,
                                                "Demo Community Clinic" if fmt == "clinic" else None, now=at)
    if starts < now:
        outcome = rng.choices(["attended", "dna", "cancelled_patient"], [82, 12, 6])[0]
        _record(session, rng, clinician, referral, appointment, outcome, starts + timedelta(hours=1))
        if outcome == "dna":
            _graded_response(session, rng, referral, booking, clinician, starts + timedelta(days=1), now)


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


def _record(session, rng, actor, referral, appointment, outcome: str, at: datetime) -> None:
    """Record an outcome; each adjustment due at appointments is marked met (mostly) or not met."""
    due = adjustments.applicable_at_appointments(referral.patient) if outcome in ("attended", "dna") else []
    deliveries = {a.id: (True, None) if rng.random() < 0.85 else (False, "Demo: could not be arranged in time")
                  for a in due}
    appointments.record_outcome(session, actor, appointment, appointment.version, outcome,
                                "Demo: patient unwell" if outcome == "cancelled_patient" else None, now=at,
                                deliveries=deliveries)


def _graded_response(session, rng, referral, booking, clinician, at: datetime, now: datetime) -> None:
    """Work the barrier check a missed appointment opened: booking staff try to reach the patient and note the
    barriers; a clinician answers the safeguarding question and completes most, which rebook; some stay open."""
    check = dna.open_check_for(session, referral.id)
    if check is None or at > now:
        return
    if rng.random() < 0.3:  # still being worked: attempts so far, some never reaching the patient
        for i in range(rng.randint(0, 3)):
            dna.log_attempt(session, booking, check, "telephone", False, "Demo: no answer",
                            now=at + timedelta(hours=i))
        return
    found = rng.sample(sorted(BARRIER_ADJUSTMENTS), k=rng.randint(1, 2))
    dna.save_barriers(session, booking, check, check.version, found, None, None, now=at)
    dna.log_attempt(session, booking, check, "telephone", True, "Demo: spoke to the patient", now=at)
    if check.was_not_brought:
        dna.save_barriers(session, clinician, check, check.version, found, None, "no_concern", now=at)
    category, description = BARRIER_ADJUSTMENTS[found[0]]
    alternative = {"childcare": "evening", "work": "evening", "transport_cost": "community_venue",
                   "language": "telephone_interpreter", "digital_access": "telephone"}.get(found[0])
    dna.complete_barrier_check(session, clinician, check, check.version, "rebooked", alternative,
                               adjustments.AdjustmentDetails(category=category, description=description,
                                                             consent_basis="patient"), now=at)
    rebook_at = at + timedelta(days=rng.choice([1, 2, 5, 9, 20]))  # mostly within 14 days of the DNA
    if rebook_at > now:
        return
    starts = rebook_at + timedelta(days=rng.randint(2, 10))
    fmt = {"evening": "clinic", "community_venue": "community_venue"}.get(alternative, alternative or "telephone")
    appointment = appointments.book_appointment(
        session, booking, referral, referral.version, starts.replace(hour=18 if alternative == "evening" else 10),
        fmt, "Demo Community Hub" if fmt in ("clinic", "community_venue") else None, now=rebook_at)
    if appointment.starts_at < now:
        outcome = rng.choices(["attended", "dna"], [85, 15])[0]
        _record(session, rng, clinician, referral, appointment, outcome, appointment.starts_at + timedelta(hours=1))


def _senior_reviews(session: Session, rng: random.Random, clinician, senior, now: datetime) -> None:
    """Discharge requests and senior decisions of every kind, and safeguarding concerns open and closed."""
    treated = session.scalars(select(Referral).where(Referral.state == "in_treatment")
                              .order_by(Referral.received_at)).all()
    quiet = [r for r in treated if not session.scalar(select(Appointment.id).where(
        Appointment.referral_id == r.id, Appointment.status == "booked"))]
    for i, referral in enumerate(quiet[:40]):
        at = now - timedelta(days=rng.randint(1, 60))
        reason = rng.choice(["treatment_complete", "treatment_complete", "patient_choice", "moved_away"])
        review = discharge.request_discharge(session, clinician, referral, referral.version, reason,
                                             "Demo: goals agreed at the first contact are met", now=at)
        if i % 4 == 3:  # some still waiting for a senior
            continue
        if i % 4 == 2:
            decision = discharge.Decision("continue", "Demo: one more review of the exercise plan",
                                          plan="Demo: telephone review in four weeks")
        else:
            decision = discharge.Decision("approved", "Demo: discharge agreed; the GP is informed")
        discharge.decide_review(session, senior, review, referral.version, decision, now=at + timedelta(hours=6))
    flagged = session.scalars(select(Referral).where(Referral.senior_review_flagged_at.is_not(None))
                              .order_by(Referral.senior_review_flagged_at)).all()
    choices = ["continue", "safeguarding", "approved", None]  # None: left pending
    for i, referral in enumerate(flagged):
        choice = choices[i % len(choices)]
        at = min(referral.senior_review_flagged_at + timedelta(days=2), now)
        if choice == "approved":
            _not_reached(session, clinician, dna.open_check_for(session, referral.id), at - timedelta(days=1))
        if choice is None or (choice == "approved" and discharge.discharge_blocks(session, referral)):
            continue
        review = reviews.pending_review(session, referral.id)
        decision = discharge.Decision(
            choice, "Demo: barrier checks done, reviewed with the patient's GP",
            plan=None if choice == "approved" else "Demo: home visit with a carer present",
            concern=safeguarding.ConcernDetails("lost_contact", "Demo: not reached after repeated missed visits")
            if choice == "safeguarding" else None)
        discharge.decide_review(session, senior, review, referral.version, decision, now=at)
    active = session.scalars(select(Referral).where(Referral.state.in_(("accepted", "in_treatment")))
                             .order_by(Referral.received_at.desc()).limit(12)).all()
    for i, referral in enumerate(active):
        at = now - timedelta(days=rng.randint(2, 30))
        concern = safeguarding.raise_concern(
            session, clinician, referral, safeguarding.ConcernDetails(
                rng.choice(["self_neglect", "exploitation_risk", "domestic_abuse", "other"]),
                "Demo: concern noticed at a home visit"), now=at)
        if i % 2:
            safeguarding.route_concern(session, clinician, concern, concern.version, "Demo adult safeguarding hub",
                                       (at + timedelta(days=1)).date(), f"DEMO-{concern.id:04d}",
                                       now=at + timedelta(days=1))
            safeguarding.record_action(session, clinician, concern, "Demo: strategy discussion held",
                                       now=at + timedelta(days=1, hours=2))
        if i % 3 == 0:
            safeguarding.close_concern(session, senior, concern, concern.version, "Demo: support plan in place",
                                       "Demo: closed after multi-agency review", now=at + timedelta(days=2))


def _not_reached(session: Session, actor, check, at: datetime) -> None:
    """Close an open barrier check after three unanswered calls (the review then decides on discharge)."""
    if check is None:
        return
    for hour in range(3):
        dna.log_attempt(session, actor, check, "telephone", False, "Demo: no answer", now=at + timedelta(hours=hour))
    dna.save_barriers(session, actor, check, check.version, [], None,
                      "no_concern" if check.was_not_brought else None, now=at + timedelta(hours=3))
    dna.complete_barrier_check(session, actor, check, check.version, "not_reached", now=at + timedelta(hours=3))
