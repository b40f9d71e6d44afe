"""The improvement gap's month: mental health patients discharged in IMPROVEMENT_MONTH, the most deprived improving
less often than the least, on enough follow-ups at each end for the improvement gap KPI to judge it a breach; the
equity sweep then opens its governance item (demo.governance). Made through the domain: referral, first contact,
the pathway's questionnaires at first contact and discharge (demo.outcomes), discharge."""
import dataclasses
import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from inclusive_access.demo.episodes import SCRIPT, Team, record_outcome
from inclusive_access.demo.outcomes import ask, mode_for
from inclusive_access.demo.people import at_deprivation_end, referral_details
from inclusive_access.domain import appointments, discharge, intake, triage
from inclusive_access.domain.instruments import Instrument, for_pathway
from inclusive_access.domain.validation import LONDON
from inclusive_access.reporting import periods
from inclusive_access.reporting.improvement_gap import month_start

PATHWAY = "mental_health"
#: months back (periods.months_back: 2 is last month) whose follow-ups show the gap
IMPROVEMENT_MONTH = 3
#: patients at each end; each answers the pathway's two PROMs (PHQ-9, GAD-7), so 24 follow-ups an end: enough for
#: the default IMPROVEMENT_GAP_MIN_N however the rest of the demo falls
IMPROVEMENT_PEOPLE = 12
#: how many of them improve, by the deciles of each end: half in quintile 1, three in four in quintile 5
IMPROVED = {(1, 2): 6, (9, 10): 9}
IMPROVEMENT_PATIENTS = len(IMPROVED) * IMPROVEMENT_PEOPLE


def improvement_gap_month(session: Session, rng: random.Random, team: Team, numbers: list[str],
                          instruments: Iterable[Instrument], now: datetime) -> None:
    """IMPROVEMENT_PEOPLE patients from each end of deprivation with a follow-up in IMPROVEMENT_MONTH's first three
    weeks, after 8 to 16 weeks of treatment; in pairs, one from each end with the same wait and treatment, so that
    the wait gap does not move."""
    month = month_start(periods.months_back(now.astimezone(LONDON).strftime("%Y-%m"), IMPROVEMENT_MONTH))
    proms = [i for i in for_pathway(instruments, PATHWAY) if i.kind == "prom"]
    unused = iter(numbers)
    improves = {}
    for deciles, count in IMPROVED.items():
        improves[deciles] = [k < count for k in range(IMPROVEMENT_PEOPLE)]
        rng.shuffle(improves[deciles])
    for k in range(IMPROVEMENT_PEOPLE):
        # follow-ups by the 21st: one on paper, entered up to a week later, is in before the month's sweep
        ends = month + timedelta(days=1 + k * 20 // IMPROVEMENT_PEOPLE, hours=rng.choice([10, 11, 14, 15]))
        seen = ends - timedelta(weeks=rng.randint(8, 16))
        received = seen - timedelta(days=rng.randint(10, 24), hours=1)
        for deciles, improved in improves.items():
            person = at_deprivation_end(rng, next(unused), now.date(), deciles)
            _treated(session, rng, team, person, (received, seen, ends), improved[k], proms, now)


def _treated(session: Session, rng: random.Random, team: Team, person: intake.PatientDetails,
             times: tuple[datetime, datetime, datetime], improved: bool, proms: list[Instrument],
             now: datetime) -> None:
    """Referred, accepted, seen; the questionnaires at first contact and before discharge (well past the minimal
    important change if `improved`, a little better if not); discharged."""
    received, seen, ends = times
    details = dataclasses.replace(referral_details(rng, received), pathway_code=PATHWAY)
    referral, _linked = intake.receive_referral(session, team.booking, person, details, now=received)
    triage.triage_referral(session, team.booking, referral, referral.version, SCRIPT, [], "accept",
                           now=received + timedelta(hours=2))
    appointment = appointments.book_appointment(session, team.booking, referral, referral.version, seen, "clinic",
                                                "Demo Community Clinic", now=received + timedelta(hours=3))
    record_outcome(session, rng, team.clinician, referral, appointment, "attended", seen + timedelta(hours=1))
    mode, before = mode_for(rng, referral), rng.uniform(0.5, 0.8)
    after = before - (rng.uniform(0.35, 0.5) if improved else rng.uniform(0.0, 0.08))
    for instrument in proms:
        ask(session, rng, team.clinician, referral, instrument, "first_contact", before, mode,
            seen + timedelta(minutes=20), now)
        ask(session, rng, team.clinician, referral, instrument, "discharge", after, mode,
            ends - timedelta(minutes=40), now)
    review = discharge.request_discharge(session, team.clinician, referral, referral.version, "treatment_complete",
                                         "Demo: the goals agreed at the first contact are met", now=ends)
    discharge.decide_review(session, team.senior, review, referral.version,
                            discharge.Decision("approved", "Demo: discharge agreed; the GP is informed"),
                            now=ends + timedelta(days=rng.randint(1, 3)))
