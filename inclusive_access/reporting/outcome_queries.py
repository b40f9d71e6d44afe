"""Outcome measures as SQL aggregations over referral_facts and outcome_facts: per instrument and segment value,
counts, sums and sums of squares (the database groups; Python only turns sums into rates and intervals).

Who counts for what (the page's "How it was counted" says it too):
- baseline: referrals received in the period on the instrument's pathways that have had a first contact;
- follow-up: those of them since discharged (seen, then discharged: both time points were due);
- change, improvement and time to improvement: the discharged with both a baseline and a follow-up;
- urgent contacts: referrals (or discharges) whose 30 days have passed by `now`, so a recent month's rate is not
  made low by days still to come.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from inclusive_access.domain.instruments import Instrument
from inclusive_access.models import OutcomeFact, ReferralFact
from inclusive_access.reporting.queries import SEGMENTS, Period

F = ReferralFact
O = OutcomeFact  # noqa: E741 - the outcome facts, beside F for referral_facts
#: the urgent-contact windows: the UK day and the 30 days after; 31 whole days have passed when one is surely over
URGENT_WINDOW = timedelta(days=31)

SEEN = F.first_contact_at.is_not(None)
CLOSED = and_(SEEN, F.discharged_at.is_not(None))
WITH_BASELINE = and_(SEEN, O.baseline_score.is_not(None))
WITH_BOTH = and_(CLOSED, O.baseline_score.is_not(None), O.followup_score.is_not(None))
IMPROVED = and_(WITH_BOTH, O.improved.is_(True))
#: follow-up minus baseline, turned so that a positive change is better whichever way the instrument scores
CHANGE = case((O.better == "lower", O.baseline_score - O.followup_score), else_=O.followup_score - O.baseline_score)
#: an experience measure's answer: its latest, at any point (models.OutcomeFact)
ANSWERED = and_(SEEN, O.followup_score.is_not(None))


def _count(condition):
    return func.count(case((condition, 1)))


def _sum(condition, value):
    return func.coalesce(func.sum(case((condition, value))), 0.0)


#: name -> aggregate, for an outcome measure ("prom")
PROM_SUMS = {
    "seen": _count(SEEN), "with_baseline": _count(WITH_BASELINE), "closed": _count(CLOSED),
    "with_both": _count(WITH_BOTH), "change_sum": _sum(WITH_BOTH, CHANGE),
    "change_squares": _sum(WITH_BOTH, CHANGE * CHANGE), "improved": _count(IMPROVED),
}
#: name -> aggregate, for an experience measure ("prem")
PREM_SUMS = {"seen": _count(SEEN), "answered": _count(ANSWERED), "score_sum": _sum(ANSWERED, O.followup_score),
             "score_squares": _sum(ANSWERED, O.followup_score * O.followup_score)}
#: the counts each kind publishes (the rest are sums for means)
COUNTS = {"prom": ("seen", "with_baseline", "closed", "with_both", "improved"), "prem": ("seen", "answered")}
URGENT_COUNTS = ("referrals", "after_referral", "discharged", "after_discharge")


@dataclass(frozen=True)
class Scope:
    """The referrals an instrument's figures are about: the period's, on its pathways."""

    period: Period
    instrument: Instrument

    def where(self) -> list:
        conditions = self.period.where()
        if self.instrument.pathways:
            conditions.append(F.pathway.in_(self.instrument.pathways))
        return conditions

    def joined(self, *columns):
        """A select of `columns` over the scope's referrals, each with its outcome facts on the instrument."""
        on = and_(O.referral_id == F.referral_id, O.instrument_id == self.instrument.id)
        return select(*columns).select_from(F).outerjoin(O, on).where(*self.where())


def sums_by(session: Session, scope: Scope, key) -> dict[object, dict]:
    """The instrument kind's sums per value of `key` (a referral_facts column or expression): {value: sums}."""
    sums = PROM_SUMS if scope.instrument.kind == "prom" else PREM_SUMS
    query = scope.joined(key.label("key"), *(value.label(name) for name, value in sums.items())).group_by(key)
    return {row.key: {name: getattr(row, name) for name in sums} for row in session.execute(query)}


def segment_sums(session: Session, scope: Scope, segment: str) -> dict[object, dict]:
    """sums_by each value of a segment (None: not known)."""
    return sums_by(session, scope, SEGMENTS[segment])


def median_days_to_improvement(session: Session, scope: Scope, segment: str) -> dict[object, dict]:
    """Median days from baseline to improvement among the improved, per segment value: {value: {"n", "median"}}.

    Exact: each value's improved are ranked by days (ties in any order: their days are equal), and the middle one
    (odd n) or the mean of the middle two (even n) is read, all in one query."""
    column = SEGMENTS[segment]
    ranked = scope.joined(
        column.label("key"), O.days_to_improvement.label("days"),
        func.row_number().over(partition_by=column, order_by=O.days_to_improvement).label("rank"),
        func.count().over(partition_by=column).label("n"),
    ).where(IMPROVED, O.days_to_improvement.is_not(None)).subquery()
    middle = and_(2 * ranked.c.rank >= ranked.c.n, 2 * ranked.c.rank <= ranked.c.n + 2)
    query = (select(ranked.c.key, func.max(ranked.c.n), func.avg(ranked.c.days))
             .where(middle).group_by(ranked.c.key))
    return {key: {"n": n, "median": median} for key, n, median in session.execute(query)}


def urgent_conditions(now: datetime) -> dict:
    """URGENT_COUNTS' conditions on a referral: its 30 days after receipt (or after discharge) over at `now`, and
    an urgent contact within them."""
    over = now - URGENT_WINDOW
    referred = F.received_at <= over
    discharged = and_(F.discharged_at.is_not(None), F.discharged_at <= over)
    return {"referrals": referred, "after_referral": and_(referred, F.urgent_contact_after_referral.is_(True)),
            "discharged": discharged, "after_discharge": and_(discharged, F.urgent_contact_after_discharge.is_(True))}


def urgent_by(session: Session, period: Period, key, now: datetime) -> dict[object, dict]:
    """Urgent contacts within 30 days of referral and of discharge per value of `key`, among the referrals (and
    discharges) whose 30 days are over at `now`: {value: {"referrals", "after_referral", "discharged",
    "after_discharge"}}."""
    counted = [_count(condition).label(name) for name, condition in urgent_conditions(now).items()]
    query = select(key.label("key"), *counted).where(*period.where()).group_by(key)
    return {row.key: {name: getattr(row, name) for name in URGENT_COUNTS} for row in session.execute(query)}


#: the figures a count of the outcome page opens the referrals behind (behind.py), as the list names them
FIGURES = {
    "outcome_seen": "Seen (a first contact), on the questionnaire's pathways",
    "outcome_with_baseline": "Seen, with the questionnaire answered at baseline",
    "outcome_closed": "Seen and discharged, on the questionnaire's pathways",
    "outcome_with_both": "Discharged, with the questionnaire answered at baseline and at follow-up",
    "outcome_improved": "Reached the questionnaire's minimal important change",
    "outcome_answered": "Seen, with the experience questionnaire answered",
    "urgent_referrals": "Referrals whose 30 days after receipt are over",
    "urgent_after_referral": "Urgent contact within 30 days of referral",
    "urgent_discharged": "Discharges whose 30 days after discharge are over",
    "urgent_after_discharge": "Urgent contact within 30 days of discharge",
}
#: the figures that need a questionnaire named
NEEDS_INSTRUMENT = frozenset(figure for figure in FIGURES if figure.startswith("outcome_"))
_CONDITIONS = {"seen": SEEN, "with_baseline": WITH_BASELINE, "closed": CLOSED, "with_both": WITH_BOTH,
               "improved": IMPROVED, "answered": ANSWERED}


def counted(figure: str, instrument_id: str | None, now: datetime):
    """Whether a referral (a row of referral_facts) counts in one of FIGURES: the aggregates' own condition, its
    outcome facts read by a correlated EXISTS where the condition needs them."""
    kind, name = figure.split("_", 1)
    if kind == "urgent":
        return urgent_conditions(now)[name]
    condition = _CONDITIONS[name]
    if name in ("seen", "closed"):
        return condition
    return exists().where(O.referral_id == F.referral_id, O.instrument_id == instrument_id, condition)
