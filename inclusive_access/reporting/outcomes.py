"""Outcome equity tables: for each instrument, completion at both time points first (missing follow-ups are not
random), then the mean change (positive = better), the share reaching the minimal important change and the median
time to improvement; experience (PREM) scores; urgent contacts within 30 days. Per segment value, each with its
unknown row, from outcome_queries' sums, with small-number suppression when shared."""
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from inclusive_access.domain.instruments import Instrument, for_pathway
from inclusive_access.reporting import means, outcome_queries, periods, queries, stats, suppression
from inclusive_access.reporting.outcome_queries import COUNTS, URGENT_COUNTS, F, Scope
from inclusive_access.reporting.queries import SEGMENTS, Period
from inclusive_access.reporting.shared_view import shared_hidden
from inclusive_access.reporting.tables import SEGMENT_LABELS, Cell, segment_values

#: the table of urgent contacts, beside the instruments' ids in suppression keys
URGENT = "urgent"


@dataclass(frozen=True)
class Row:
    """One line of a table: a share (x of n), a mean (of n, from sums named by `total` and `squares`), or a
    median of days (of n)."""

    key: str
    label: str
    kind: str  #: "share", "mean" or "median"
    n: str
    x: str | None = None
    total: str | None = None
    squares: str | None = None


PROM_ROWS = (
    Row("baseline", "Baseline answered, of those seen", "share", "seen", x="with_baseline"),
    Row("both", "Baseline and follow-up answered, of those seen and discharged", "share", "closed", x="with_both"),
    Row("change", "Mean change, follow-up minus baseline (positive is better)", "mean", "with_both",
        total="change_sum", squares="change_squares"),
    Row("improved", "Reached the minimal important change", "share", "with_both", x="improved"),
    Row("days", "Median days from baseline to improvement, of those improved", "median", "improved"),
)
PREM_ROWS = (
    Row("answered", "Answered, of those seen", "share", "seen", x="answered"),
    Row("score", "Mean score", "mean", "answered", total="score_sum", squares="score_squares"),
)
URGENT_ROWS = (
    Row("after_referral", "Urgent contact within 30 days of referral", "share", "referrals", x="after_referral"),
    Row("after_discharge", "Urgent contact within 30 days of discharge", "share", "discharged", x="after_discharge"),
)


@dataclass(frozen=True)
class Mean:
    """A mean of n values with its t 95% interval (None without one: no values, or a single one)."""

    n: int | str
    mean: float | None
    lower: float | None
    upper: float | None


@dataclass
class Column:
    """One segment value's figures: Cell for a share, Mean for a mean or a median (its interval None)."""

    value: object
    label: str
    figures: dict[str, Cell | Mean] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    """One instrument's (or the urgent contacts') rows for each value of the segment."""

    key: str  #: the instrument's id, or URGENT
    title: str
    rows: tuple[Row, ...]
    columns: list[Column]
    instrument: Instrument | None = None


def in_view(instruments: dict[str, Instrument], period: Period) -> list[Instrument]:
    """The instruments the period's pathway uses (all, over every pathway): outcome measures first."""
    chosen = for_pathway(instruments.values(), period.pathway) if period.pathway else list(instruments.values())
    return sorted(chosen, key=lambda instrument: (instrument.kind != "prom", instrument.title))


def _found(session: Session, period: Period, instrument: Instrument | None, segment: str,
           now: datetime) -> dict[object, dict]:
    """The sums of one table per segment value, the values checked against those the report lists."""
    if instrument is None:
        found = outcome_queries.urgent_by(session, period, SEGMENTS[segment], now)
    else:
        found = outcome_queries.segment_sums(session, Scope(period, instrument), segment)
    unlisted = set(found) - {value for value, _label in segment_values(segment)}
    if unlisted:  # every stored value must be listed, so no group silently drops out of a report
        raise ValueError(f"{segment} has values the report does not list: {sorted(map(str, unlisted))}")
    return found


#: an outcome count -> the count of the dashboard's segment tables that counts the same referrals whenever their
#: values agree (every urgent window over; a questionnaire used on every pathway in view)
TWINS = {"referrals": "referrals", "discharged": "discharged", "seen": "first_contacts"}


def _dashboard_hidden(session: Session, period: Period, now: datetime) -> tuple[dict[tuple, int], set[tuple]]:
    """The dashboard's shared view of the period: the TWINS counts of its segment tables, and what it hides."""
    shown = {(name, segment, row["segment"]): row[name] for segment in SEGMENT_LABELS
             for row in queries.counts_by(session, period, segment) for name in set(TWINS.values())}
    return shown, shared_hidden(session, period, now)


#: (row key, label, numerator, denominator) charted per outcome measure: completion first, as in the tables
CHARTED = (("both", "Baseline and follow-up answered", "with_both", "closed"),
           ("improved", "Reached the minimal important change", "improved", "with_both"))
CHARTED_COUNTS = tuple(dict.fromkeys(name for *_row, num, den in CHARTED for name in (num, den)))
#: the run charts' reach: months received, and the quarters that end with the period's last month's
MONTHS, QUARTERS = 24, 8


def quarter_labels(last_month: str, count: int) -> list[str]:
    """The `count` quarters ('YYYY-Qn') ending with the one holding `last_month`, oldest first."""
    year, quarter = int(last_month[:4]), (int(last_month[5:]) - 1) // 3 + 1
    labels = []
    for _ in range(count):
        labels.append(f"{year:04d}-Q{quarter}")
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return labels[::-1]


def charted_sums(session: Session, period: Period, instrument: Instrument) -> dict[tuple[str, str], dict]:
    """CHARTED_COUNTS of an outcome measure by ("month", month) received over MONTHS and by ("quarter", quarter)
    over QUARTERS, ending with the period's last month: one grouped query by month, the quarters summed from its
    months (8 quarters ending with the last month's lie within its 24 months)."""
    months = periods.month_range(periods.months_back(period.last, MONTHS), period.last)
    by_month = outcome_queries.sums_by(session, Scope(Period(months[0], period.last, period.pathway), instrument),
                                       F.received_month)
    out = {("month", m): {name: by_month.get(m, {}).get(name, 0) for name in CHARTED_COUNTS} for m in months}
    out |= {("quarter", q): dict.fromkeys(CHARTED_COUNTS, 0) for q in quarter_labels(period.last, QUARTERS)}
    for m in months:
        quarter = out.get(("quarter", periods.quarter_of(m)))
        for name in CHARTED_COUNTS if quarter is not None else ():
            quarter[name] += out["month", m][name]
    return out


def _chart_relations(key: str, points: dict[tuple[str, str], dict], period: Period) -> list[dict[tuple, int]]:
    """What an analyst knows of a measure's charts: each quarter is its charted months, and the period's months
    (when the charts reach back to its first) are the period's total, which its tables share."""
    months = [label for by, label in points if by == "month"]
    relations = []
    for name in CHARTED_COUNTS:
        if months and months[0] <= period.first:
            relations.append({(key, name, "month", m): 1 for m in months if m >= period.first} | {(key, name): -1})
        relations += [{(key, name, "month", m): 1 for m in months if periods.quarter_of(m) == quarter}
                      | {(key, name, "quarter", quarter): -1} for by, quarter in points if by == "quarter"]
    return relations


def hidden_counts(session: Session, period: Period, instruments: list[Instrument],
                  now: datetime) -> set[tuple]:
    """The counts a shared view hides: every segment's table of every instrument and of urgent contacts, since
    any of them can be shown for the period, so no "*" is worked out from another table. Each table's values of a
    segment sum to the same unpublished total. A count equal to its twin on the dashboard (TWINS) is hidden
    wherever the dashboard hides that twin, so a cell hidden there is not shown here. An outcome measure's run
    charts publish its CHARTED_COUNTS by month and quarter, linked to the tables through the period's total. Keys:
    (table key, count, segment, value), and (table key, count, "month" or "quarter", its label)."""
    twins, dashboard_hidden = _dashboard_hidden(session, period, now)
    counts: dict[tuple, int | None] = {}
    relations = []
    for segment in SEGMENT_LABELS:
        values = [value for value, _label in segment_values(segment)]
        for instrument in (*instruments, None):
            found = _found(session, period, instrument, segment, now)
            key = instrument.id if instrument else URGENT
            for name in COUNTS[instrument.kind] if instrument else URGENT_COUNTS:
                for v in values:
                    count, twin = found.get(v, {}).get(name, 0), (TWINS.get(name), segment, v)
                    counts[key, name, segment, v] = (None if twin in dashboard_hidden and twins.get(twin, 0) == count
                                                     else count)
                relations.append({(key, name, segment, v): 1 for v in values} | {(key, name): -1})
    for instrument in (i for i in instruments if i.kind == "prom"):
        points = charted_sums(session, period, instrument)
        counts |= {(instrument.id, name, *point): sums[name] for point, sums in points.items()
                   for name in CHARTED_COUNTS}
        relations += _chart_relations(instrument.id, points, period)
    return suppression.suppress_linked(counts, relations)


def _figure(row: Row, sums: dict, median: dict | None, shown) -> Cell | Mean:
    n = shown(row.n)
    if row.kind == "share":
        x = shown(row.x)
        if sums[row.n] == 0 or stats.SUPPRESSED in (x, n):
            return Cell(x, n, None, None, None)
        return Cell(x, n, sums[row.x] / sums[row.n], *stats.wilson_ci(sums[row.x], sums[row.n]))
    if sums[row.n] == 0 or n == stats.SUPPRESSED:
        return Mean(n, None, None, None)
    if row.kind == "mean":
        return Mean(n, *means.mean_ci(sums[row.n], sums[row.total], sums[row.squares]))
    return Mean(n, median["median"] if median else None, None, None)


def table(session: Session, period: Period, segment: str, instrument: Instrument | None,
          hidden: set[tuple] | None = None, now: datetime | None = None) -> Table:
    """One instrument's table (instrument None: the urgent contacts') for each value of `segment`; counts in
    `hidden` show as "*", with nothing derived from them."""
    found = _found(session, period, instrument, segment, now or datetime.now(UTC))
    key = instrument.id if instrument else URGENT
    if instrument is None:
        rows, title, medians = URGENT_ROWS, "Urgent contacts", {}
    else:
        rows, title = PROM_ROWS if instrument.kind == "prom" else PREM_ROWS, instrument.title
        medians = (outcome_queries.median_days_to_improvement(session, Scope(period, instrument), segment)
                   if instrument.kind == "prom" else {})
    empty = dict.fromkeys(COUNTS[instrument.kind] if instrument else URGENT_COUNTS, 0)
    columns = []
    for value, label in segment_values(segment):
        sums = empty | found.get(value, {})

        def shown(name: str, value=value, sums=sums) -> int | str:
            return stats.SUPPRESSED if hidden and (key, name, segment, value) in hidden else sums[name]

        figures = {row.key: _figure(row, sums, medians.get(value), shown) for row in rows}
        columns.append(Column(value, label, figures))
    return Table(key, title, rows, columns, instrument)


def shared_hidden_for(session: Session, period: Period, instruments: dict[str, Instrument],
                      now: datetime | None = None) -> set[tuple]:
    """What a shared view of the period hides, in its tables and its run charts alike (hidden_counts)."""
    return hidden_counts(session, period, in_view(instruments, period), now or datetime.now(UTC))


def tables(session: Session, period: Period, segment: str, instruments: dict[str, Instrument],
           hidden: set[tuple] | None = None, now: datetime | None = None) -> list[Table]:
    """Every instrument in view's table, then the urgent contacts'; for a shared view, `hidden` is what
    shared_hidden_for hides."""
    now = now or datetime.now(UTC)
    return [table(session, period, segment, instrument, hidden, now)
            for instrument in (*in_view(instruments, period), None)]
