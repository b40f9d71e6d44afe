"""The equity KPIs' year: months in which MSK's most deprived waited longer (and mental health's improved less,
demo.improvement_gap); the nightly sweep reporting each month as it closed and opening its governance items; one
month restated by attendances entered late; and the manager's response to each item."""
import dataclasses
import random
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from inclusive_access.demo.episodes import SCRIPT, Team, deliveries, episode, record_outcome
from inclusive_access.demo.people import at_deprivation_end, referral_details
from inclusive_access.domain import appointments, governance, intake, kpis, triage
from inclusive_access.domain.actors import Actor
from inclusive_access.domain.validation import LONDON
from inclusive_access.models import GovernanceItem, Referral
from inclusive_access.reporting import governance_sweep, kpi, periods


def _month_start(month: str, ahead: int = 0) -> datetime:
    """Midnight (UK time) starting the month `ahead` months after `month` ('YYYY-MM'), in UTC."""
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + ahead
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=LONDON).astimezone(UTC)


def _month(at: datetime) -> str:
    return at.astimezone(LONDON).strftime("%Y-%m")


#: months back (periods.months_back: 2 is last month) in which MSK's most deprived waited longer, on enough people
#: at each end (the default EQUITY_GAP_MIN_N) for the equity KPI to judge: the items of every state follow
GAP_MONTHS = (8, 3, 2)
GAP_PEOPLE = 10
#: the patients (one referral each) those months add to the ones asked for
GAP_PATIENTS = 2 * GAP_PEOPLE * len(GAP_MONTHS)
#: the one of GAP_MONTHS whose most deprived were seen at the outreach drop-in, which takes no bookings and keeps a
#: paper register: entered a week after the month closed, after the sweep had reported the month without them
LATE_MONTH = 3
#: when, after LATE_MONTH closed, the register was entered (a working afternoon); the sweep runs that night
REGISTER_ENTERED = timedelta(days=7, hours=15)
OUTREACH = "Demo outreach drop-in"


def wait_gap_months(session: Session, rng: random.Random, team: Team, numbers: list[str],
                    now: datetime) -> list[tuple[Referral, datetime]]:
    """In each of GAP_MONTHS, GAP_PEOPLE MSK patients from each end of deprivation, received in its first days and
    seen after 10-16 days (most deprived) or 3-8 (least): a gap the nightly sweep judges a breach. Returns the
    LATE_MONTH's most deprived, each with when they were seen at the outreach drop-in: not yet entered."""
    this_month = _month(now)
    unused = iter(numbers)
    unentered = []
    for back in GAP_MONTHS:
        month = periods.months_back(this_month, back)
        for day in range(1, GAP_PEOPLE + 1):
            for deciles, waits in (((1, 2), (10, 16)), ((9, 10), (3, 8))):
                person = at_deprivation_end(rng, next(unused), now.date(), deciles)
                at = _month_start(month) + timedelta(days=day - 1, hours=9)
                details = dataclasses.replace(referral_details(rng, at), pathway_code="msk")
                referral, _linked = intake.receive_referral(session, team.booking, person, details, now=at)
                triage.triage_referral(session, team.booking, referral, referral.version, SCRIPT, [], "accept",
                                       now=at + timedelta(hours=2))
                seen = at + timedelta(days=rng.randint(*waits))
                if back == LATE_MONTH and deciles == (1, 2):
                    unentered.append((referral, seen))
                    continue
                appointment = appointments.book_appointment(session, team.booking, referral, referral.version, seen,
                                                            "clinic", "Demo Community Clinic",
                                                            now=at + timedelta(hours=3))
                record_outcome(session, rng, team.clinician, referral, appointment, "attended",
                               seen + timedelta(hours=1))
                episode(session, rng, referral, team, seen, now)
    return unentered


def _enter_register(session: Session, rng: random.Random, team: Team, unentered: list[tuple[Referral, datetime]],
                    at: datetime, now: datetime) -> None:
    """A clinician enters the outreach drop-in's register: each contact recorded after it happened, with why; the
    episode of care runs on from then."""
    for referral, seen in unentered:
        appointments.record_past_contact(
            session, team.clinician, referral, referral.version, seen, "community_venue", OUTREACH, "attended",
            "Demo: seen at the outreach drop-in, which takes no bookings; entered from its paper register", now=at,
            deliveries=deliveries(rng, referral, "attended"))
        episode(session, rng, referral, team, at, now)


def governance_year(session: Session, rng: random.Random, team: Team, manager: Actor, policy,
                    unentered: list[tuple[Referral, datetime]], now: datetime) -> None:
    """The equity sweep as it ran over the year (governance_sweep.sweep, at the time): each month's first morning it
    reported the month just closed and opened the items that month needed; the night after the outreach register
    was entered, it found LATE_MONTH restated. Then the manager's response to each item."""
    this_month = _month(now)
    late = periods.months_back(this_month, LATE_MONTH)
    # nothing but the register was entered late, so only these nights found anything new
    for month in periods.month_range(_month(now - timedelta(days=365)), periods.months_back(this_month, 2)):
        governance_sweep.sweep(session, policy, _month_start(month, 1) + timedelta(hours=2))
        if month == late:
            entered = _month_start(month, 1) + REGISTER_ENTERED
            _enter_register(session, rng, team, unentered, entered, now)
            governance_sweep.sweep(session, policy, entered + timedelta(hours=11))
    _responses(session, manager, policy, now)


class Response(NamedTuple):
    variance_explanation: str
    corrective_action: str
    lead_name: str
    closing_note: str


#: the manager's response to an item, by its KPI
RESPONSES = {
    kpis.WAIT_GAP.code: Response(
        "Demo: fewer clinic slots near the most deprived areas this month",
        "Demo: two extra community-venue clinics a week, and interpreter slots kept open", "Demo Service Lead",
        "Demo: the gap closed after the extra clinics"),
    kpis.IMPROVEMENT_GAP.code: Response(
        "Demo: the most deprived missed more sessions, and their reviews were by telephone without an interpreter",
        "Demo: follow-up reviews by telephone with an interpreter, and outreach sessions at the community venue for "
        "quintile 1", "Demo Mental Health Lead", "Demo: the gap closed after the interpreted reviews and outreach"),
}


def _responses(session: Session, manager: Actor, policy, now: datetime) -> None:
    """The manager planned each item within days, re-measured it two months on and closed it; the newest is still
    open."""
    items = session.scalars(select(GovernanceItem).order_by(GovernanceItem.opened_at, GovernanceItem.id)).all()
    for i, item in enumerate(items):
        planned_at = item.opened_at + timedelta(days=3)
        if planned_at > now or i == len(items) - 1:
            continue  # the newest: the manager has not responded yet
        remeasure = _month(_month_start(item.month, 3))
        response = RESPONSES[kpis.of(item.kpi).code]
        governance.record_plan(session, manager, item, item.version, governance.Plan(
            response.variance_explanation, response.corrective_action, response.lead_name,
            (planned_at + timedelta(days=30)).date(), remeasure), now=planned_at)
        closed_at = _month_start(remeasure, 1) + timedelta(days=4)
        if closed_at < now:
            governance.close_item(session, manager, item, item.version, response.closing_note,
                                  kpi.gap_for(session, item.pathway, remeasure, policy, kpis.of(item.kpi)).gap,
                                  now=closed_at)
