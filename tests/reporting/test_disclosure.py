"""A differencing attack on everything a shared view publishes for a year of demo data: every table of every
segment, every intersectional table of every measure, and the month-by-month rate charts and completeness table,
set against one another. No hidden 1-7 may come back."""
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from inclusive_access.domain import segments, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.reporting import shared_view, stats, tables
from inclusive_access.reporting.queries import Period
from tests.demo_snapshots import A_YEAR, same_demo
from tests.factories import SCRIPT, make_referral, make_user, miss

YEAR = Period("2025-12", "2026-11")
JUNE = Period("2026-06", "2026-06")
IMD = segments.IMD_QUINTILE.key
MONTH = "month"
#: segment -> the referrals a completeness share counts, and the rest
PARTS = {segments.ETHNIC_GROUP.key: ("ethnic_group_stated", "ethnic_group_not_stated"),
         IMD: ("imd_recorded", "imd_not_recorded")}
#: the values the completeness table counts as not stated or not recorded
UNKNOWN = {"Not stated", "Not known", None}


def _published(session, period: Period, hidden: set[tuple] | None, now=None) -> dict[tuple, int | str]:
    """Every count the export holds, keyed as the analyst would: (count, segment, value) or (count, segment,
    quintile, value)."""
    out = {}
    for segment in tables.SEGMENT_LABELS:
        for column in tables.segment_table(session, period, segment, hidden, now):
            out["referrals", segment, column.value] = column.referrals
            out["dnas_pending", segment, column.value] = column.dnas_pending
            for key, _label, num, den in tables.MEASURES:
                out[num, segment, column.value] = column.cells[key].x
                out[den, segment, column.value] = column.cells[key].n
    quintiles = [q for q, _label in tables.segment_values(IMD)]
    for segment in tables.CROSS_SEGMENTS:
        values = [v for v, _label in tables.segment_values(segment)]
        for key, _label, num, den in tables.MEASURES:
            table = tables.cross_table(session, period, segment, key, hidden)
            for q, (_row_label, cells) in zip(quintiles, table.rows, strict=True):
                for v, cell in zip(values, cells, strict=True):
                    out[num, segment, q, v], out[den, segment, q, v] = cell.x, cell.n
    return out | _monthly(session, period, hidden, now)


def _times(share: float | None, n: int | str) -> int | str:
    """The count a share (%) of n gives away, where both are shown."""
    if n == 0:
        return 0
    return stats.SUPPRESSED if share is None or n == stats.SUPPRESSED else round(share * n / 100)


def _less(a: int | str, b: int | str) -> int | str:
    return stats.SUPPRESSED if stats.SUPPRESSED in (a, b) else a - b


def _monthly(session, period: Period, hidden: set[tuple] | None, now) -> dict[tuple, int | str]:
    """What the period's months give away: each rate chart's denominator and, from its rate, its numerator; the DNAs
    pending, from the DNAs and the DNAs decided; the completeness table's referrals and, from each share, those in
    it and those not."""
    out = {}
    for chart in tables.rate_charts(session, period, hidden, now=now):
        _key, _label, num, den = next(m for m in tables.MEASURES if m[0] == chart.key)
        for point, n in zip(chart.chart.points, chart.counts, strict=True):
            if period.first <= point.label <= period.last:
                out[den, MONTH, point.label], out[num, MONTH, point.label] = n, _times(point.value, n)
    for month in {key[2] for key in out}:
        if ("dnas", MONTH, month) in out and ("dnas_decided", MONTH, month) in out:  # both charted that month
            out["dnas_pending", MONTH, month] = _less(out["dnas", MONTH, month], out["dnas_decided", MONTH, month])
    for row in tables.completeness(session, period, hidden):
        n = out["referrals", MONTH, row["month"]] = row["referrals"]
        for share, (known, unknown) in zip((row["ethnicity_pct"], row["imd_pct"]), PARTS.values(), strict=True):
            out[known, MONTH, row["month"]] = _times(share, n)
            out[unknown, MONTH, row["month"]] = _less(n, out[known, MONTH, row["month"]])
    return out


def _relations(published: dict) -> list[dict]:
    """What the analyst knows: each table sums to the same total, an intersectional table's rows and columns sum to
    the two segments' tables, a flag's flagged referrals are all flagged, what is pending and the rest make up each
    count that has a part pending, the deprivation flag is IMD quintile 1."""
    names = {key[0] for key in published}
    quintiles = [q for q, _label in tables.segment_values(IMD)]
    relations = []
    for name in names:
        for segment in tables.SEGMENT_LABELS:
            values = [v for v, _label in tables.segment_values(segment)]
            if (name, segment, values[0]) in published:
                relations.append({(name, segment, v): 1 for v in values} | {(name, "total"): -1})
        for segment in tables.CROSS_SEGMENTS:
            values = [v for v, _label in tables.segment_values(segment)]
            if (name, segment, quintiles[0], values[0]) not in published:
                continue
            relations += [{(name, segment, q, v): 1 for v in values} | {(name, IMD, q): -1} for q in quintiles]
            relations += [{(name, segment, q, v): 1 for q in quintiles} | {(name, segment, v): -1} for v in values]
        relations += [{(name, "flag_deprivation", q, v): 1} for q in quintiles for v in (True, False)
                      if (q == 1) != v and (name, "flag_deprivation", q, v) in published]
    for segment in (flag.key for flag in segments.FLAG_SEGMENTS):
        relations += [{("flagged", *place): 1, ("referrals", *place): -1}
                      for place in [(segment, True), *((segment, q, True) for q in quintiles)]]
    months = sorted({key[2] for key in published if key[1] == MONTH})
    relations += [{(name, MONTH, m): 1 for m in months} | {(name, "total"): -1}
                  for name in {key[0] for key in published if key[1] == MONTH}]
    places = [(MONTH, m) for m in months] + [(s, v) for s in tables.SEGMENT_LABELS
                                              for v, _label in tables.segment_values(s)]
    places += [(s, q, v) for s in tables.CROSS_SEGMENTS for q in quintiles for v, _label in tables.segment_values(s)]
    relations += [{(rest, *place): 1, (part, *place): 1, (whole, *place): -1}
                  for whole, (part, rest) in tables.PENDING.items() for place in places]
    for segment, (known, unknown) in PARTS.items():
        relations += [{(known, MONTH, m): 1, (unknown, MONTH, m): 1, ("referrals", MONTH, m): -1} for m in months]
        values = [v for v, _label in tables.segment_values(segment)]
        for part, is_unknown in ((known, False), (unknown, True)):
            relations.append({(part, "total"): 1}
                             | {("referrals", segment, v): -1 for v in values if (v in UNKNOWN) == is_unknown})
    return relations


def _attack(published: dict) -> dict[tuple, Fraction]:
    """The hidden counts worked out exactly: exact equations by elimination, then bounds (counts are never
    negative, a numerator never exceeds its denominator) propagated through every equation until nothing moves."""
    unknown = {key for key, v in published.items() if v == stats.SUPPRESSED}
    equations = []
    for relation in _relations(published):
        row = {key: Fraction(c) for key, c in relation.items() if key in unknown or key not in published}
        constant = -sum(c * published[key] for key, c in relation.items() if key in published and key not in row)
        equations.append((row, Fraction(constant)))
    reduced: dict[tuple, tuple[dict, Fraction]] = {}  # Gauss-Jordan: pivot -> its fully reduced row
    for row, constant in equations:
        for pivot in [k for k in row if k in reduced]:
            if row.get(pivot):
                (pivot_row, pivot_constant), f = reduced[pivot], row[pivot]
                row = {k: c for k in row.keys() | pivot_row.keys() if (c := row.get(k, 0) - f * pivot_row.get(k, 0))}
                constant -= f * pivot_constant
        if row:
            pivot = next(iter(row))
            scale = row[pivot]
            row, constant = {k: c / scale for k, c in row.items()}, constant / scale
            for other_pivot, (other, other_constant) in list(reduced.items()):
                if other.get(pivot):
                    f = other[pivot]
                    other = {k: c for k in other.keys() | row.keys() if (c := other.get(k, 0) - f * row.get(k, 0))}
                    reduced[other_pivot] = (other, other_constant - f * constant)
            reduced[pivot] = (row, constant)
    keys = {k for row, _c in reduced.values() for k in row} | unknown
    low = {k: Fraction(0) for k in keys}
    high: dict = {k: None for k in keys}
    for name, *place in published:  # x <= n where a measure pairs them and n is shown
        for _key, _label, num, den in tables.MEASURES:
            n = published.get((den, *place))
            if name == num and n not in (None, stats.SUPPRESSED):
                high[(name, *place)] = n if high.get((name, *place)) is None else min(high[(name, *place)], n)
    for _round in range(30):
        moved = False
        for row, constant in [*reduced.values(), *equations]:
            for k, a in row.items():
                rest_low, rest_high = constant, constant  # a*x_k = constant - sum(others)
                for j, b in row.items():
                    if j == k:
                        continue
                    lo, hi = (b * low[j], None if high[j] is None else b * high[j])
                    if b < 0:
                        lo, hi = (None if high[j] is None else b * high[j]), b * low[j]
                    rest_high = None if rest_high is None or lo is None else rest_high - lo
                    rest_low = None if rest_low is None or hi is None else rest_low - hi
                bounds = (rest_low, rest_high) if a > 0 else (rest_high, rest_low)
                new_low = None if bounds[0] is None else bounds[0] / a
                new_high = None if bounds[1] is None else bounds[1] / a
                if new_low is not None and new_low > low[k]:
                    low[k], moved = new_low, True
                if new_high is not None and (high[k] is None or new_high < high[k]):
                    high[k], moved = new_high, True
        if not moved:
            break
    return {k: low[k] for k in unknown if high[k] is not None and low[k] == high[k]}


def _recovered(session, period: Period, now=None) -> dict[tuple, int]:
    """The small counts the attack works out of the shared view, checked against the unhidden one."""
    truth = _published(session, period, None, now)
    shared = _published(session, period, shared_view.shared_hidden(session, period, now), now)
    hidden = [key for key, v in shared.items() if v == stats.SUPPRESSED]
    assert any(1 <= truth[key] <= 7 for key in hidden), "there are small counts to protect"
    return {key: value for key, value in _attack(shared).items() if value == truth[key] and 1 <= value <= 7}


@same_demo(**A_YEAR)
def test_no_hidden_small_count_of_a_years_shared_export_can_be_worked_out(db_session, load_demo):
    load_demo(**A_YEAR)
    assert _recovered(db_session, YEAR) == {}


def test_a_months_completeness_shares_do_not_give_back_the_unknown_rows(db_session):
    """June: 15 referrals in IMD quintile 5 and White British, 5 with neither an IMD decile nor an ethnic category
    known. The month's referrals and its shares stated and recorded would give the 5 back."""
    for day in range(20):
        known = day < 15
        make_referral(db_session, received_at=f"2026-06-{day + 1:02d} 10:00", imd_decile="9" if known else "",
                      ethnic_category="A" if known else "99")
    assert _recovered(db_session, JUNE) == {}


def test_the_dnas_pending_do_not_give_back_the_dnas_decided(db_session):
    """As of 20 June, 12 referrals in quintile 5 each missed one appointment: 9 on 10 June, still within their 14
    days, and 3 on 3 June, unrebooked. The DNAs and those pending would give the 3 decided back."""
    clinician = actor_for(make_user(db_session, "clinician"))
    for day in range(12):
        referral = make_referral(db_session, received_at=f"2026-06-{day // 4 + 1:02d} 08:00", imd_decile="9")
        triaged = referral.received_at + timedelta(hours=1)
        triage.triage_referral(db_session, clinician, referral, referral.version, SCRIPT, [], "accept", now=triaged)
        miss(db_session, clinician, referral, starts_at=datetime(2026, 6, 10 if day >= 3 else 3, 9, tzinfo=UTC),
             booked_at=triaged + timedelta(minutes=30))
    assert _recovered(db_session, JUNE, now=datetime(2026, 6, 20, 9, tzinfo=UTC)) == {}
