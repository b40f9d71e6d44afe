"""The equity KPIs governance judges (DOMAIN.md): each a gap between IMD quintiles 1 and 5 per pathway and month,
signed so that a positive gap means the most deprived fare worse, with its unit, threshold and the fewest people
each end needs for a month to be judged. reporting/kpi.py measures them in SQL; the sweep, the governance items
and their pages take a Kpi rather than assume the wait gap."""
from collections.abc import Callable
from dataclasses import dataclass

from inclusive_access.domain.policy import Policy


@dataclass(frozen=True)
class Kpi:
    #: stored on governance items and reported months
    code: str
    #: in a sentence: "the wait gap"
    name: str
    #: what each end measures and which end is subtracted: the gap's meaning in a table's caption
    measures: str
    unit: str
    #: the event that places a person in a month: "first contact", "follow-up"
    month_of: str
    #: the people each end counts, in "no {counted} in quintile 1 or 5"
    counted: str
    #: "higher": a gap above the threshold is the concern; "lower": below it
    worse: str
    threshold_of: Callable[[Policy, str], float]
    min_n_of: Callable[[Policy], int]

    def threshold(self, policy: Policy, pathway: str) -> float:
        return self.threshold_of(policy, pathway)

    def min_n(self, policy: Policy) -> int:
        return self.min_n_of(policy)

    def beyond(self, gap: float, threshold: float) -> bool:
        """The gap is past its threshold in the worse direction (equal to it is not)."""
        return gap > threshold if self.worse == "higher" else gap < threshold


WAIT_GAP = Kpi("wait_gap", "wait gap", "median days from referral to first contact, quintile 1 minus quintile 5",
               "days", "first contact", "first contacts", "higher",
               lambda policy, pathway: policy.gap_threshold(pathway), lambda policy: policy.equity_gap_min_n)
IMPROVEMENT_GAP = Kpi(
    "improvement_gap", "improvement gap",
    "share of outcome questionnaires (PROMs) improved at follow-up, quintile 5 minus quintile 1",
    "percentage points", "follow-up", "follow-ups", "higher",
    lambda policy, pathway: policy.improvement_gap_threshold(pathway), lambda policy: policy.improvement_gap_min_n)
#: by code, in the order pages list them
KPIS = {kpi.code: kpi for kpi in (WAIT_GAP, IMPROVEMENT_GAP)}


def of(code: str | None) -> Kpi:
    """The KPI a stored code names; events recorded before the improvement gap carry none, and were the wait gap's."""
    return KPIS[code or WAIT_GAP.code]
