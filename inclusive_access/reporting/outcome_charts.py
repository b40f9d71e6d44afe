"""Outcome gradients across IMD quintiles (SII/RII) and run charts by month and quarter received, for the
share improved and the completion of both time points."""
import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from inclusive_access.domain.instruments import Instrument
from inclusive_access.reporting import charts, outcome_queries, periods, stats
from inclusive_access.reporting.gradients import sii_rii
from inclusive_access.reporting.outcome_queries import F, Scope
from inclusive_access.reporting.outcomes import Table
from inclusive_access.reporting.queries import Period
from inclusive_access.reporting.tables import GRADIENT_REPS, Gradient

QUINTILES = (1, 2, 3, 4, 5)
#: (row key, label, numerator, denominator) charted per instrument: completion first, as in the tables
CHARTED = (("both", "Baseline and follow-up answered", "with_both", "closed"),
           ("improved", "Reached the minimal important change", "improved", "with_both"))
MONTHS, QUARTERS = 24, 8


def gradients(table: Table) -> list[Gradient]:
    """SII/RII across the five known quintiles of an outcome measure's IMD table, for the share improved
    (percentage points, on the logit scale as tables.gradients) and the mean change (score points, on its own
    scale). Left out when a quintile has no figure (none counted, or hidden for sharing), a share of 0% or 100%,
    or a mean without an interval. The RII of mean change is shown only where both fitted ends and its limits are
    positive: a ratio of changes of either sign means nothing."""
    by_quintile = [c for c in table.columns if c.value in QUINTILES]
    out = []
    shares = [c.figures["improved"] for c in by_quintile]
    if len(shares) == 5 and all(s.rate is not None and s.lower > 0 and s.upper < 1 for s in shares):
        found = sii_rii([s.rate for s in shares], [s.n for s in shares], [s.lower for s in shares],
                        [s.upper for s in shares], value_type="proportion", transform=True, multiplier=100,
                        reps=GRADIENT_REPS, seed=0)
        out.append(_gradient("improved", "Reached the minimal important change", found))
    changes = [c.figures["change"] for c in by_quintile]
    if len(changes) == 5 and all(m.mean is not None and m.lower is not None for m in changes):
        found = sii_rii([m.mean for m in changes], [m.n for m in changes], [m.lower for m in changes],
                        [m.upper for m in changes], reps=GRADIENT_REPS, seed=0)
        if not all(found[k] > 0 for k in ("rii", "rii_lower", "rii_upper")):  # NaN compares false: left out too
            found |= dict.fromkeys(("rii", "rii_lower", "rii_upper"), math.nan)
        out.append(_gradient("change", "Mean change (positive is better)", found))
    return out


def _gradient(key: str, label: str, found: dict) -> Gradient:
    rii = {k: None if math.isnan(found[k]) else found[k] for k in ("rii", "rii_lower", "rii_upper")}
    return Gradient(key, label, "increase", found["sii"], found["sii_lower"], found["sii_upper"], **rii)


@dataclass(frozen=True)
class OutcomeChart:
    """One instrument's share (%) by month or quarter received, with each point's denominator."""

    instrument: Instrument
    key: str
    label: str
    by: str  #: "month" or "quarter"
    chart: charts.Chart
    counts: list[int | str]


def quarter_labels(last_month: str, count: int) -> list[str]:
    """The `count` quarters ('YYYY-Qn') ending with the one holding `last_month`, oldest first."""
    year, quarter = int(last_month[:4]), (int(last_month[5:]) - 1) // 3 + 1
    labels = []
    for _ in range(count):
        labels.append(f"{year:04d}-Q{quarter}")
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return labels[::-1]


def _small(count: int) -> bool:
    return stats.suppress_count(count) == stats.SUPPRESSED


def instrument_charts(session: Session, period: Period, instrument: Instrument,
                      shared: bool = False) -> list[OutcomeChart]:
    """CHARTED by month received over 24 months and by quarter over 8 ending with the period's last month: run
    charts (or XmR charts from 15 points), from one grouped query by month, the quarters summed from its months.
    When shared, a point whose numerator or denominator is 1 to 7 is left out (its share and denominator would
    give the numerator away)."""
    months = periods.month_range(periods.months_back(period.last, MONTHS), period.last)
    by_month = outcome_queries.sums_by(session, Scope(Period(months[0], period.last, period.pathway), instrument),
                                       F.received_month)
    by_quarter: dict[str, dict] = {}
    for month, sums in by_month.items():  # 8 quarters ending with the last month's lie within its 24 months
        total = by_quarter.setdefault(periods.quarter_of(month), dict.fromkeys(sums, 0))
        for name, value in sums.items():
            total[name] += value
    out = []
    for by, labels, found in (("month", months, by_month),
                              ("quarter", quarter_labels(period.last, QUARTERS), by_quarter)):
        for row_key, label, num, den in CHARTED:
            counts = [found.get(point, {num: 0, den: 0}) for point in labels]
            rates = [None if c[den] == 0 or (shared and (_small(c[num]) or _small(c[den])))
                     else 100 * c[num] / c[den] for c in counts]
            shown, values = charts.from_first_data(labels, rates)
            denominators = [stats.suppress_count(c[den]) if shared else c[den]
                            for c in counts[len(counts) - len(shown):]]
            out.append(OutcomeChart(instrument, row_key, label, by, charts.spc(shown, values, "increase"),
                                    denominators))
    return out
