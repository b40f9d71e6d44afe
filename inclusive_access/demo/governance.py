"""The equity KPI's year: months in which MSK's most deprived waited longer, the governance items they opened and
the manager's response to each."""
import dataclasses
import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from inclusive_access.demo.episodes import SCRIPT, Team, episode, record_outcome
from inclusive_access.demo.people import patient, referral_details
from inclusive_access.domain import appointments, governance, intake, triage
from inclusive_access.domain.validation import LONDON
from inclusive_access.reporting import kpi, periods


def _month_start(month: str, ahead: int = 0) -> datetime:
    """Midnight (UK time) starting the month `ahead` months after `month` ('YYYY-MM'), in UTC."""
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + ahead
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=LONDON).astimezone(UTC)


#: months back (periods.months_back: 2 is last month) in which MSK's most deprived waited longer, on enough people
#: at each end (the default EQUITY_GAP_MIN_N) for the equity KPI to judge: the items of every state follow
GAP_MONTHS = (8, 3, 2)
GAP_PEOPLE = 10
#: the patients (one referral each) those months add to the ones asked for
GAP_PATIENTS = 2 * GAP_PEOPLE * len(GAP_MONTHS)


def wait_gap_months(session: Session, rng: random.Random, team: Team, numbers: list[str], now: datetime) -> None:
    """In each of GAP_MONTHS, GAP_PEOPLE MSK patients from each end of deprivation, received in its first days and
    seen after 10-16 days (most deprived) or 3-8 (least): a gap the nightly sweep judges a breach."""
    this_month = now.astimezone(LONDON).strftime("%Y-%m")
    unused = iter(numbers)
    for back in GAP_MONTHS:
        month = periods.months_back(this_month, back)
        for day in range(1, GAP_PEOPLE + 1):
            for deciles, waits in (((1, 2), (10, 16)), ((9, 10), (3, 8))):
                person = dataclasses.replace(patient(rng, next(unused), now.date()), imd_decile=rng.choice(deciles),
                                             imd_index="IoD2025")
                at = _month_start(month) + timedelta(days=day - 1, hours=9)
                details = dataclasses.replace(referral_details(rng, at), pathway_code="msk")
                referral, _linked = intake.receive_referral(session, team.booking, person, details, now=at)
                triage.triage_referral(session, team.booking, referral, referral.version, SCRIPT, [], "accept",
                                       now=at + timedelta(hours=2))
                seen = at + timedelta(days=rng.randint(*waits))
                appointment = appointments.book_appointment(session, team.booking, referral, referral.version, seen,
                                                            "clinic", "Demo Community Clinic",
                                                            now=at + timedelta(hours=3))
                record_outcome(session, rng, team.clinician, referral, appointment, "attended",
                               seen + timedelta(hours=1))
                episode(session, rng, referral, team, seen, now)


def governance_year(session: Session, manager, policy, now: datetime) -> None:
    """The items the nightly equity sweep would have opened over the year, each the morning after its month closed;
    the manager planned each within days, re-measured it two months on and closed it; the newest are still open."""
    this_month = now.astimezone(LONDON).strftime("%Y-%m")
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
        remeasure = _month_start(month.month, 3).astimezone(LONDON).strftime("%Y-%m")
        governance.record_plan(session, manager, item, item.version, governance.Plan(
            "Demo: fewer clinic slots near the most deprived areas this month",
            "Demo: two extra community-venue clinics a week, and interpreter slots kept open", "Demo Service Lead",
            (planned_at + timedelta(days=30)).date(), remeasure), now=planned_at)
        closed_at = _month_start(remeasure, 1) + timedelta(days=4)
        if closed_at < now:
            governance.close_item(session, manager, item, item.version, "Demo: the gap closed after the extra clinics",
                                  kpi.gap_for(session, gap_series.pathway, remeasure, policy).gap, now=closed_at)

