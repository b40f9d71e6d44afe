"""Follow-ups for the improvement gap's tests: referrals made through the shared factories (so their referral_facts,
with pathway and IMD quintile, exist) and their questionnaires answered through domain.questionnaires, so the
projection writes the outcome facts the gap is read from. The tests say only who followed up when, and whether
they improved."""
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from inclusive_access.domain.validation import LONDON
from tests.factories import make_referral, staff
from tests.reporting.outcome_history import add_outcome

#: an IMD decile in each quintile the tests use
DECILE = {1: "1", 3: "5", 5: "10"}
#: ten people at each end would be too few for the default minimum (20): these are enough
JUDGED_Q1 = (8, 20)
JUDGED_Q5 = (14, 20)
#: the outcome questionnaire (PROM) a pathway's follow-ups answer unless told
PROM = {"msk": "psfs", "mental_health": "phq9"}
#: a questionnaire's score at first contact, then at follow-up when that reached the minimal important change
#: (PSFS 1.3 up, PHQ-9 6 down, GAD-7 4 down) and when it fell short; an experience questionnaire is answered once
SCORES = {"psfs": (3, 6, 3.5), "phq9": (18, 10, 15), "gad7": (15, 9, 13), "experience": (None, 75, 75)}


def followed_up(session: Session, clinician, quintile: int, improved: bool | None, followup_at: datetime,
                pathway: str = "msk", instrument: str | None = None) -> None:
    """A referral from IMD `quintile` whose questionnaire on `instrument` (the pathway's PROM unless told),
    answered at first contact eight weeks before, was answered again at discharge at `followup_at`; `improved`
    None: not answered at first contact, so its improvement cannot be judged."""
    instrument = instrument or PROM[pathway]
    baseline_at = followup_at - timedelta(weeks=8)
    referral = make_referral(session, imd_decile=DECILE[quintile], pathway=pathway,
                             received_at=(baseline_at - timedelta(days=14)).astimezone(LONDON).strftime(
                                 "%Y-%m-%d %H:%M"))
    before, better, worse = SCORES[instrument]
    add_outcome(session, clinician, referral, instrument, None if improved is None else (baseline_at, before),
                (followup_at, better if improved else worse))


def mid_month(month: str, day: int = 15) -> datetime:
    """Noon UK time on a day of the month."""
    return datetime(int(month[:4]), int(month[5:]), day, 12, tzinfo=LONDON).astimezone(UTC)


def improvement_month(session: Session, month: str, q1: tuple[int, int] = JUDGED_Q1,
                      q5: tuple[int, int] = JUDGED_Q5, pathway: str = "msk") -> None:
    """A month of follow-ups on `pathway`: (improved, of how many) in IMD quintiles 1 and 5. By default 8 of 20
    (40%) and 14 of 20 (70%): a gap of 30 percentage points, above the default threshold of 10."""
    clinician = staff(session, "clinician")
    for quintile, (improved, n) in ((1, q1), (5, q5)):
        for i in range(n):
            followed_up(session, clinician, quintile, i < improved, mid_month(month, 1 + i % 28), pathway)
