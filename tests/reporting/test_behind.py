"""The referrals behind each figure of the equity dashboard: the list's total is the figure, for every count and
segment value of a seeded history, every intersectional cell, every month charted, and each median's waits."""
import statistics
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from inclusive_access.domain import appointments, fact_counts, facts
from inclusive_access.domain.policy import Policy
from inclusive_access.models import ReferralFact
from inclusive_access.reporting import behind, kpi, queries, tables
from inclusive_access.reporting.behind import Cell
from inclusive_access.reporting.queries import Period
from tests.demo_snapshots import TO_JUNE, same_demo
from tests.factories import (
    JUDGED_Q1_WAITS,
    JUDGED_Q5_WAITS,
    accepted,
    book,
    complete,
    make_referral,
    miss,
    staff,
    wait_gap_month,
)

#: every row on one page, to read a whole list
ALL = 10_000


#: the day the seeded history runs to
NOW = TO_JUNE["now"]
pytestmark = same_demo(**TO_JUNE)


def _on(day: int) -> datetime:
    return datetime(2026, 6, day, 9, tzinfo=UTC)


@pytest.fixture
def history(db_session, load_demo) -> Period:
    """The demo's random year of work up to NOW (triage, clarifications, DNAs, barrier checks, adjustments,
    discharges, re-referrals), and the months it was received over. On top, in IMD quintile 1 this June: a referral
    that missed two appointments, on the 3rd (rebooked on the 5th) and on the 12th (pending at NOW), one that missed
    one on the 4th and was not rebooked within 14 days, and one whose patient arrived too late to be seen."""
    load_demo(**TO_JUNE)
    clinician = staff(db_session, "clinician")
    twice, lapsed, late = (accepted(db_session, clinician, imd_decile="1") for _ in range(3))
    complete(db_session, clinician, miss(db_session, clinician, twice, starts_at=_on(3)))
    miss(db_session, clinician, twice, starts_at=_on(12), booked_at=_on(5))
    miss(db_session, clinician, lapsed, starts_at=_on(4))
    slot = book(db_session, clinician, late, _on(8), now=_on(2))
    appointments.record_outcome(db_session, clinician, slot, slot.version, "late_not_seen", now=_on(8))
    db_session.commit()
    return Period(*queries.months_with_referrals(db_session))


def _shown(column: tables.Column) -> dict[str, int]:
    """Each count a segment table's column shows: referrals, each measure's numerator and denominator, the pending
    DNAs and the n of its waits."""
    shown = {"referrals": column.referrals, behind.PENDING: column.dnas_pending, behind.WAITS: column.wait_n}
    for key, _label, num, den in tables.MEASURES:
        shown |= {num: column.cells[key].x, den: column.cells[key].n}
    return shown


def _segment_tables(session, period: Period):
    """(where, figure, shown) for every count of every segment table."""
    for segment in tables.SEGMENT_LABELS:
        for column in tables.segment_table(session, period, segment, now=NOW):
            for figure, shown in _shown(column).items():
                yield Cell(period, ((segment, column.value),)), figure, shown


def _intersectional_tables(session, period: Period):
    """(where, figure, shown) for each measure's numerator and denominator in every cell of IMD by ethnic group."""
    quintiles = [q for q, _label in tables.segment_values("imd_quintile")]
    groups = [g for g, _label in tables.segment_values("ethnic_group")]
    for key, _label, num, den in tables.MEASURES:
        table = tables.cross_table(session, period, "ethnic_group", key, now=NOW)
        for quintile, (_row, row_cells) in zip(quintiles, table.rows, strict=True):
            for group, cell in zip(groups, row_cells, strict=True):
                where = Cell(period, (("imd_quintile", quintile), ("ethnic_group", group)))
                yield where, num, cell.x
                yield where, den, cell.n


def _rate_charts(session, period: Period):
    """(where, figure, shown) for the denominator of each month of each rate chart (by month received)."""
    for chart in tables.rate_charts(session, period, now=NOW):
        den = next(den for key, _label, _num, den in tables.MEASURES if key == chart.key)
        for point, shown in zip(chart.chart.points, chart.counts, strict=True):
            yield Cell(Period(point.label, point.label)), den, shown


def test_every_count_the_dashboard_shows_lists_as_many(db_session, history):
    """Each segment table's counts for every segment value (its "not known" too), every intersectional cell, and
    each month of the rate charts."""
    wrong, summed = [], 0
    for shown_by in (_segment_tables, _intersectional_tables, _rate_charts):
        for where, figure, shown in shown_by(db_session, history):
            found = behind.referrals_behind(db_session, figure, where, now=NOW)
            if found.total != shown:
                wrong.append(f"{figure} at {where}: listed {found.total}, shown {shown}")
            summed += found.total > found.page.total
    assert not wrong, wrong
    assert summed, "some referral holds more than one of a count (two DNAs): the list sums them"


def test_each_count_lists_exactly_the_referrals_that_count_towards_it_with_their_part(db_session, history):
    """The list's predicate agrees with each count's contribution, fact by fact (fact_counts.Count)."""
    rows = [{c: getattr(row, c) for c in facts.COLUMNS} for row in db_session.scalars(select(ReferralFact))]
    for name, count in fact_counts.COUNTED.items():
        expected = {row["referral_id"]: int(count.contribution(row)) for row in rows if count.contribution(row)}
        listed = behind.referrals_behind(db_session, name, Cell(history), per_page=ALL).page.rows
        assert {row.referral_id: row.number for row in listed} == expected, name
    assert set(behind.FIGURES) >= set(fact_counts.COUNTED), "every count can be traced"


def test_a_median_is_read_from_its_list_of_waits_shortest_first(db_session):
    """April's first contacts in MSK, ten in each of IMD quintiles 1 and 5: the segment table's medians, the KPI's
    by month of first contact and everyone's monthly median each list their waits."""
    wait_gap_month(db_session, staff(db_session, "clinician"), "2026-04", JUDGED_Q1_WAITS, JUDGED_Q5_WAITS)
    april = Period("2026-04", "2026-04")
    for column in tables.segment_table(db_session, april, "imd_quintile"):
        found = behind.referrals_behind(db_session, behind.WAITS, Cell(april, (("imd_quintile", column.value),)),
                                        per_page=ALL)
        waits = [row.number for row in found.page.rows]
        assert waits == sorted(waits)
        assert len(waits) == column.wait_n == (10 if column.value in (1, 5) else 0)
        if waits:
            assert statistics.median(waits) == pytest.approx(column.median_days)
            assert found.ranks["median"] == 5.5
    [series] = kpi.gap_series(db_session, ["msk"], "2026-05", Policy())
    month = next(m for m in series.months if m.q1_n)
    assert month.month == "2026-04", "the waits end in April: all within it"
    for quintile, n, median in ((1, month.q1_n, month.q1_value), (5, month.q5_n, month.q5_value)):
        found = behind.referrals_behind(db_session, behind.WAITS, Cell(
            Period("2025-01", "2025-01", "msk"), (("imd_quintile", quintile),), contacted=month.month), per_page=ALL)
        assert found.total == n == 10
        assert statistics.median(row.number for row in found.page.rows) == pytest.approx(median)
    everyone = dict(zip((p.label for p in kpi.median_wait_chart(db_session, None, "2026-05")[0].points),
                        kpi.median_wait_chart(db_session, None, "2026-05")[1], strict=True))
    assert behind.referrals_behind(db_session, behind.WAITS, Cell(Period("2026-05", "2026-05"),
                                                                   contacted="2026-04")).total == everyone["2026-04"]


def test_a_page_past_the_last_shows_the_last_and_pages_follow_on(db_session):
    for day in range(1, 16):
        make_referral(db_session, received_at=f"2026-06-{day:02d} 09:00")
    history = Period("2026-06", "2026-06")
    first = behind.referrals_behind(db_session, "referrals", Cell(history), page=1, per_page=7)
    second = behind.referrals_behind(db_session, "referrals", Cell(history), page=2, per_page=7)
    whole = behind.referrals_behind(db_session, "referrals", Cell(history), per_page=ALL)
    assert [r.referral_id for r in first.page.rows + second.page.rows] == [
        r.referral_id for r in whole.page.rows[:14]]
    beyond = behind.referrals_behind(db_session, "referrals", Cell(history), page=999, per_page=7)
    assert beyond.page.page == beyond.page.pages == -(-whole.total // 7)


def test_a_link_carries_every_reported_value_and_only_those():
    for segment in tables.SEGMENT_LABELS:
        for value, _label in tables.segment_values(segment):
            assert behind.segment_value(segment, behind.value_key(value)) == value
    with pytest.raises(KeyError):
        behind.segment_value("imd_quintile", "6")
