"""A differencing attack on everything a shared view publishes for a year of demo data: every table of every
segment and every intersectional table of every measure, set against one another. No hidden 1-7 may come back."""
from fractions import Fraction

from inclusive_access.domain import segments
from inclusive_access.reporting import stats, tables
from inclusive_access.reporting.queries import Period
from tests.demo_snapshots import A_YEAR, same_demo

YEAR = Period("2025-12", "2026-11")
IMD = segments.IMD_QUINTILE.key


def _published(session, hidden: set[tuple] | None) -> dict[tuple, int | str]:
    """Every count the export holds, keyed as the analyst would: (count, segment, value) or (count, segment,
    quintile, value)."""
    out = {}
    for segment in tables.SEGMENT_LABELS:
        for column in tables.segment_table(session, YEAR, segment, hidden):
            out["referrals", segment, column.value] = column.referrals
            for key, _label, num, den in tables.MEASURES:
                out[num, segment, column.value] = column.cells[key].x
                out[den, segment, column.value] = column.cells[key].n
    quintiles = [q for q, _label in tables.segment_values(IMD)]
    for segment in tables.CROSS_SEGMENTS:
        values = [v for v, _label in tables.segment_values(segment)]
        for key, _label, num, den in tables.MEASURES:
            table = tables.cross_table(session, YEAR, segment, key, hidden)
            for q, (_row_label, cells) in zip(quintiles, table.rows, strict=True):
                for v, cell in zip(values, cells, strict=True):
                    out[num, segment, q, v], out[den, segment, q, v] = cell.x, cell.n
    return out


def _relations(published: dict) -> list[dict]:
    """What the analyst knows: each table sums to the same total, an intersectional table's rows and columns sum to
    the two segments' tables, a flag's flagged referrals are all flagged, the deprivation flag is IMD quintile 1."""
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


@same_demo(**A_YEAR)
def test_no_hidden_small_count_of_a_years_shared_export_can_be_worked_out(db_session, load_demo):
    load_demo(**A_YEAR)
    truth = _published(db_session, None)
    shared = _published(db_session, tables.shared_hidden(db_session, YEAR))
    hidden = [key for key, v in shared.items() if v == stats.SUPPRESSED]
    assert any(1 <= truth[key] <= 7 for key in hidden), "the demo year has small counts to protect"
    recovered = {key: value for key, value in _attack(shared).items() if value == truth[key] and 1 <= value <= 7}
    assert recovered == {}
