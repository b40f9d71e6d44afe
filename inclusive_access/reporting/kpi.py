"""The equity KPIs (DOMAIN.md, domain/kpis.py), per pathway and month: the gap between IMD quintiles 1 and 5 with
each end's count and value, the gap's 95% interval, the threshold, and the gap's run chart. The wait gap is by month
of first contact, quintile 1's median referral-to-first-contact less quintile 5's (with their ratio), beside the
run charts of each quintile's median; the improvement gap is by month of follow-up, quintile 5's share of PROMs
improved less quintile 1's, in percentage points. Each KPI's ends are read in SQL (ENDS); the wait gap's closed
months as stored once computed (stored_waits).

Figures are as of now: an attendance or answer recorded after its month closed moves that month. A closed month the
equity sweep has reported carries its first report, and is restated when it no longer matches it."""
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import governance
from inclusive_access.domain.kpis import IMPROVEMENT_GAP, WAIT_GAP, Kpi
from inclusive_access.domain.policy import Policy
from inclusive_access.models import ReportedKpiMonth
from inclusive_access.reporting import charts, improvement_gap, periods, queries, stats, stored_waits

#: months a KPI chart shows, ending at the period's last month (enough for limits once 15 have data)
WINDOW = 24
QUINTILES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class FirstReport:
    """A closed KPI month as the equity sweep first reported it (its gap None where an end had no one, or where
    shared it would give back a value resting on 1 to 7 people)."""

    reported_at: datetime
    gap: float | None
    q1_n: int | str
    q5_n: int | str
    judged: bool
    breach: bool

    @classmethod
    def of(cls, row: ReportedKpiMonth) -> "FirstReport":
        return cls(row.first_reported_at, row.gap_days, row.q1_n, row.q5_n, row.judged, row.breach)


def _tenths(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class GapMonth:
    """One KPI point: each end's count and value (the wait gap's median days, the improvement gap's percentage
    improved; None where that end had no one), the gap with its 95% interval (None where an end is too small for
    one), and the ratio (the wait gap's only). A month with fewer people than the KPI's minimum at either end is not
    judged ("too few to judge"): never a breach, and no point of the run chart."""

    month: str
    q1_n: int | str
    q1_value: float | None
    q5_n: int | str
    q5_value: float | None
    gap: float | None
    gap_lower: float | None
    gap_upper: float | None
    ratio: float | None
    judged: bool
    breach: bool
    special_cause: bool
    #: the month as first reported, if the sweep has reported it, and whether it has changed since
    reported: FirstReport | None = None
    restated: bool = False

    def shared(self) -> "GapMonth":
        """As published: an end's count of 1 to 7 as "*" and its value hidden, and with it the gap, its interval
        and the ratio, which would give that value back from the other end's; likewise in its first report."""
        reported = self.reported
        if reported and any(stats.suppress_count(n) == stats.SUPPRESSED for n in (reported.q1_n, reported.q5_n)):
            reported = replace(reported, gap=None, q1_n=stats.suppress_count(reported.q1_n),
                               q5_n=stats.suppress_count(reported.q5_n))
        hidden = [stats.suppress_count(n) == stats.SUPPRESSED for n in (self.q1_n, self.q5_n)]
        if not any(hidden):
            return replace(self, reported=reported)
        return replace(self, q1_n=stats.suppress_count(self.q1_n), q5_n=stats.suppress_count(self.q5_n),
                       reported=reported,
                       q1_value=None if hidden[0] else self.q1_value,
                       q5_value=None if hidden[1] else self.q5_value,
                       gap=None, gap_lower=None, gap_upper=None, ratio=None)


@dataclass(frozen=True)
class GapSeries:
    pathway: str
    threshold: float
    min_n: int
    months: tuple[GapMonth, ...]
    chart: charts.Chart
    kpi: Kpi = WAIT_GAP

    def triggered(self, before: str) -> list[GapMonth]:
        """Closed months (before `before`, 'YYYY-MM') that need a governance item: a breach or a special-cause
        concern (judged months only)."""
        return [m for m in self.months if m.month < before and (m.breach or m.special_cause)]

    def shared(self) -> "GapSeries":
        """As published (GapMonth.shared); the chart plots judged months only, none of which rests on 1 to 7."""
        return replace(self, months=tuple(m.shared() for m in self.months))


def _restated(row: dict, was: FirstReport | None) -> bool:
    """Changed since first reported: its gap (to 0.1), either end's n, or whether it is judged or breached."""
    return was is not None and ((_tenths(was.gap), was.q1_n, was.q5_n, was.judged, was.breach)
                                != (_tenths(row["gap"]), row["q1_n"], row["q5_n"], row["judged"], row["breach"]))


def _waits(found: dict) -> dict:
    return {key: {**end, "value": end["median"]} for key, end in found.items()}


def _spans(labels: list[str], months_of: Callable[[str], list[str]]) -> list[tuple[str, str, str]]:
    return [(label, (months := months_of(label))[0], months[-1]) for label in labels]


def _crossed_limits(worse: dict, other: dict) -> tuple[float, float] | None:
    """stats.median_difference_ci: the worse end's limits less the other's, crossed."""
    if "lower" in worse and "lower" in other:
        return worse["lower"] - other["upper"], worse["upper"] - other["lower"]
    return None


def _newcombe(worse: dict, other: dict) -> tuple[float, float]:
    """The difference of two shares' 95% interval from their Wilson intervals (Newcombe 1998, method 10), in
    percentage points."""
    (lw, uw), (lo, uo) = (stats.wilson_ci(end["improved"], end["n"]) for end in (worse, other))
    pw, po = worse["improved"] / worse["n"], other["improved"] / other["n"]
    gap = pw - po
    return (100 * (gap - math.sqrt((pw - lw) ** 2 + (uo - po) ** 2)),
            100 * (gap + math.sqrt((uw - pw) ** 2 + (po - lo) ** 2)))


@dataclass(frozen=True)
class Ends:
    """How a KPI's two ends are read in SQL, by month and by quarter ({(pathway, label, quintile): {"n", "value",
    ...}}), which end's value the other's is subtracted from, and the gap's 95% interval from the two ends."""

    by_month: Callable[[Session, str, str, str | None], dict]
    by_quarter: Callable[[Session, list[str], str | None], dict]
    #: the quintile whose larger value makes the gap positive: the most deprived's wait, the least deprived's share
    worse_end: int
    interval: Callable[[dict, dict], tuple[float, float] | None]
    #: whether the gap has a ratio (worse end / other): the wait gap's "twice as long"
    ratio: bool


ENDS = {
    WAIT_GAP.code: Ends(
        lambda session, first, last, pathway: _waits(stored_waits.kpi_ends(
            session, periods.month_range(first, last), pathway)),
        lambda session, quarters, pathway: _waits(queries.quarterly_median_waits(
            session, _spans(quarters, periods.quarter_months), pathway, ranks=stored_waits.interval_ranks)),
        worse_end=1, interval=_crossed_limits, ratio=True),
    IMPROVEMENT_GAP.code: Ends(
        lambda session, first, last, pathway: improvement_gap.shares_improved(
            session, _spans(periods.month_range(first, last), lambda month: [month]), pathway),
        lambda session, quarters, pathway: improvement_gap.shares_improved(
            session, _spans(quarters, periods.quarter_months), pathway),
        worse_end=5, interval=_newcombe, ratio=False),
}


def _gap_months(labels: list[str], found: dict, pathway: str, policy: Policy, kpi: Kpi) -> list[dict]:
    threshold, fewest, ends = kpi.threshold(policy, pathway), kpi.min_n(policy), ENDS[kpi.code]
    out = []
    for label in labels:
        none = {"n": 0, "value": None}
        q1, q5 = found.get((pathway, label, 1), none), found.get((pathway, label, 5), none)
        worse, other = (q1, q5) if ends.worse_end == 1 else (q5, q1)
        gap = ratio = lower = upper = None
        if q1["n"] and q5["n"]:
            gap = worse["value"] - other["value"]
            ratio = worse["value"] / other["value"] if ends.ratio and other["value"] > 0 else None
            lower, upper = ends.interval(worse, other) or (None, None)
        judged = min(q1["n"], q5["n"]) >= fewest
        out.append({"month": label, "q1_n": q1["n"], "q1_value": q1["value"], "q5_n": q5["n"],
                    "q5_value": q5["value"], "gap": gap, "gap_lower": lower, "gap_upper": upper, "ratio": ratio,
                    "judged": judged, "breach": judged and kpi.beyond(gap, threshold)})
    return out


def gap_series(session: Session, pathways: list[str], last: str, policy: Policy,
               window: int = WINDOW, kpi: Kpi = WAIT_GAP) -> list[GapSeries]:
    """`kpi` for each pathway over `window` months ending at `last`: its ends for all of them at once (the wait
    gap's closed months as stored, the rest in two statements), and one query for the months' first reports.

    A gap growing in the KPI's worse direction is the concern; the threshold is the chart's target, so assurance
    says whether the process will keep the gap on the right side of it. The chart plots judged months only: a gap
    resting on a handful of people would widen the limits and raise special causes of its own.
    """
    months = periods.month_range(periods.months_back(last, window), last)
    found = ENDS[kpi.code].by_month(session, months[0], last, None)
    reported = governance.reported_months(session, pathways, months[0], last, kpi)
    improvement = "decrease" if kpi.worse == "higher" else "increase"
    series = []
    for pathway in pathways:
        threshold = kpi.threshold(policy, pathway)
        rows = _gap_months(months, found, pathway, policy, kpi)
        shown, _gaps = charts.from_first_data(months, [r["gap"] for r in rows])
        rows = rows[len(rows) - len(shown):]
        chart = charts.spc(shown, [r["gap"] if r["judged"] else None for r in rows], improvement=improvement,
                           target=threshold)
        firsts = [FirstReport.of(row) if (row := reported.get((pathway, r["month"]))) else None for r in rows]
        gap_months = tuple(GapMonth(**r, special_cause=p.point_type == "special_cause_concern", reported=was,
                                    restated=_restated(r, was))
                           for r, p, was in zip(rows, chart.points, firsts, strict=True))
        series.append(GapSeries(pathway, threshold, kpi.min_n(policy), gap_months, chart, kpi))
    return series


def quarterly_gaps(session: Session, pathways: list[str], quarters: list[str], policy: Policy,
                   kpi: Kpi) -> dict[str, list[GapMonth]]:
    """{pathway: [one GapMonth per quarter, labelled 'YYYY-Qn']}: `kpi` over each quarter's people pooled (not an
    average of its months), judged as a month is; special cause is a monthly chart's, not judged here."""
    found = ENDS[kpi.code].by_quarter(session, quarters, None)
    return {pathway: [GapMonth(**row, special_cause=False)
                      for row in _gap_months(quarters, found, pathway, policy, kpi)] for pathway in pathways}


def _wait_chart(months: list[str], found: list[dict | None], shared: bool) -> tuple[charts.Chart, list[int | str]]:
    """A monthly median wait as a chart (a rising wait is the concern), with each month's count; shared, a month
    resting on 1 to 7 people is left off (its count shown as "*")."""
    counts = [stats.suppress_count(f["n"] if f else 0) if shared else (f["n"] if f else 0) for f in found]
    values = [None if f is None or n == stats.SUPPRESSED else f["median"] for f, n in zip(found, counts, strict=True)]
    shown, values = charts.from_first_data(months, values)
    return charts.spc(shown, values, improvement="decrease"), counts[len(counts) - len(shown):]


def quintile_charts(session: Session, pathway: str | None, last: str, shared: bool = False,
                    window: int = WINDOW) -> list[tuple[int, charts.Chart, list[int | str]]]:
    """Each quintile's monthly median wait (one pathway, or all together) as a chart, with its counts."""
    months = periods.month_range(periods.months_back(last, window), last)
    medians = stored_waits.quintile_medians(session, months, pathway)
    return [(quintile, *_wait_chart(months, [medians.get((None, month, quintile)) for month in months], shared))
            for quintile in QUINTILES]


def median_wait_chart(session: Session, pathway: str | None, last: str, shared: bool = False,
                      window: int = WINDOW) -> tuple[charts.Chart, list[int | str]]:
    """Everyone's monthly median wait (one pathway, or all together) as a chart, with its counts: shown with the
    quintiles' and the gap's, so an average that improves while the gap widens is seen as such."""
    months = periods.month_range(periods.months_back(last, window), last)
    medians = stored_waits.everyone_medians(session, months, pathway)
    return _wait_chart(months, [medians.get(month) for month in months], shared)


def gap_for(session: Session, pathway: str, month: str, policy: Policy, kpi: Kpi = WAIT_GAP) -> GapMonth:
    """One pathway's `kpi` for one month (the re-measure a governance item shows), special cause not judged."""
    row = _gap_months([month], ENDS[kpi.code].by_month(session, month, month, pathway), pathway, policy, kpi)[0]
    return GapMonth(**row, special_cause=False)
