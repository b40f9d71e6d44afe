"""Outcome facts for the improvement gap's tests, written directly into outcome_facts for referrals made through the
shared factories (so their referral_facts, with pathway and IMD quintile, exist).

A seam: outcome_facts is the projection's to write from questionnaire.completed events. Once it does, `followed_up`
should record the two questionnaires through domain.questionnaires and let the projection write the row; the tests
that use it say only who followed up when, and whether they improved."""
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from inclusive_access.domain.validation import LONDON
from inclusive_access.models import OutcomeFact
from tests.factories import make_referral

#: an IMD decile in each quintile the tests use
DECILE = {1: "1", 3: "5", 5: "10"}
#: ten people at each end would be too few for the default minimum (20): these are enough
JUDGED_Q1 = (8, 20)
JUDGED_Q5 = (14, 20)


def followed_up(session: Session, quintile: int, improved: bool | None, followup_at: datetime, pathway: str = "msk",
                instrument: str = "psfs", kind: str = "prom") -> OutcomeFact:
    """A referral from IMD `quintile` whose questionnaire on `instrument`, answered at first contact eight weeks
    before, was followed up at `followup_at`; `improved` None: its improvement could not be judged."""
    baseline_at = followup_at - timedelta(weeks=8)
    referral = make_referral(session, imd_decile=DECILE[quintile], pathway=pathway,
                             received_at=(baseline_at - timedelta(days=14)).astimezone(LONDON).strftime(
                                 "%Y-%m-%d %H:%M"))
    fact = OutcomeFact(referral_id=referral.id, instrument_id=instrument, kind=kind, better="higher", responses=2,
                       baseline_at=baseline_at, baseline_score=3.0, followup_at=followup_at,
                       followup_score=6.0 if improved else 3.5, improved=improved,
                       improved_at=followup_at if improved else None,
                       days_to_improvement=56.0 if improved else None)
    session.add(fact)
    session.flush()
    return fact


def mid_month(month: str, day: int = 15) -> datetime:
    """Noon UK time on a day of the month."""
    return datetime(int(month[:4]), int(month[5:]), day, 12, tzinfo=LONDON).astimezone(UTC)


def improvement_month(session: Session, month: str, q1: tuple[int, int] = JUDGED_Q1,
                      q5: tuple[int, int] = JUDGED_Q5, pathway: str = "msk") -> None:
    """A month of follow-ups on `pathway`: (improved, of how many) in IMD quintiles 1 and 5. By default 8 of 20
    (40%) and 14 of 20 (70%): a gap of 30 percentage points, above the default threshold of 10."""
    for quintile, (improved, n) in ((1, q1), (5, q5)):
        for i in range(n):
            followed_up(session, quintile, i < improved, mid_month(month, 1 + i % 28), pathway)
