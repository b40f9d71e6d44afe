"""Equity tables: each measure of DOMAIN.md per segment value, with Wilson intervals and small-number suppression."""
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from inclusive_access.domain import segments
from inclusive_access.domain.equity import AGE_BANDS, ETHNIC_GROUPS, SEXES
from inclusive_access.reporting import charts, periods, queries, stats
from inclusive_access.reporting.gradients import sii_rii
from inclusive_access.reporting.queries import Period

#: (key, label, numerator count, denominator count); DNA rate = DNAs / (seen + arrived late not seen + DNAs), code
#: 3 / (3+5+6+7); same-day triage, clarification and rebooking count only what is decided or past its time (PENDING)
MEASURES = (
    ("accepted", "Accepted", "accepted", "referrals"),
    ("rejected", "Rejected", "rejected", "referrals"),
    ("same_day_triage", "Flagged referrals triaged on time", "flagged_triaged_on_time", "flagged_due"),
    ("clarified_in_24_hours", "Clarifications resolved within 24 hours", "clarifications_on_time",
     "clarifications_due"),
    ("dna_rate", "Did not attend (DNA rate)", "dnas", "attendances"),
    ("dna_linked_discharges", "Discharges linked to non-attendance", "dna_linked_discharges", "discharged"),
    ("rebooked_in_14_days", "DNAs rebooked within 14 days", "dnas_rebooked_in_14_days", "dnas_decided"),
    ("barrier_checks_completed", "Barrier checks completed", "barrier_checks_completed", "barrier_checks"),
    ("adjustments_met", "Adjustments met at appointments", "adjustments_met", "adjustments_due"),
    ("re_referred_in_90_days", "Re-referrals within 90 days of discharge", "re_referrals_within_90_days", "referrals"),
    ("adjustment_in_place", "Referrals with an adjustment in place", "referrals_with_adjustment", "referrals"),
)
MEASURE_LABELS = {key: label for key, label, _num, _den in MEASURES}
#: which way each measure improves (stats.IMPROVEMENTS): the page says so beside its gradient, since the SII's sign
#: reads as good news on one measure and bad news on another; having an adjustment in place reflects need, not
#: performance, so it has no better direction
IMPROVEMENT = {"accepted": "increase", "rejected": "decrease", "same_day_triage": "increase",
               "clarified_in_24_hours": "increase", "dna_rate": "decrease", "dna_linked_discharges": "decrease",
               "rebooked_in_14_days": "increase", "barrier_checks_completed": "increase",
               "adjustments_met": "increase", "re_referred_in_90_days": "decrease", "adjustment_in_place": "neither"}
#: how the page and its CSV say which way a measure improves
BETTER = {"increase": "higher is better", "decrease": "lower is better", "neither": "neither direction is better"}
#: the rates charted month by month, each coloured by its own IMPROVEMENT direction
RATE_CHARTS = ("dna_rate", "rebooked_in_14_days", "adjustments_met", "same_day_triage")
#: Monte-Carlo repetitions for SII/RII intervals on the dashboard, seeded so the same data gives the same report
GRADIENT_REPS = 5000
#: the segments an intersectional table may cross IMD quintiles with
CROSS_SEGMENTS = tuple(segment.key for segment in (segments.ETHNIC_GROUP, *segments.FLAG_SEGMENTS))
#: the dashboard's breakdowns (and the report's tables), in order
SEGMENT_LABELS = segments.labels(segments.REPORTED)
#: the counts a table shows: referrals received and each measure's numerator and denominator
SHOWN_COUNTS = tuple(dict.fromkeys(("referrals", *(name for *_m, num, den in MEASURES for name in (num, den)))))
#: the n beside each segment value's waits (referrals with a first contact): segment tables only
WAIT_COUNT = "first_contacts"
#: the DNAs whose 14 days to rebook are still running, shown beside the rebooking rate
PENDING_COUNT = "dnas_pending"
#: count -> (its part still within its time at `now`, queries.pending; the rest, decided or past its time): DNAs
#: within their 14 days to rebook, flagged referrals before their triage is due, clarifications within their 24
#: hours. A measure counts the rest only, so a month in progress is not marked down for what is not yet due.
PENDING = {"dnas": (PENDING_COUNT, "dnas_decided"), "flagged": ("triage_pending", "flagged_due"),
           "clarifications": ("clarifications_pending", "clarifications_due")}
#: the flag DOMAIN.md defines from the IMD quintile: its intersectional table's empty cells are known to be empty
DEPRIVATION = "flag_deprivation"
#: a month's counts are keyed (count, MONTH, month) among shared_view.shared_hidden's
MONTH = "month"
#: segment -> the completeness table's (known, unknown) parts of each month's referrals
COMPLETENESS_PARTS = {segments.ETHNIC_GROUP.key: ("ethnicity_stated", "ethnicity_not_stated"),
                      segments.IMD_QUINTILE.key: ("imd_recorded", "imd_not_recorded")}
#: the segment values that the completeness table counts as not stated or not recorded
UNKNOWN_VALUES = {"Not stated", segments.ETHNIC_GROUP.unknown, None}


def segment_values(segment: str) -> list[tuple[object, str]]:
    """Every value a segment reports, in order, always with its unknown row (shown even when empty)."""
    if segment == segments.IMD_QUINTILE.key:
        unknown = segments.IMD_QUINTILE.unknown
        return [(1, "1 (most deprived)"), (2, "2"), (3, "3"), (4, "4"), (5, "5 (least deprived)"), (None, unknown)]
    if segment == segments.ETHNIC_GROUP.key:
        return [(g, g) for g in dict.fromkeys(ETHNIC_GROUPS.values())]
    if segment == segments.AGE_BAND.key:
        unknown = segments.AGE_BAND.unknown
        return [(band, band) for band, _lowest in AGE_BANDS] + [(unknown, unknown)]
    if segment == segments.SEX.key:
        return [(code, label) for code, label in SEXES.items()]
    return [(True, "Flagged"), (False, "Not flagged")]


@dataclass(frozen=True)
class Cell:
    """One measure for one group: x of n, the rate and its Wilson 95% interval (None when n is 0)."""

    x: int | str
    n: int | str
    rate: float | None
    lower: float | None
    upper: float | None


@dataclass
class Group:
    """One group's counts (an int, or "*" when hidden) and the shares of its counts (reach, outreach)."""

    value: object
    label: str
    counts: dict[str, int | str] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Column:
    """One segment value's figures."""

    value: object
    label: str
    referrals: int | str
    cells: dict[str, Cell] = field(default_factory=dict)
    #: DNAs not yet rebooked whose 14 days are still running: outside the rebooking measure until decided
    dnas_pending: int | str = 0
    wait_n: int = 0
    median_days: float | None = None
    #: the median's 95% order-statistic (binomial) interval
    median_lower: float | None = None
    median_upper: float | None = None
    p90_days: float | None = None


def derived(found: dict | None, pending: dict[str, int] | None = None) -> dict:
    """A group's counts (zeros when the group is empty), with attendances = seen + arrived late not seen + DNAs, and
    each PENDING count split into its part still within its time (`pending`, queries.pending's) and the rest."""
    counts = dict.fromkeys(queries.COUNTS, 0) | (found or {})
    counts["attendances"] = counts["attended"] + counts["arrived_late_not_seen"] + counts["dnas"]
    for whole, (part, rest) in PENDING.items():
        counts[part] = (pending or {}).get(part, 0)
        counts[rest] = counts[whole] - counts[part]
    return counts


def _counts(rows: list[dict], value, pending: dict) -> dict:
    return derived(next((r for r in rows if r["segment"] == value), None), pending.get((value,)))


def _published(count: int, key: tuple, hidden: set[tuple] | None) -> int | str:
    return stats.SUPPRESSED if hidden is not None and key in hidden else count


def _median_interval(n: int) -> dict[str, int]:
    """The ranks of the order statistics that bound a median's 95% interval (DOMAIN.md)."""
    lower, upper = stats.median_ci(n)
    return {"median_lower": lower, "median_upper": upper}


def segment_table(session: Session, period: Period, segment: str, hidden: set[tuple] | None = None,
                  now: datetime | None = None) -> list[Column]:
    """Every measure for each value of `segment` over `period` as of `now` (SQL aggregates; rates and intervals from
    them); for a shared view, `hidden` is what shared_view.shared_hidden hides (once for all the view's tables)."""
    rows = queries.counts_by(session, period, segment)
    pending = queries.pending(session, period, {"segment": queries.SEGMENTS[segment]}, now or datetime.now(UTC))
    waits = queries.wait_quantiles_by(session, period, segment, ranks=_median_interval)
    values = segment_values(segment)
    unknown_keys = {r["segment"] for r in rows} - {v for v, _ in values}
    if unknown_keys:  # every stored value must be listed, so no group silently drops out of a report
        raise ValueError(f"{segment} has values the report does not list: {sorted(map(str, unknown_keys))}")
    counts = [_counts(rows, value, pending) for value, _ in values]
    columns = [Column(value, label, _published(c["referrals"], ("referrals", segment, value), hidden))
               for (value, label), c in zip(values, counts, strict=True)]
    for column, c in zip(columns, counts, strict=True):
        column.dnas_pending = _published(c["dnas_pending"], (PENDING_COUNT, segment, column.value), hidden)
    for key, _label, num, den in MEASURES:
        for column, c in zip(columns, counts, strict=True):
            x = _published(c[num], (num, segment, column.value), hidden)
            n = _published(c[den], (den, segment, column.value), hidden)
            if c[den] == 0 or stats.SUPPRESSED in (x, n):
                column.cells[key] = Cell(x, n, None, None, None)
            else:
                lower, upper = stats.wilson_ci(c[num], c[den])
                column.cells[key] = Cell(x, n, c[num] / c[den], lower, upper)
    for column in columns:
        wait = waits.get(column.value)
        if wait and _published(wait["n"], (WAIT_COUNT, segment, column.value), hidden) != stats.SUPPRESSED:
            column.wait_n, column.median_days, column.p90_days = wait["n"], wait["median"], wait["p90"]
            column.median_lower, column.median_upper = wait["median_lower"], wait["median_upper"]
    return columns


def _share(row: dict, found: str, part: str, hidden: set[tuple] | None) -> float | None:
    """`found` of the month's referrals (%), or None where a shared view hides the part or the referrals."""
    if hidden is not None and not hidden.isdisjoint({(part, MONTH, row["month"]), ("referrals", MONTH, row["month"])}):
        return None
    return 100 * row[found] / row["referrals"]


def completeness(session: Session, period: Period, hidden: set[tuple] | None = None) -> list[dict]:
    """Per month received: the referrals, and the share with an ethnic group stated and with an IMD quintile (%);
    in a shared view, what shared_hidden hides is "*" (a count) or None (a share)."""
    return [{"month": row["month"],
             "referrals": _published(row["referrals"], ("referrals", MONTH, row["month"]), hidden),
             "ethnicity_pct": _share(row, "ethnicity", "ethnicity_stated", hidden),
             "imd_pct": _share(row, "imd", "imd_recorded", hidden)}
            for row in queries.completeness_by_month(session, period)]


def completeness_charts(session: Session, period: Period, hidden: set[tuple] | None = None,
                        window: int = 24) -> list[tuple[str, charts.Chart]]:
    """Run charts of the monthly completeness percentages over `window` months ending at the period's last; in a
    shared view, without the period's months whose share it hides."""
    months = periods.month_range(periods.months_back(period.last, window), period.last)
    found = {r["month"]: r for r in completeness(session, Period(months[0], period.last, period.pathway), hidden)}
    out = []
    for key, label in (("ethnicity_pct", "Ethnic group stated"), ("imd_pct", "IMD quintile recorded")):
        shown, values = charts.from_first_data(months, [found[m][key] if m in found else None for m in months])
        out.append((label, charts.spc(shown, values, improvement="increase")))
    return out


@dataclass(frozen=True)
class RateChart:
    """One rate (%) month by month, with each month's denominator ("*" for 1 to 7 when shared)."""

    key: str
    label: str
    improvement: str
    chart: charts.Chart
    counts: list[int | str]


def rate_charts(session: Session, period: Period, hidden: set[tuple] | None = None, window: int = 24,
                now: datetime | None = None) -> list[RateChart]:
    """RATE_CHARTS' rates (%) by month received over `window` months ending at the period's last, from one query of
    monthly counts, each charted with its own improvement direction; what is still within its time at `now` is
    left out of its rate (PENDING), as in the tables. In a shared view (`hidden`, shared_hidden's) a month's rate is
    left out where its numerator or denominator is hidden, as the rate and the denominator give the numerator
    away: in the period as shared_hidden hides them with the tables, before it where they are 1 to 7."""
    months = periods.month_range(periods.months_back(period.last, window), period.last)
    charted = Period(months[0], period.last, period.pathway)
    pending = queries.pending(session, charted, {"month": queries.RECEIVED_MONTH}, now or datetime.now(UTC))
    found = {r["month"]: derived(r, pending.get((r["month"],)))
             for r in queries.counts_by_month(session, charted)}

    def shown(name: str, month: str, count: int) -> int | str:
        if hidden is None:
            return count
        return _published(count, (name, MONTH, month), hidden) if month >= period.first else stats.suppress_count(count)

    out = []
    for key in RATE_CHARTS:
        improvement = IMPROVEMENT[key]
        _key, label, num, den = next(m for m in MEASURES if m[0] == key)
        counts = [(shown(num, month, c[num]), shown(den, month, c[den]), c) for month in months
                  for c in [found.get(month, derived(None))]]
        rates = [None if c[den] == 0 or stats.SUPPRESSED in (x, n) else 100 * c[num] / c[den] for x, n, c in counts]
        charted_months, values = charts.from_first_data(months, rates)
        chart = charts.spc(charted_months, values, improvement=improvement)
        denominators = [n for _x, n, _c in counts[len(months) - len(charted_months):]]
        out.append(RateChart(key, label, improvement, chart, denominators))
    return out


@dataclass(frozen=True)
class Gradient:
    """SII (percentage points) and RII across IMD quintiles 1-5 for one measure, with Monte-Carlo 95% intervals."""

    key: str
    label: str
    #: "increase", "decrease" or "neither" (IMPROVEMENT)
    improvement: str
    sii: float
    sii_lower: float
    sii_upper: float
    #: None, with no interval, where the ratio of the ends is not defined
    rii: float | None
    rii_lower: float | None
    rii_upper: float | None


def gradients(columns: list[Column]) -> list[Gradient]:
    """SII/RII of each rate over the five known quintiles of an IMD table (the unknown row has no rank), by the
    PHE/OHID method with phe_sii's transform for proportions: fitted and simulated on the logit scale, so the ends,
    the RII and its interval stay positive and the SII within +/- 100 points. A measure is left out when any
    quintile has no denominator, a count hidden for sharing, or a rate of 0% or 100% (whose logit is infinite,
    which phe_sii refuses too). Populations are the denominators, so each quintile weighs as many as it holds."""
    quintiles = [c for c in columns if c.value in (1, 2, 3, 4, 5)]
    out = []
    for key, label, _num, _den in MEASURES:
        cells = [c.cells[key] for c in quintiles]
        if len(cells) < 5 or any(cell.rate is None or cell.lower <= 0 or cell.upper >= 1 for cell in cells):
            continue
        found = sii_rii([c.rate for c in cells], [c.n for c in cells], [c.lower for c in cells],
                        [c.upper for c in cells], value_type="proportion", transform=True, multiplier=100,
                        reps=GRADIENT_REPS, seed=0)
        rii = {k: None if math.isnan(found[k]) else found[k] for k in ("rii", "rii_lower", "rii_upper")}
        out.append(Gradient(key, label, IMPROVEMENT[key], found["sii"], found["sii_lower"], found["sii_upper"],
                            **rii))
    return out


@dataclass(frozen=True)
class CrossTable:
    """One measure by IMD quintile (rows) and another segment (columns), with row and column totals."""

    measure: str
    column_label: str
    rows: list[tuple[str, list[Cell]]]
    columns: list[str]


def cross_table(session: Session, period: Period, column_segment: str, measure: str,
                hidden: set[tuple] | None = None, now: datetime | None = None) -> CrossTable:
    """An intersectional table: `measure` for each IMD quintile x `column_segment` value (unknowns included).

    In a shared view its cells in `hidden` are hidden: shared_hidden's, with every other table of the period.
    """
    if column_segment not in CROSS_SEGMENTS:
        raise ValueError(f"no intersectional table for {column_segment}")
    _key, _label, num, den = next(m for m in MEASURES if m[0] == measure)
    imd = segments.IMD_QUINTILE.key
    found = {(r["row"], r["column"]): r for r in queries.cross_counts(session, period, imd, column_segment)}
    pending = queries.pending(session, period, {"row": queries.SEGMENTS[imd],
                                                "column": queries.SEGMENTS[column_segment]}, now or datetime.now(UTC))
    row_values, column_values = segment_values(imd), segment_values(column_segment)

    def grid(name: str) -> list[list[int | str]]:
        return [[_published(derived(found.get((rv, cv)), pending.get((rv, cv)))[name],
                            (name, column_segment, rv, cv), hidden)
                 for cv, _ in column_values] for rv, _ in row_values]

    xs, ns = grid(num), grid(den)
    rows = []
    for (_value, label), x_row, n_row in zip(row_values, xs, ns, strict=True):
        cells = []
        for x, n in zip(x_row, n_row, strict=True):
            if stats.SUPPRESSED in (x, n) or n == 0:
                cells.append(Cell(x, n, None, None, None))
            else:
                cells.append(Cell(x, n, x / n, *stats.wilson_ci(x, n)))
        rows.append((label, cells))
    return CrossTable(measure, SEGMENT_LABELS[column_segment], rows, [label for _v, label in column_values])
