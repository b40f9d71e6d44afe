"""Outcome gradients across IMD quintiles (SII/RII) and run charts by month and quarter received, for the
share improved and the completion of both time points."""
import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from inclusive_access.domain.instruments import Instrument
from inclusive_access.reporting import charts, stats
from inclusive_access.reporting.gradients import sii_rii
from inclusive_access.reporting.outcomes import CHARTED, Table, charted_sums
from inclusive_access.reporting.queries import Period
from inclusive_access.reporting.tables import GRADIENT_REPS, Gradient

QUINTILES = (1, 2, 3, 4, 5)


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


def instrument_charts(session: Session, period: Period, instrument: Instrument,
                      hidden: set[tuple] | None = None) -> list[OutcomeChart]:
    """CHARTED by month received over MONTHS and by quarter over QUARTERS ending with the period's last month: run
    charts (or XmR charts from 15 points). In a shared view (`hidden`, outcomes.shared_hidden_for's) a point whose
    numerator or denominator is hidden is left out, as its share and denominator would give the numerator away."""
    points = charted_sums(session, period, instrument)

    def shown(name: str, point: tuple[str, str]) -> int | str:
        count = points[point][name]
        return stats.SUPPRESSED if hidden is not None and (instrument.id, name, *point) in hidden else count

    out = []
    for by in ("month", "quarter"):
        labels = [label for kind, label in points if kind == by]
        for row_key, label, num, den in CHARTED:
            counts = [(shown(num, (by, point)), shown(den, (by, point)), points[by, point]) for point in labels]
            rates = [None if c[den] == 0 or stats.SUPPRESSED in (x, n) else 100 * c[num] / c[den]
                     for x, n, c in counts]
            charted, values = charts.from_first_data(labels, rates)
            denominators = [n for _x, n, _c in counts[len(labels) - len(charted):]]
            out.append(OutcomeChart(instrument, row_key, label, by, charts.spc(charted, values, "increase"),
                                    denominators))
    return out
