"""Equity tables: every segment with its unknown row, Wilson intervals from the counts, suppression when shared."""
import csv
import io
import math
from datetime import UTC, datetime, timedelta

import pytest

from inclusive_access.domain import appointments, clarification, triage
from inclusive_access.domain.actors import actor_for
from inclusive_access.reporting import exports, shared_view, stats, tables
from inclusive_access.reporting.queries import Period
from tests import factories
from tests.factories import SCRIPT, accept_and_attend, book, complete, make_referral, make_user, miss

JUNE = Period("2026-06", "2026-06")


def _received(session, n: int, **patient) -> list:
    return [make_referral(session, received_at=f"2026-06-{day + 1:02d} 10:00", **patient) for day in range(n)]


def test_every_imd_row_is_listed_with_the_unknown_row_even_when_empty(db_session):
    _received(db_session, 3, imd_decile="1")  # quintile 1
    _received(db_session, 2, imd_decile="")  # not known
    columns = tables.segment_table(db_session, JUNE, "imd_quintile")
    assert [c.label for c in columns] == ["1 (most deprived)", "2", "3", "4", "5 (least deprived)", "Not known"]
    assert [c.referrals for c in columns] == [3, 0, 0, 0, 0, 2]
    empty = columns[1].cells["accepted"]
    assert (empty.x, empty.n, empty.rate, empty.lower) == (0, 0, None, None)


def test_rates_and_intervals_come_from_the_counts(db_session):
    clinician = actor_for(make_user(db_session, "clinician"))
    referrals = _received(db_session, 9, imd_decile="9")  # quintile 5
    for referral, days in zip(referrals[:4], (2, 4, 6, 30), strict=True):
        accept_and_attend(db_session, clinician, referral, days)
    column = tables.segment_table(db_session, JUNE, "imd_quintile")[4]
    accepted = column.cells["accepted"]
    assert (accepted.x, accepted.n) == (4, 9)
    assert accepted.rate == pytest.approx(4 / 9)
    assert (accepted.lower, accepted.upper) == pytest.approx(stats.wilson_ci(4, 9))
    assert column.wait_n == 4
    assert column.median_days == pytest.approx(5.0)  # between 4 and 6
    assert column.p90_days == pytest.approx(6 + 0.7 * 24)  # h = 3 * 0.9 + 1 = 3.7: x3 + 0.7 (x4 - x3)
    dna = column.cells["dna_rate"]
    assert (dna.x, dna.n, dna.rate) == (0, 4, 0.0)


def test_a_shared_view_hides_small_counts_and_any_cell_a_total_would_reveal(db_session):
    _received(db_session, 20, imd_decile="1")
    _received(db_session, 3, imd_decile="5")
    internal = tables.segment_table(db_session, JUNE, "imd_quintile")
    shared = tables.segment_table(db_session, JUNE, "imd_quintile", shared_view.shared_hidden(db_session, JUNE))
    assert [c.referrals for c in internal] == [20, 0, 3, 0, 0, 0]
    published = [c.referrals for c in shared]
    assert published[2] == "*", "3 is a small count"
    assert published.count("*") >= 2, "a lone * is recovered from the total: a second cell is hidden too"
    assert shared[2].cells["accepted"].rate is None, "no rate is shown for a hidden count"


def test_the_csv_export_keeps_the_suppression(db_session):
    """Its cells are defused as every CSV's are (tests/test_csv_exports.py)."""
    _received(db_session, 2, imd_decile="1")
    columns = tables.segment_table(db_session, JUNE, "imd_quintile", shared_view.shared_hidden(db_session, JUNE))
    lines = exports.table_csv(columns, "IMD quintile").splitlines()
    assert lines[0] == "IMD quintile,measure,numerator,denominator,value,lower_95,upper_95"
    assert lines[1].startswith("1 (most deprived),Referrals received,*,"), lines[1]


def test_completeness_counts_stated_ethnicity_and_known_imd(db_session):
    _received(db_session, 3, ethnic_category="A", imd_decile="4")
    _received(db_session, 1, ethnic_category="Z", imd_decile="")
    _received(db_session, 1, ethnic_category="99", imd_decile="2")
    assert tables.completeness(db_session, JUNE) == [
        {"month": "2026-06", "referrals": 5, "ethnicity_pct": 60.0, "imd_pct": 80.0}]


def test_every_segment_lists_every_stored_value(db_session):
    _received(db_session, 2, sex="not_stated", date_of_birth="2015-01-01", housing_status="rough_sleeping")
    for segment in tables.SEGMENT_LABELS:
        columns = tables.segment_table(db_session, JUNE, segment)
        assert sum(c.referrals for c in columns) == 2, segment


def test_a_period_outside_the_history_is_empty(db_session):
    _received(db_session, 2)
    columns = tables.segment_table(db_session, Period("2025-01", "2025-03"), "ethnic_group")
    assert all(c.referrals == 0 for c in columns)
    assert tables.completeness(db_session, Period("2025-01", "2025-03")) == []


def test_received_month_follows_the_london_calendar(db_session):
    """00:30 BST on 1 July 2026 is 23:30 UTC on 30 June: it belongs to July."""
    make_referral(db_session, received_at="2026-07-01 00:30")
    assert tables.segment_table(db_session, Period("2026-07", "2026-07"), "sex")[0].referrals == 1


# -- intersectional tables, gradients, patients with an adjustment ------------------------------------------------

def test_an_intersectional_table_counts_each_imd_quintile_and_ethnic_group_pair(db_session):
    clinician = actor_for(make_user(db_session, "clinician"))
    asian_q1 = _received(db_session, 3, imd_decile="1", ethnic_category="H")  # Asian, quintile 1
    _received(db_session, 2, imd_decile="9", ethnic_category="A")  # White, quintile 5
    _received(db_session, 1, imd_decile="", ethnic_category="Z")  # not stated, IMD not known
    for referral in asian_q1[:2]:
        accept_and_attend(db_session, clinician, referral, 3)
    table = tables.cross_table(db_session, JUNE, "ethnic_group", "accepted")
    assert [label for label, _cells in table.rows] == ["1 (most deprived)", "2", "3", "4", "5 (least deprived)",
                                                       "Not known"]
    column = table.columns.index("Asian or Asian British")
    q1 = table.rows[0][1][column]
    assert (q1.x, q1.n, q1.rate) == (2, 3, pytest.approx(2 / 3))
    assert (q1.lower, q1.upper) == pytest.approx(stats.wilson_ci(2, 3))
    white_q5 = table.rows[4][1][table.columns.index("White")]
    assert (white_q5.x, white_q5.n) == (0, 2)
    unknown = table.rows[5][1][table.columns.index("Not stated")]
    assert (unknown.x, unknown.n) == (0, 1), "the unknown row and column are kept"
    assert sum(cell.n for _label, cells in table.rows for cell in cells) == 6


def test_a_shared_intersectional_table_hides_small_cells_and_what_the_totals_would_reveal(db_session):
    _received(db_session, 20, imd_decile="1", ethnic_category="A")
    _received(db_session, 3, imd_decile="1", ethnic_category="H")
    _received(db_session, 15, imd_decile="9", ethnic_category="A")
    table = tables.cross_table(db_session, JUNE, "ethnic_group", "accepted",
                               shared_view.shared_hidden(db_session, JUNE))
    ns = [[cell.n for cell in cells] for _label, cells in table.rows]
    assert ns[0][table.columns.index("Asian or Asian British")] == stats.SUPPRESSED
    assert sum(row.count(stats.SUPPRESSED) for row in ns) >= 2, "a lone * would be recovered from its row total"
    assert all(cell.rate is None for _label, cells in table.rows for cell in cells if cell.n == stats.SUPPRESSED)


def test_an_intersectional_table_by_a_flag_has_flagged_and_not_flagged_columns(db_session):
    _received(db_session, 2, imd_decile="1", housing_status="rough_sleeping")
    _received(db_session, 3, imd_decile="1")
    table = tables.cross_table(db_session, JUNE, "flag_housing", "accepted")
    assert table.columns == ["Flagged", "Not flagged"]
    assert [cell.n for cell in table.rows[0][1]] == [2, 3]
    with pytest.raises(ValueError, match="no intersectional table"):
        tables.cross_table(db_session, JUNE, "imd_quintile", "accepted")


def _expit(t: float) -> float:
    return 1 / (1 + math.exp(-t))


def test_a_proportions_gradient_is_fitted_on_the_logit_scale_so_its_intervals_stay_in_range(db_session):
    """Accepted 1, 4, 5, 6 and 8 of 10 across quintiles 1 to 5. On the measure's own scale the fitted most deprived
    end lies near 0, and the simulated RII interval ran from -103 to 117, the SII's up to 114 points.

    On the logit scale, with equal denominators (x = 0.1 .. 0.9), the slope is sum c_i logit(p_i) with
    c = (-1, -0.5, 0, 0.5, 1) and the fit at x = 0 is sum (0.2 - 0.5 c_i) logit(p_i); the ends are their expits."""
    clinician = actor_for(make_user(db_session, "clinician"))
    accepted_of_ten = {"1": 1, "3": 4, "5": 5, "7": 6, "9": 8}  # deciles standing for quintiles 1 to 5
    for decile, accepted in accepted_of_ten.items():
        for referral in _received(db_session, 10, imd_decile=decile)[:accepted]:
            triage.triage_referral(db_session, clinician, referral, referral.version, SCRIPT, [], "accept")
    found = {g.key: g for g in tables.gradients(tables.segment_table(db_session, JUNE, "imd_quintile"))}
    gradient = found["accepted"]
    assert 0 < gradient.rii_lower < gradient.rii < gradient.rii_upper
    assert -100 < gradient.sii_lower < gradient.sii < gradient.sii_upper < 100, "percentage points"
    logits = [math.log(k / (10 - k)) for k in accepted_of_ten.values()]
    c = (-1, -0.5, 0, 0.5, 1)
    slope = sum(ci * t for ci, t in zip(c, logits, strict=True))
    most = sum((0.2 - 0.5 * ci) * t for ci, t in zip(c, logits, strict=True))
    assert gradient.sii == pytest.approx(100 * (_expit(most + slope) - _expit(most)), abs=1e-9)
    assert gradient.rii == pytest.approx(_expit(most + slope) / _expit(most), abs=1e-9)
    assert gradient.improvement == "increase"
    assert "dna_rate" not in found, "no quintile had an appointment: no DNA gradient"
    assert "rejected" not in found, "no one was rejected: a rate of 0 has no logit"
    shared = tables.segment_table(db_session, JUNE, "imd_quintile", shared_view.shared_hidden(db_session, JUNE))
    assert tables.gradients(shared) == [], "counts of 1 to 7 are hidden for sharing, so no gradient is drawn from them"


def test_every_measure_says_which_way_is_better():
    assert set(tables.IMPROVEMENT) == set(tables.MEASURE_LABELS)
    assert set(tables.IMPROVEMENT.values()) <= set(tables.BETTER) == set(stats.IMPROVEMENTS)


def test_the_gradients_csv_gives_the_pages_units_and_no_interval_for_an_undefined_rii():
    defined = tables.Gradient("accepted", "Accepted", "increase", 41.234, 25.06, 55.54, 4.567, 1.234, 9.876)
    undefined = tables.Gradient("dna_rate", "Did not attend (DNA rate)", "decrease", -3.21, -9.87, 2.34,
                                None, 0.5, 2.0)
    rows = list(csv.reader(io.StringIO(exports.gradients_csv([defined, undefined]))))
    assert rows[0] == ["measure", "better", "sii_percentage_points", "sii_lower_95", "sii_upper_95", "rii",
                       "rii_lower_95", "rii_upper_95"]
    assert rows[1] == ["Accepted", "higher is better", "41.2", "25.1", "55.5", "4.57", "1.23", "9.88"]
    assert rows[2] == ["Did not attend (DNA rate)", "lower is better", "-3.2", "-9.9", "2.3", "", "", ""]


def test_each_median_has_its_order_statistic_interval(db_session):
    """Nine waits of 1 to 9 days: the 95% interval runs from the 2nd to the 8th (stats.median_ci(9)); four waits
    give (1, 4), the widest there is."""
    clinician = actor_for(make_user(db_session, "clinician"))
    for referral, days in zip(_received(db_session, 9, imd_decile="9"), range(1, 10), strict=True):
        accept_and_attend(db_session, clinician, referral, days)
    for referral, days in zip(_received(db_session, 4, imd_decile="1"), (3, 1, 4, 2), strict=True):
        accept_and_attend(db_session, clinician, referral, days)
    columns = tables.segment_table(db_session, JUNE, "imd_quintile")
    assert stats.median_ci(9) == (2, 8)
    assert (columns[4].median_days, columns[4].median_lower, columns[4].median_upper) == pytest.approx((5, 2, 8))
    assert (columns[0].median_days, columns[0].median_lower, columns[0].median_upper) == pytest.approx((2.5, 1, 4))
    assert (columns[1].median_lower, columns[1].median_upper) == (None, None), "no waits, no interval"
    csv_lines = exports.table_csv(columns, "IMD quintile").splitlines()
    assert "5 (least deprived),Referral to first contact: median days,,9,5.0,2.0,8.0" in csv_lines


def test_referrals_with_an_adjustment_in_place_are_counted_over_the_referrals(db_session):
    """In IMD quintile 3 (not flagged, so a rejection closes the referral at once): one patient's adjustment,
    recorded before a June referral; another patient's recorded only after theirs was rejected; two referrals
    without one (tests/domain/test_facts.py has every case of the fact itself)."""

    from inclusive_access.domain import adjustments

    clinician = actor_for(make_user(db_session, "clinician"))
    details = adjustments.AdjustmentDetails(category="timing", description="Afternoons", consent_basis="patient")
    known = make_referral(db_session, received_at="2026-03-02 10:00", imd_decile="5")
    adjustments.record_adjustment(db_session, clinician, known.patient, details, "patient_request",
                                  now=datetime(2026, 5, 1, 9, tzinfo=UTC))
    people = [make_referral(db_session, nhs_number=known.patient.nhs_number, received_at="2026-06-01 10:00"),
              *_received(db_session, 3, imd_decile="5")]
    triage.triage_referral(db_session, clinician, people[1], people[1].version, SCRIPT, [], "reject",
                           reason_code="wrong_service", reason_text="Falls service",
                           now=datetime(2026, 6, 1, 12, tzinfo=UTC))
    adjustments.record_adjustment(db_session, clinician, people[1].patient, details, "patient_request",
                                  now=datetime(2026, 6, 20, 9, tzinfo=UTC))
    cell = tables.segment_table(db_session, JUNE, "imd_quintile")[2].cells["adjustment_in_place"]
    assert (cell.x, cell.n) == (1, 4)
    assert cell.rate == pytest.approx(0.25)


def test_completeness_charts_start_at_the_first_month_with_referrals(db_session):
    _received(db_session, 4, imd_decile="1", ethnic_category="A")
    _received(db_session, 1, imd_decile="", ethnic_category="Z")
    charts = tables.completeness_charts(db_session, Period("2026-01", "2026-07"))
    (ethnicity_label, ethnicity), (imd_label, imd) = charts
    assert (ethnicity_label, imd_label) == ("Ethnic group stated", "IMD quintile recorded")
    assert [p.label for p in ethnicity.points] == ["2026-06", "2026-07"]
    assert [p.value for p in ethnicity.points] == [80.0, None]
    assert imd.mode == "run"
    assert imd.centre == 80.0


def test_rates_are_charted_by_month_received_each_in_its_own_direction(db_session):
    """June: one referral attended, one missed (DNA rate 50%); July: three attended, one missed (25%). Nothing was
    rebooked, no adjustment was due and nothing was flagged."""
    clinician = actor_for(make_user(db_session, "clinician"))
    for month, attending in (("06", 1), ("07", 3)):
        for day in range(attending):
            referral = make_referral(db_session, received_at=f"2026-{month}-{day + 1:02d} 10:00")
            accept_and_attend(db_session, clinician, referral, 3)
        triaged = datetime(2026, int(month), 10, 10, tzinfo=UTC)
        missed = factories.accepted(db_session, clinician, now=triaged, received_at=f"2026-{month}-10 09:00")
        factories.miss(db_session, clinician, missed, starts_at=triaged + timedelta(days=7), booked_at=triaged)
    found = {r.key: r for r in tables.rate_charts(db_session, Period("2026-07", "2026-07"))}
    assert {key: r.improvement for key, r in found.items()} == {
        "dna_rate": "decrease", "rebooked_in_14_days": "increase", "adjustments_met": "increase",
        "same_day_triage": "increase"}
    dna = found["dna_rate"]
    assert dna.chart.improvement == "decrease", "a falling DNA rate is the improvement"
    assert [(p.label, p.value) for p in dna.chart.points] == [("2026-06", 50.0), ("2026-07", 25.0)]
    assert dna.counts == [2, 4]
    assert [p.value for p in found["rebooked_in_14_days"].chart.points] == [0.0, 0.0]
    assert [(p.label, p.value) for p in found["adjustments_met"].chart.points] == [("2026-07", None)]
    july = Period("2026-07", "2026-07")
    shared = {r.key: r for r in tables.rate_charts(db_session, july, shared_view.shared_hidden(db_session, july))}
    assert [p.value for p in shared["dna_rate"].chart.points] == [None], "1 DNA of 2, and of 4: both left out"


def test_a_dna_still_within_its_14_days_is_pending_not_in_the_rebooking_denominator(db_session):
    """As of 20 June, in quintile 3: a DNA on 10 June with no booking since is pending (outside the denominator);
    one on 3 June, unrebooked for 17 days, counts as not rebooked; one on 4 June rebooked the next day counts as
    rebooked. DOMAIN.md's DNA rate counts an arrival too late to be seen among those who attended."""
    clinician = actor_for(make_user(db_session, "clinician"))
    referrals = _received(db_session, 4, imd_decile="5")
    for referral in referrals:
        triage.triage_referral(db_session, clinician, referral, referral.version, SCRIPT, [], "accept",
                               now=referral.received_at + timedelta(hours=1))
    pending, lapsed, rebooked, late = referrals

    def missed(referral, day: int):
        return miss(db_session, clinician, referral, starts_at=datetime(2026, 6, day, 9, tzinfo=UTC),
                    booked_at=referral.received_at + timedelta(hours=2))

    missed(pending, 10)
    missed(lapsed, 3)
    complete(db_session, clinician, missed(rebooked, 4))
    book(db_session, clinician, rebooked, datetime(2026, 6, 9, 9, tzinfo=UTC), now=datetime(2026, 6, 5, 9, tzinfo=UTC))
    slot = book(db_session, clinician, late, datetime(2026, 6, 5, 9, tzinfo=UTC),
                now=late.received_at + timedelta(hours=2))
    appointments.record_outcome(db_session, clinician, slot, slot.version, "late_not_seen",
                                now=datetime(2026, 6, 5, 10, tzinfo=UTC))
    now = datetime(2026, 6, 20, 9, tzinfo=UTC)
    for shared in (False, True):
        hidden = shared_view.shared_hidden(db_session, JUNE, now) if shared else None
        quintile_3 = tables.segment_table(db_session, JUNE, "imd_quintile", hidden, now=now)[2]
        assert quintile_3.dnas_pending == ("*" if shared else 1)
    quintile_3 = tables.segment_table(db_session, JUNE, "imd_quintile", now=now)[2]
    rebooking = quintile_3.cells["rebooked_in_14_days"]
    assert (rebooking.x, rebooking.n) == (1, 2)
    charted = {r.key: r for r in tables.rate_charts(db_session, JUNE, now=now)}["rebooked_in_14_days"]
    assert [(p.label, p.value) for p in charted.chart.points] == [("2026-06", 50.0)], "the chart leaves it out too"
    assert (quintile_3.cells["dna_rate"].x, quintile_3.cells["dna_rate"].n) == (3, 4)
    a_month_on = tables.segment_table(db_session, JUNE, "imd_quintile", now=now + timedelta(days=30))[2]
    assert (a_month_on.dnas_pending, a_month_on.cells["rebooked_in_14_days"].n) == (0, 3)
    cross = tables.cross_table(db_session, JUNE, "flag_deprivation", "rebooked_in_14_days", now=now)
    assert [(cell.x, cell.n) for cell in cross.rows[2][1]] == [(0, 0), (1, 2)]


def test_a_triage_or_clarification_not_yet_due_is_left_out_until_it_is(db_session):
    """As of Wednesday 10 June, 15:00: of three flagged referrals (IMD quintile 1), one triaged on Monday within the
    day, one received Monday and never triaged, and one received this morning, due at 17:00; two clarifications,
    one asked 30 hours ago, one two hours ago, neither answered. What is not yet due is in neither numerator nor
    denominator; once due and not done, it counts as late."""
    clinician = actor_for(make_user(db_session, "clinician"))
    on_time, late, today = (make_referral(db_session, received_at=day, imd_decile="1")
                            for day in ("2026-06-08 10:00", "2026-06-08 10:00", "2026-06-10 10:00"))
    triage.triage_referral(db_session, clinician, on_time, on_time.version, SCRIPT, [], "accept",
                           now=on_time.received_at + timedelta(hours=1))
    now = datetime(2026, 6, 10, 14, tzinfo=UTC)
    for hours_ago in (30, 2):
        asked = make_referral(db_session, received_at="2026-06-08 09:00", imd_decile="9")
        clarification.request_clarification(db_session, clinician, asked, asked.version, "Which knee?",
                                            "telephone", "Dr Example", now=now - timedelta(hours=hours_ago))

    def figures(at: datetime, measure: str) -> list[tuple]:
        cells = [c.cells[measure] for c in tables.segment_table(db_session, JUNE, "imd_quintile", now=at)]
        return [(cell.x, cell.n) for cell in cells[:5]]

    assert figures(now, "same_day_triage") == [(1, 2), (0, 0), (0, 0), (0, 0), (0, 0)]
    assert figures(now + timedelta(days=1), "same_day_triage")[0] == (1, 3)
    assert figures(now, "clarified_in_24_hours")[4] == (0, 1)
    assert figures(now + timedelta(days=1), "clarified_in_24_hours")[4] == (0, 2)
    charted = {r.key: r for r in tables.rate_charts(db_session, JUNE, now=now)}["same_day_triage"]
    assert [(p.label, p.value) for p in charted.chart.points] == [("2026-06", 50.0)], "the chart leaves it out too"
    cross = tables.cross_table(db_session, JUNE, "flag_deprivation", "same_day_triage", now=now)
    assert [(cell.x, cell.n) for cell in cross.rows[0][1]] == [(1, 2), (0, 0)]
