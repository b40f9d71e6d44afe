"""The equity KPI (DOMAIN.md): per pathway and month of first contact, the gap in median referral-to-first-contact
between IMD quintile 1 and quintile 5, with each end's count and the gap's 95% interval, its ratio, the threshold,
and the run charts of the gap and of each quintile's median.

Figures are as of now: an attendance recorded after its month closed moves that month. A closed month the equity
sweep has reported carries its first report, and is restated when it no longer matches it."""
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import governance
from inclusive_access.domain.policy import Policy
from inclusive_access.models import ReportedKpiMonth
from inclusive_access.reporting import charts, periods, queries, stats

#: months a KPI chart shows, ending at the period's last month (enough for limits once 15 have data)
WINDOW = 24
QUINTILES = (1, 2, 3, 4, 5)
ENDS = (1, 5)


@dataclass(frozen=True)
class FirstReport:
    """A closed KPI month as the equity sweep first reported it (its gap None where an end had no first contact, or
    where shared it would give back a median resting on 1 to 7 people)."""

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
    """One KPI point: each end's count and median (None where that end had no first contact), the gap with its 95%
    interval (None where an end is too small for one), and the ratio. A month with fewer people than the policy's
    minimum at either end is not judged ("too few to judge"): never a breach, and no point of the run chart."""

    month: str
    q1_n: int | str
    q1_median: float | None
    q5_n: int | str
    q5_median: float | None
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
        """As published: an end's count of 1 to 7 as "*" and its median hidden, and with it the gap, its interval
        and the ratio, which would give that median back from the other end's; likewise in its first report."""
        reported = self.reported
        if reported and any(stats.suppress_count(n) == stats.SUPPRESSED for n in (reported.q1_n, reported.q5_n)):
            reported = replace(reported, gap=None, q1_n=stats.suppress_count(reported.q1_n),
                               q5_n=stats.suppress_count(reported.q5_n))
        hidden = [stats.suppress_count(n) == stats.SUPPRESSED for n in (self.q1_n, self.q5_n)]
        if not any(hidden):
            return replace(self, reported=reported)
        return replace(self, q1_n=stats.suppress_count(self.q1_n), q5_n=stats.suppress_count(self.q5_n),
                       reported=reported,
                       q1_median=None if hidden[0] else self.q1_median,
                       q5_median=None if hidden[1] else self.q5_median,
                       gap=None, gap_lower=None, gap_upper=None, ratio=None)


@dataclass(frozen=True)
class GapSeries:
    pathway: str
    threshold: float
    min_n: int
    months: tuple[GapMonth, ...]
    chart: charts.Chart

    def triggered(self, before: str) -> list[GapMonth]:
        """Closed months (before `before`, 'YYYY-MM') that need a governance item: a breach or a special-cause
        concern (judged months only)."""
        return [m for m in self.months if m.month < before and (m.breach or m.special_cause)]

    def shared(self) -> "GapSeries":
        """As published (GapMonth.shared); the chart plots judged months only, none of which rests on 1 to 7."""
        return replace(self, months=tuple(m.shared() for m in self.months))


def _restated(row: dict, was: FirstReport | None) -> bool:
    """Changed since first reported: its gap (to 0.1 day), either end's n, or whether it is judged or breached."""
    return was is not None and ((_tenths(was.gap), was.q1_n, was.q5_n, was.judged, was.breach)
                                != (_tenths(row["gap"]), row["q1_n"], row["q5_n"], row["judged"], row["breach"]))


def _interval_ranks(n: int) -> dict[str, int]:
    """The order statistics one end gives the gap's 95% interval; none for a handful of people."""
    ranks = stats.median_difference_ci(n)
    return {} if ranks is None else {"lower": ranks[0], "upper": ranks[1]}


def _ends_waits(session: Session, first: str, last: str, pathway: str | None = None) -> dict:
    """Quintile 1's and 5's median waits and interval limits per pathway and month, from SQL."""
    return queries.monthly_median_waits(session, first, last, pathway, quintiles=ENDS, ranks=_interval_ranks)


def _gap_months(months: list[str], medians: dict, pathway: str, policy: Policy) -> list[dict]:
    threshold, fewest = policy.gap_threshold(pathway), policy.equity_gap_min_n
    out = []
    for month in months:
        none = {"n": 0, "median": None}
        q1, q5 = medians.get((pathway, month, 1), none), medians.get((pathway, month, 5), none)
        gap = ratio = lower = upper = None
        if q1["n"] and q5["n"]:
            gap = q1["median"] - q5["median"]
            ratio = q1["median"] / q5["median"] if q5["median"] > 0 else None
            if "lower" in q1 and "lower" in q5:  # stats.median_difference_ci: Q1's limits less Q5's, crossed
                lower, upper = q1["lower"] - q5["upper"], q1["upper"] - q5["lower"]
        judged = min(q1["n"], q5["n"]) >= fewest
        out.append({"month": month, "q1_n": q1["n"], "q1_median": q1["median"], "q5_n": q5["n"],
                    "q5_median": q5["median"], "gap": gap, "gap_lower": lower, "gap_upper": upper, "ratio": ratio,
                    "judged": judged, "breach": judged and gap > threshold})
    return out


def gap_series(session: Session, pathways: list[str], last: str, policy: Policy,
               window: int = WINDOW) -> list[GapSeries]:
    """The KPI for each pathway over `window` months ending at `last`: one SQL query for all of them, and one for
    the months' first reports.

    A rising gap is the concern (improvement "decrease"); the threshold is the chart's target, so assurance
    says whether the process will keep the gap under it. The chart plots judged months only: a gap resting on a
    handful of people would widen the limits and raise special causes of its own.
    """
    months = periods.month_range(periods.months_back(last, window), last)
    medians = _ends_waits(session, months[0], last)
    reported = governance.reported_months(session, pathways, months[0], last)
    series = []
    for pathway in pathways:
        threshold = policy.gap_threshold(pathway)
        rows = _gap_months(months, medians, pathway, policy)
        shown, _gaps = charts.from_first_data(months, [r["gap"] for r in rows])
        rows = rows[len(rows) - len(shown):]
        chart = charts.spc(shown, [r["gap"] if r["judged"] else None for r in rows], improvement="decrease",
                           target=threshold)
        firsts = [FirstReport.of(row) if (row := reported.get((pathway, r["month"]))) else None for r in rows]
        gap_months = tuple(GapMonth(**r, special_cause=p.point_type == "special_cause_concern", reported=was,
                                    restated=_restated(r, was))
                           for r, p, was in zip(rows, chart.points, firsts, strict=True))
        series.append(GapSeries(pathway, threshold, policy.equity_gap_min_n, gap_months, chart))
    return series


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
    medians = queries.monthly_median_waits(session, months[0], last, pathway, by_pathway=False)
    return [(quintile, *_wait_chart(months, [medians.get((None, month, quintile)) for month in months], shared))
            for quintile in QUINTILES]


def median_wait_chart(session: Session, pathway: str | None, last: str, shared: bool = False,
                      window: int = WINDOW) -> tuple[charts.Chart, list[int | str]]:
    """Everyone's monthly median wait (one pathway, or all together) as a chart, with its counts: shown with the
    quintiles' and the gap's, so an average that improves while the gap widens is seen as such."""
    months = periods.month_range(periods.months_back(last, window), last)
    medians = queries.monthly_median_wait(session, months[0], last, pathway)
    return _wait_chart(months, [medians.get(month) for month in months], shared)


def gap_for(session: Session, pathway: str, month: str, policy: Policy) -> GapMonth:
    """One pathway's KPI for one month (the re-measure a governance item shows), special cause not judged."""
    row = _gap_months([month], _ends_waits(session, month, month, pathway), pathway, policy)[0]
    return GapMonth(**row, special_cause=False)
