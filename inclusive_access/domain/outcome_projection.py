"""The outcome side of the reporting projection (pure): a referral's outcome_facts row on one instrument from its
questionnaire.completed events, and whether an urgent contact came within 30 days of its receipt or discharge.
facts.apply (live) and fact_rebuild.replay (from the log) both use these, so the two cannot disagree.

Everything goes by when it happened, not by when it was entered: a paper form entered late with an earlier
completed_at becomes the baseline, and an urgent contact recorded before the discharge (or before the referral's
receipt was entered) counts once that lands."""
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from inclusive_access.domain import actions
from inclusive_access.domain.instruments import reached_mic
from inclusive_access.models import OutcomeFact

LONDON = ZoneInfo("Europe/London")
#: the actions that change outcome_facts (and never referral_facts)
ACTIONS = frozenset({actions.QUESTIONNAIRE_COMPLETED})
COLUMNS = tuple(c.name for c in OutcomeFact.__table__.columns)
#: an urgent contact counts on the UK day of receipt (or discharge) and up to this many days after it
URGENT_WITHIN = timedelta(days=30)
#: the time points an improvement on the baseline is looked for at
LATER_POINTS = frozenset({"review", "discharge"})


class Answer(NamedTuple):
    """One questionnaire.completed event, as `outcome` reads it: the instrument's direction and minimal important
    change as they were when it was answered."""

    completed_at: datetime
    time_point: str
    score: float | None
    kind: str
    better: str
    mic: float | None


def answer(data: dict) -> Answer:
    completed = data["completed_at"]
    return Answer(datetime.fromisoformat(completed) if isinstance(completed, str) else completed,
                  data["time_point"], data["score"], data["kind"], data["better"], data["mic"])


def outcome(referral_id: int, instrument_id: str, answers: Sequence[Answer]) -> dict:
    """The outcome_facts row of a referral's answers to one instrument, given in log order (at least one).

    The answers are put in the order they were completed; two completed at the same moment, in the order they were
    entered. The baseline is the first scored answer at first contact, the follow-up the last scored one at
    discharge (for an experience measure the last scored one at any point, with no baseline), and the improvement
    the first scored answer after the baseline, at a review or discharge, that reached the minimal important change
    on it. An answer with no score (a mean of "Don't know"s) counts as not answered. The direction and minimal
    important change compared by are those of the last answer."""
    timeline = [a for _, a in sorted(enumerate(answers), key=lambda pair: (pair[1].completed_at, pair[0]))]
    last = timeline[-1]
    scored = [a for a in timeline if a.score is not None]
    fact = dict.fromkeys(COLUMNS)
    fact.update(referral_id=referral_id, instrument_id=instrument_id, kind=last.kind, better=last.better,
                responses=len(answers))
    if last.kind == "prem":
        if scored:
            fact.update(followup_at=scored[-1].completed_at, followup_score=scored[-1].score)
        return fact
    first = next((i for i, a in enumerate(scored) if a.time_point == "first_contact"), None)
    follow_up = next((a for a in reversed(scored) if a.time_point == "discharge"), None)
    if follow_up is not None:
        fact.update(followup_at=follow_up.completed_at, followup_score=follow_up.score)
    if first is None:
        return fact
    baseline = scored[first]
    fact.update(baseline_at=baseline.completed_at, baseline_score=baseline.score)
    if last.mic is None:
        return fact
    if follow_up is not None:
        fact["improved"] = reached_mic(last.better, last.mic, baseline.score, follow_up.score)
    better = next((a for a in scored[first + 1:] if a.time_point in LATER_POINTS
                   and reached_mic(last.better, last.mic, baseline.score, a.score)), None)
    if better is not None:
        fact.update(improved_at=better.completed_at,
                    days_to_improvement=(better.completed_at - baseline.completed_at).total_seconds() / 86400)
    return fact


def occurred_on(data: dict) -> date:
    """The UK date of an urgent_contact.recorded event."""
    day = data["occurred_on"]
    return date.fromisoformat(day) if isinstance(day, str) else day


def urgent_within_30_days(contacts: Iterable[date], moment: datetime | None) -> bool:
    """Whether an urgent contact occurred on the UK day of `moment` (a UTC instant) or up to 30 days after it."""
    if moment is None:
        return False
    day = moment.astimezone(LONDON).date()
    return any(day <= contact <= day + URGENT_WITHIN for contact in contacts)
