"""The equity KPI (DOMAIN.md): per pathway and month of first contact, the gap in median referral-to-first-contact
between IMD quintile 1 and quintile 5, its ratio, the threshold, and the run charts of the gap and of each
quintile's median."""
from dataclasses import dataclass

from sqlalchemy.orm import Session

from inclusive_access.domain.policy import Policy
from inclusive_access.reporting import charts, periods, queries

#: months a KPI chart shows, ending at the period's last month (enough for limits once 15 have data)
WINDOW = 24
QUINTILES = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class GapMonth:
    """One KPI point: each end's median (None where that end had no first contact), the gap and ratio."""

    month: str
    q1_n: int
    q1_median: float | None
    q5_n: int
    q5_median: float | None
    gap: float | None
    ratio: float | None
    breach: bool
    special_cause: bool


@dataclass(frozen=True)
class GapSeries:
    pathway: str
    threshold: float
    months: tuple[GapMonth, ...]
    chart: charts.Chart

    def triggered(self, before: str) -> list[GapMonth]:
        """Closed months (before `before`, 'YYYY-MM') that need a governance item: a breach or a special-cause
        concern."""
        return [m for m in self.months if m.month < before and (m.breach or m.special_cause)]


def _gap_months(months: list[str], medians: dict, pathway: str | None, threshold: float) -> list[dict]:
    out = []
    for month in months:
        q1, q5 = medians.get((pathway, month, 1)), medians.get((pathway, month, 5))
        gap = ratio = None
        if q1 and q5:
            gap = q1["median"] - q5["median"]
            ratio = q1["median"] / q5["median"] if q5["median"] > 0 else None
        out.append({"month": month, "q1_n": q1["n"] if q1 else 0, "q1_median": q1["median"] if q1 else None,
                    "q5_n": q5["n"] if q5 else 0, "q5_median": q5["median"] if q5 else None, "gap": gap,
                    "ratio": ratio, "breach": gap is not None and gap > threshold})
    return out


def gap_series(session: Session, pathways: list[str], last: str, policy: Policy,
               window: int = WINDOW) -> list[GapSeries]:
    """The KPI for each pathway over `window` months ending at `last`: one SQL query for all of them.

    A rising gap is the concern (improvement "decrease"); the threshold is the chart's target, so assurance
    says whether the process will keep the gap under it.
    """
    months = periods.month_range(periods.months_back(last, window), last)
    medians = queries.monthly_median_waits(session, months[0], last)
    series = []
    for pathway in pathways:
        threshold = policy.gap_threshold(pathway)
        rows = _gap_months(months, medians, pathway, threshold)
        shown, gaps = charts.from_first_data(months, [r["gap"] for r in rows])
        rows = rows[len(rows) - len(shown):]
        chart = charts.spc(shown, gaps, improvement="decrease", target=threshold)
        gap_months = tuple(GapMonth(**r, special_cause=p.point_type == "special_cause_concern")
                           for r, p in zip(rows, chart.points, strict=True))
        series.append(GapSeries(pathway, threshold, gap_months, chart))
    return series


def _wait_chart(months: list[str], found: list[dict | None]) -> tuple[charts.Chart, list[int]]:
    """A monthly median wait as a chart (a rising wait is the concern), with each month's count."""
    shown, values = charts.from_first_data(months, [f["median"] if f else None for f in found])
    chart = charts.spc(shown, values, improvement="decrease")
    return chart, [f["n"] if f else 0 for f in found[len(found) - len(shown):]]


def quintile_charts(session: Session, pathway: str | None, last: str,
                    window: int = WINDOW) -> list[tuple[int, charts.Chart, list[int]]]:
    """Each quintile's monthly median wait (one pathway, or all together) as a chart, with its counts."""
    months = periods.month_range(periods.months_back(last, window), last)
    medians = queries.monthly_median_waits(session, months[0], last, pathway, by_pathway=False)
    return [(quintile, *_wait_chart(months, [medians.get((None, month, quintile)) for month in months]))
            for quintile in QUINTILES]


def median_wait_chart(session: Session, pathway: str | None, last: str,
                      window: int = WINDOW) -> tuple[charts.Chart, list[int]]:
    """Everyone's monthly median wait (one pathway, or all together) as a chart, with its counts: shown with the
    quintiles' and the gap's, so an average that improves while the gap widens is seen as such."""
    months = periods.month_range(periods.months_back(last, window), last)
    medians = queries.monthly_median_wait(session, months[0], last, pathway)
    return _wait_chart(months, [medians.get(month) for month in months])


def gap_for(session: Session, pathway: str, month: str, policy: Policy) -> GapMonth:
    """One pathway's KPI for one month (the re-measure a governance item shows), special cause not judged."""
    row = _gap_months([month], queries.monthly_median_waits(session, month, month, pathway), pathway,
                      policy.gap_threshold(pathway))[0]
    return GapMonth(**row, special_cause=False)
