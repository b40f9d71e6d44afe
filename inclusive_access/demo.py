"""Synthetic demo data: clearly fake people, NHS numbers from the 999 test range, made through the domain."""
import dataclasses
import random
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

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
    fact_rebuild,
    governance,
    intake,
    reviews,
    safeguarding,
    triage,
    validation,
)
from inclusive_access.domain.actors import SYSTEM, Actor, actor_for
from inclusive_access.domain.equity import COMMUNICATION_NEEDS
from inclusive_access.domain.policy import DEFAULT_POLICY
from inclusive_access.models import ROLES, Clarification, Referral
from inclusive_access.reporting import kpi, periods

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


#: progress(label, steps) gives a context manager whose value has update(steps done): click.progressbar fits
Progress = Callable[[str, int], AbstractContextManager]
#: referrals received this recently are today's work: still awaiting triage, or waiting for a clarification
BACKLOG = timedelta(days=2)
#: a decision or request still waiting this long after it was made is the current backlog, not history
PENDING = timedelta(days=10)
#: referrals `_todays_work` makes, of the total asked for
TODAYS_WORK = 10


class _Silent:
    def update(self, _steps: int) -> None:
        """Nothing to show."""


def silent(_label: str, _steps: int) -> AbstractContextManager:
    return nullcontext(_Silent())


def load(session: Session, patients: int, referrals: int, seed: int, progress: Progress = silent,
         policy=DEFAULT_POLICY, now: datetime | None = None, defer_projection: bool = True) -> str:
    """Demo users (one per role, sharing a random password, returned) and the year of a service's work up to `now`:
    most referrals seen and discharged, a few re-referred, and today's small backlog in every state a worklist
    shows; on top, GAP_PATIENTS patients make the months whose wait gap opens governance items. The reporting
    projection is rebuilt once at the end, unless `defer_projection` is False (a test compares the two ways)."""
    rng = random.Random(seed)
    password = secrets.token_urlsafe(12)
    users = {}
    with progress("Demo users", len(ROLES)) as bar:
        for role in ROLES:  # password hashing is deliberately slow: a few seconds of the load
            users[role] = accounts.create_user(session, SYSTEM, username_for(role), f"Demo {role.capitalize()} User",
                                               role, password)
            bar.update(1)
    team = Team(*(actor_for(users[r]) for r in ("booking", "clinician", "senior")))
    intake_actors = [actor_for(users[r]) for r in ("booking", "booking", "clinician", "senior")]
    now = now or datetime.now(UTC)
    numbers = synthetic_nhs_numbers(rng, patients + GAP_PATIENTS)
    people = [_patient(rng, n, now.date()) for n in numbers[:patients]]
    # Every patient gets one referral; the rest go to patients picked at random (a second problem).
    owners = list(range(patients)) + [rng.randrange(patients) for _ in range(max(0, referrals - patients))]
    rng.shuffle(owners)
    # The last few referrals are today's open work; two of them for patients with a flag (an interpreter).
    today = owners[-TODAYS_WORK:] if len(owners) >= 2 * TODAYS_WORK else []
    owners = owners[:len(owners) - len(today)]
    interpreted = (j for j, o in enumerate(owners) if people[o].interpreter_needed)
    for k, j in zip(range(min(2, len(today))), interpreted, strict=False):
        owners[j], today[k] = today[k], owners[j]
    received = sorted(now - timedelta(minutes=rng.randint(90, 365 * 24 * 60)) for _ in owners)
    with fact_rebuild.deferred(session) if defer_projection else nullcontext():
        with progress("Referrals over the last 12 months", len(owners)) as bar:
            for owner, at in zip(owners, received, strict=True):
                referral, _linked = intake.receive_referral(
                    session, rng.choice(intake_actors), people[owner], _referral_details(rng, at), now=at,
                    # used only when the patient is still open on the pathway: staff confirm a second referral there
                    duplicate_reason="Synthetic demo: a second problem")
                _triage(session, rng, referral, team, now)
                bar.update(1)
        _wait_gap_months(session, rng, team, numbers[patients:], now)
        with progress("Senior reviews, safeguarding and today's work", 2) as bar:
            _senior_reviews(session, rng, team, now)
            bar.update(1)
            if today:
                _todays_work(session, rng, [people[o] for o in today], team, now)
            bar.update(1)
    with progress("Equity governance, an audit sample, overdue clarifications", 3) as bar:
        _governance(session, actor_for(users["manager"]), policy, now)
        bar.update(1)
        _audit_sample(session, rng, actor_for(users["auditor"]), now)
        bar.update(1)
        clarification.escalate_overdue(session, now=now)
        bar.update(1)
    return password


class Team(NamedTuple):
    booking: Actor
    clinician: Actor
    senior: Actor


REASONS = ["falls at home", "reduced mobility after discharge", "low mood and isolation", "knee pain limiting work",
           "memory concerns", "back pain", "anxiety"]


def _referral_details(rng: random.Random, at: datetime) -> intake.ReferralDetails:
    return intake.ReferralDetails(
        pathway_code=rng.choices(PATHWAYS, [40, 35, 25])[0],
        referrer_name=f"Dr {rng.choice(FAMILY)}", referrer_organisation=rng.choice(ORGS),
        referrer_contact=f"0113 496 {rng.randint(0, 9999):04d}",  # Ofcom drama range: never a real line
        received_at=at, reason="Synthetic demo referral: " + rng.choice(REASONS),
        urgency=rng.choices(["routine", "urgent"], [80, 20])[0], external_ref=None)


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


def _month_start(month: str, ahead: int = 0) -> datetime:
    """Midnight (UK time) starting the month `ahead` months after `month` ('YYYY-MM'), in UTC."""
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + ahead
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=validation.LONDON).astimezone(UTC)


#: months back (periods.months_back: 2 is last month) in which MSK's most deprived waited longer, on enough people
#: at each end (the default EQUITY_GAP_MIN_N) for the equity KPI to judge: the items of every state follow
GAP_MONTHS = (8, 3, 2)
GAP_PEOPLE = 10
#: the patients (one referral each) those months add to the ones asked for
GAP_PATIENTS = 2 * GAP_PEOPLE * len(GAP_MONTHS)


def _wait_gap_months(session: Session, rng: random.Random, team: Team, numbers: list[str], now: datetime) -> None:
    """In each of GAP_MONTHS, GAP_PEOPLE MSK patients from each end of deprivation, received in its first days and
    seen after 10-16 days (most deprived) or 3-8 (least): a gap the nightly sweep judges a breach."""
    this_month = now.astimezone(validation.LONDON).strftime("%Y-%m")
    unused = iter(numbers)
    for back in GAP_MONTHS:
        month = periods.months_back(this_month, back)
        for day in range(1, GAP_PEOPLE + 1):
            for deciles, waits in (((1, 2), (10, 16)), ((9, 10), (3, 8))):
                person = dataclasses.replace(_patient(rng, next(unused), now.date()), imd_decile=rng.choice(deciles),
                                             imd_index="IoD2025")
                at = _month_start(month) + timedelta(days=day - 1, hours=9)
                details = dataclasses.replace(_referral_details(rng, at), pathway_code="msk")
                referral, _linked = intake.receive_referral(session, team.booking, person, details, now=at)
                triage.triage_referral(session, team.booking, referral, referral.version, SCRIPT, [], "accept",
                                       now=at + timedelta(hours=2))
                seen = at + timedelta(days=rng.randint(*waits))
                appointment = appointments.book_appointment(session, team.booking, referral, referral.version, seen,
                                                            "clinic", "Demo Community Clinic",
                                                            now=at + timedelta(hours=3))
                _record(session, rng, team.clinician, referral, appointment, "attended", seen + timedelta(hours=1))
                _episode(session, rng, referral, team, seen, now)


def _governance(session: Session, manager, policy, now: datetime) -> None:
    """The items the nightly equity sweep would have opened over the year, each the morning after its month closed;
    the manager planned each within days, re-measured it two months on and closed it; the newest are still open."""
    this_month = now.astimezone(validation.LONDON).strftime("%Y-%m")
    series = kpi.gap_series(session, list(intake.active_pathway_codes(session)), periods.months_back(this_month, 2),
                            policy)
    triggered = sorted(((month, gap_series) for gap_series in series
                        for month in gap_series.triggered(before=this_month)), key=lambda pair: pair[0].month)
    for i, (month, gap_series) in enumerate(triggered):
        opened_at = _month_start(month.month, 1) + timedelta(hours=2)
        item = governance.open_item(session, gap_series.pathway, month.month, month.gap, month.ratio,
                                    gap_series.threshold, month.breach, month.special_cause, now=opened_at)
        planned_at = opened_at + timedelta(days=3)
        if planned_at > now or i == len(triggered) - 1:
            continue  # the newest: the manager has not responded yet
        remeasure = _month_start(month.month, 3).astimezone(validation.LONDON).strftime("%Y-%m")
        governance.record_plan(session, manager, item, item.version, governance.Plan(
            "Demo: fewer clinic slots near the most deprived areas this month",
            "Demo: two extra community-venue clinics a week, and interpreter slots kept open", "Demo Service Lead",
            (planned_at + timedelta(days=30)).date(), remeasure), now=planned_at)
        closed_at = _month_start(remeasure, 1) + timedelta(days=4)
        if closed_at < now:
            governance.close_item(session, manager, item, item.version, "Demo: the gap closed after the extra clinics",
                                  kpi.gap_for(session, gap_series.pathway, remeasure, policy).gap, now=closed_at)


SCRIPT = triage.BookingScript(contact_method="telephone", contact_times="mornings", safe_to_leave_message=True,
                              interpreter_needed=False, language="", communication_needs="", mobility="none",
                              caring_or_work="", digital_access="phone_only")


def _clarify(session: Session, actor, referral, question: str, channel: str, at: datetime) -> Clarification:
    triage.triage_referral(session, actor, referral, referral.version, SCRIPT, [], "clarify", now=at,
                           clarify={"question": question, "channel": channel, "contact_name": referral.referrer_name})
    return session.scalars(select(Clarification).where(Clarification.referral_id == referral.id)).one()


def _triage(session: Session, rng: random.Random, referral, team: Team, now: datetime) -> None:
    """Triage a referral as the service would have: today's are the backlog; older ones were triaged within hours."""
    age = now - referral.received_at
    if age < BACKLOG:
        if rng.random() < 0.3:  # an open clarification; those over 24 hours old are overdue
            _clarify(session, team.booking, referral, "Demo: what is the main goal of this referral?",
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
        item = _clarify(session, team.booking, referral, "Demo: please confirm current medication and mobility",
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
    _record(session, rng, team.clinician, referral, appointment, outcome, starts + timedelta(hours=1))
    if outcome in appointments.SEEN:
        _episode(session, rng, referral, team, starts, now)
    elif outcome == "dna":
        _graded_response(session, rng, referral, team, starts + timedelta(days=1), now)
    elif follow_ups and starts + timedelta(days=1) < now:
        booked_at = starts + timedelta(days=1)
        _appointment(session, rng, referral, team, booked_at + timedelta(days=rng.randint(3, 14)), fmt, booked_at, now,
                     follow_ups - 1)


def _episode(session, rng, referral, team: Team, seen: datetime, now: datetime) -> None:
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
        details = _referral_details(rng, again)
        raw = {"pathway": details.pathway_code, "referrer_name": details.referrer_name,
               "referrer_organisation": details.referrer_organisation, "referrer_contact": details.referrer_contact,
               "received_at": again.astimezone(validation.LONDON).strftime("%Y-%m-%d %H:%M"),
               "reason": "Synthetic demo re-referral: symptoms returned", "urgency": details.urgency,
               "duplicate_reason": "Synthetic demo: a second problem"}  # used only if another is open there
        new = intake.re_refer(session, team.booking, referral, raw, now=again)
        _triage(session, rng, new, team, now)


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
    due = adjustments.applicable_at_appointments(referral.patient) if outcome in appointments.TOOK_PLACE else []
    deliveries = {a.id: (True, None) if rng.random() < 0.85 else (False, "Demo: could not be arranged in time")
                  for a in due}
    reason = {"cancelled_patient": "Demo: patient unwell", "cancelled_service": "Demo: clinician off sick"}
    appointments.record_outcome(session, actor, appointment, appointment.version, outcome, reason.get(outcome),
                                now=at, deliveries=deliveries)


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
        _not_reached(session, team.booking, team.clinician, check, at)
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


def _senior_reviews(session: Session, rng: random.Random, team: Team, now: datetime) -> None:
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
            _not_reached(session, team.booking, team.clinician, dna.open_check_for(session, referral.id),
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


def _todays_work(session: Session, rng: random.Random, people: list[intake.PatientDetails], team: Team,
                 now: datetime) -> None:
    """Open work in every state a worklist shows, whatever the volume (a small demo has little backlog by chance),
    one referral for each of `people` (TODAYS_WORK, the first two flagged where the demo has such patients); last,
    the newest referral of all: flagged, 40 minutes old, today's first triage job."""

    def referral(age: timedelta, flagged: bool = False):
        at = now - age
        row, _linked = intake.receive_referral(session, team.booking, people.pop(0 if flagged else -1),
                                               _referral_details(rng, at), now=at,
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
        _clarify(session, team.booking, row, "Demo: is the patient still at the same address?", "telephone",
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
        _record(session, rng, team.clinician, row, appointment, "dna", appointment.starts_at + timedelta(hours=1))
        check = dna.open_check_for(session, row.id)
        if reached is None:  # three calls unanswered: on the senior review list
            _not_reached(session, team.booking, team.clinician, check, appointment.starts_at + timedelta(days=1))
        else:  # the barrier check is being worked
            dna.log_attempt(session, team.booking, check, "telephone", reached, "Demo: no answer",
                            now=appointment.starts_at + timedelta(days=1))
    row, appointment = booked(timedelta(days=60), now - timedelta(days=40))  # discharge asked for yesterday
    _record(session, rng, team.clinician, row, appointment, "attended", appointment.starts_at + timedelta(hours=1))
    discharge.request_discharge(session, team.clinician, row, row.version, "treatment_complete",
                                "Demo: the goals agreed at the first contact are met", now=now - timedelta(days=1))
    referral(timedelta(minutes=40), flagged=True)


def _not_reached(session: Session, booking, clinician, check, at: datetime) -> None:
    """Booking staff call three times unanswered; a clinician completes the check as not reached (a senior then
    decides on discharge)."""
    if check is None:
        return
    for hour in range(3):
        dna.log_attempt(session, booking, check, "telephone", False, "Demo: no answer", now=at + timedelta(hours=hour))
    dna.save_barriers(session, clinician, check, check.version, [], None,
                      "no_concern" if check.was_not_brought else None, now=at + timedelta(hours=3))
    dna.complete_barrier_check(session, clinician, check, check.version, "not_reached", now=at + timedelta(hours=3))
