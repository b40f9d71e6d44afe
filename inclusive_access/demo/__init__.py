"""Synthetic demo data, made through the domain: a year of a service's work up to now (`flask demo-data`)."""
import random
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session, lazyload

from inclusive_access.demo.audit import audit_sample
from inclusive_access.demo.contacts import contact_info
from inclusive_access.demo.episodes import Team, referral_history
from inclusive_access.demo.governance import GAP_PATIENTS, governance_year, wait_gap_months
from inclusive_access.demo.improvement_gap import IMPROVEMENT_PATIENTS, improvement_gap_month
from inclusive_access.demo.messages import message_months
from inclusive_access.demo.outcomes import outcome_year
from inclusive_access.demo.outreach import outreach_months
from inclusive_access.demo.people import patient, referral_details, synthetic_nhs_numbers
from inclusive_access.demo.worklists import TODAYS_WORK, senior_reviews, todays_work
from inclusive_access.domain import accounts, clarification, contact_details, fact_rebuild, intake
from inclusive_access.domain.actors import SYSTEM, actor_for
from inclusive_access.domain.policy import DEFAULT_POLICY
from inclusive_access.models import ROLES, Patient

#: the patients (one referral each) added to those asked for: the months whose equity KPIs open governance items
ADDED_PATIENTS = GAP_PATIENTS + IMPROVEMENT_PATIENTS


def username_for(role: str) -> str:
    return f"demo.{role}"


#: progress(label, steps) gives a context manager whose value has update(steps done): click.progressbar fits
Progress = Callable[[str, int], AbstractContextManager]


class _Silent:
    def update(self, _steps: int) -> None:
        """Nothing to show."""


def silent(_label: str, _steps: int) -> AbstractContextManager:
    return nullcontext(_Silent())


def load(session: Session, patients: int, referrals: int, seed: int, progress: Progress = silent,
         policy=DEFAULT_POLICY, now: datetime | None = None, defer_projection: bool = True) -> str:
    """Demo users (one per role, sharing a random password, returned) and the year of a service's work up to `now`:
    most referrals seen and discharged, a few re-referred, and today's small backlog in every state a worklist
    shows; questionnaires at first contact and discharge, and urgent contacts (demo.outcomes); on top, GAP_PATIENTS
    patients make the months whose wait gap opens governance items, one of them restated by attendances entered
    late, and IMPROVEMENT_PATIENTS the month whose improvement gap opens one; a small outreach cohort at
    partners' venues (demo.outreach); and the last three months' appointment messages in the outbox
    (demo.messages). The reporting projection is rebuilt once the referrals are made (the equity sweeps read it),
    unless `defer_projection` is False (a test compares the two ways)."""
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
    people = [patient(rng, n, now.date()) for n in numbers[:patients]]
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
    # contact details from a stream of their own: the rest of the demo does not change with them
    contact_rng, reached = random.Random(f"contacts {seed}"), set()
    with fact_rebuild.deferred(session) if defer_projection else nullcontext():
        with progress("Referrals over the last 12 months", len(owners)) as bar:
            for owner, at in zip(owners, received, strict=True):
                referral, _linked = intake.receive_referral(
                    session, rng.choice(intake_actors), people[owner], referral_details(rng, at), now=at,
                    # used only when the patient is still open on the pathway: staff confirm a second referral there
                    duplicate_reason="Synthetic demo: a second problem")
                if referral.patient_id not in reached:  # before any booking, whose messages they route
                    reached.add(referral.patient_id)
                    contact_details.record_contact_details(session, team.booking, session.get(
                        Patient, referral.patient_id, options=[lazyload("*")]), 0,
                        contact_info(contact_rng, people[owner]), now=at)
                referral_history(session, rng, referral, team, now)
                bar.update(1)
        unentered = wait_gap_months(session, rng, team, numbers[patients:], now)
        instruments = current_app.extensions["instruments"].values()
        with progress("Senior reviews, safeguarding, today's work, questionnaires", 4) as bar:
            senior_reviews(session, rng, team, now)
            bar.update(1)
            if today:
                todays_work(session, rng, [people[o] for o in today], team, now)
            bar.update(1)
            # from streams of their own: the rest of the demo does not change with them
            outcome_year(session, random.Random(f"outcomes {seed}"), team.clinician, instruments, now)
            bar.update(1)
            # after the outcome year, which would ask these patients' questionnaires again
            gap_rng = random.Random(f"improvement gap {seed}")
            improvement_gap_month(session, gap_rng, team,
                                  synthetic_nhs_numbers(gap_rng, IMPROVEMENT_PATIENTS, frozenset(numbers)),
                                  instruments, now)
            bar.update(1)
    with progress("Equity governance, an audit sample, overdue clarifications, outreach, messages", 5) as bar:
        governance_year(session, rng, team, actor_for(users["manager"]), policy, unentered, now)
        bar.update(1)
        audit_sample(session, rng, actor_for(users["auditor"]), now)
        bar.update(1)
        clarification.escalate_overdue(session, now=now)
        bar.update(1)
        outreach_months(session, random.Random(f"outreach {seed}"), actor_for(users["manager"]), team.clinician, now)
        bar.update(1)
        message_months(session, random.Random(f"messages {seed}"), now)
        bar.update(1)
    return password
