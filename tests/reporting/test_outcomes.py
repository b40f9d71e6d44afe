"""Outcome equity measures, worked by hand on a crafted history of June 2026 in mental health (PHQ-9: lower is
better, minimal important change 6; the experience measure: higher is better)."""
import math
from collections import defaultdict
from datetime import UTC, date, datetime

import pytest
from flask import current_app

from inclusive_access.domain import fact_rebuild
from inclusive_access.reporting import outcome_charts, outcomes, stats
from inclusive_access.reporting.means import mean_ci, t_quantile
from inclusive_access.reporting.queries import Period
from inclusive_access.reporting.tables import Cell
from tests.factories import staff
from tests.reporting.outcome_history import add_outcome, discharged, seen, urgent

JUNE = Period("2026-06", "2026-06", "mental_health")
#: every 30-day window of the history is over
NOW = datetime(2026, 9, 15, tzinfo=UTC)
QUINTILE_1, QUINTILE_5 = "1", "9"  # IMD deciles
NOT_KNOWN = ""
#: when most of the history's referrals are discharged
DISCHARGED = datetime(2026, 7, 1, 12, tzinfo=UTC)


def _at(month: int, day: int, hour: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def history(db_session, made_once):
    """Quintile 1: five discharged with both answers (changes 8, 3, 10, 6, 18: four improved; two of them first at a
    review after 14 days, two at discharge after 28), one discharged with no follow-up, one seen with a baseline only
    and one seen with neither. Quintile 5: two discharged with both (changes 8 and 8, both improved at a review after
    10 days). IMD not known: two discharged, neither follow-up answered. Urgent contacts within 30 days: in quintile
    1, three after referral (one on the 30th day; one more on the 31st does not count) and one after discharge;
    where IMD is not known, one after discharge. Experience answers 75 and 50 in quintile 1, 100 in quintile 5."""
    made_once("outcome_history", lambda: _history(db_session))
    return db_session


def _history(db_session) -> None:
    clinician, senior = staff(db_session, "clinician"), staff(db_session, "senior")

    def closed(decile: str, day: int, baseline=None, followup=None, review=None, discharge=DISCHARGED):
        referral = discharged(db_session, clinician, senior, f"2026-06-{day:02d} 09:00", discharge,
                              imd_decile=decile)
        add_outcome(db_session, clinician, referral, "phq9", baseline, followup, review)
        return referral

    q1 = {  # received 2 June, first answers on 3 June; a review 6 points down is an improvement 14 days on
        "a": closed(QUINTILE_1, 2, (_at(6, 3), 20), (_at(7, 1), 12), review=(_at(6, 17), 14)),
        "b": closed(QUINTILE_1, 2, (_at(6, 3), 18), (_at(7, 15), 15), discharge=_at(7, 15, 12)),
        "c": closed(QUINTILE_1, 2, (_at(6, 3), 15), (_at(7, 1), 5)),
        "d": closed(QUINTILE_1, 2, (_at(6, 3), 22), (_at(7, 1), 16), review=(_at(6, 17), 16)),
        "h": closed(QUINTILE_1, 2, (_at(6, 3), 27), (_at(7, 1), 9)),
        "e": closed(QUINTILE_1, 2, (_at(6, 3), 19)),
        "baseline only": seen(db_session, clinician, "2026-06-02 09:00", imd_decile=QUINTILE_1),
        "neither": seen(db_session, clinician, "2026-06-02 09:00", imd_decile=QUINTILE_1),
    }
    add_outcome(db_session, clinician, q1["baseline only"], "phq9", (_at(6, 3), 10))
    q5 = [closed(QUINTILE_5, 3, (_at(6, 4), 12), (_at(7, 2), 4), review=(_at(6, 14), 6)),
          closed(QUINTILE_5, 3, (_at(6, 4), 9), (_at(7, 2), 1), review=(_at(6, 14), 3))]
    unknown = [closed(NOT_KNOWN, 4, (_at(6, 5), 20)), closed(NOT_KNOWN, 4, (_at(6, 5), 14))]
    # received 2 June: its 30 days run to 2 July; "a" is discharged on 1 July, "b" on 15 July
    urgent(db_session, clinician, q1["a"], date(2026, 6, 10))
    urgent(db_session, clinician, q1["b"], date(2026, 6, 20), date(2026, 7, 20))
    urgent(db_session, clinician, q1["neither"], date(2026, 7, 2))
    urgent(db_session, clinician, q1["baseline only"], date(2026, 7, 3))
    # received 4 June (30 days: to 4 July), discharged 1 July (to 31 July)
    urgent(db_session, clinician, unknown[0], date(2026, 7, 10))
    add_outcome(db_session, clinician, q1["a"], "experience", followup=(_at(7, 1), 75))
    add_outcome(db_session, clinician, q1["b"], "experience", followup=(_at(7, 15), 50))
    add_outcome(db_session, clinician, q5[0], "experience", followup=(_at(7, 2), 100))


def _tables(session, segment="imd_quintile", shared=False, period=JUNE) -> dict[str, outcomes.Table]:
    instruments = current_app.extensions["instruments"]
    hidden = outcomes.shared_hidden_for(session, period, instruments, NOW) if shared else None
    found = outcomes.tables(session, period, segment, instruments, hidden, now=NOW)
    return {table.key: table for table in found}


def _by_label(table: outcomes.Table) -> dict[str, dict]:
    return {column.label: column.figures for column in table.columns}


def test_completion_comes_first_counting_those_seen_and_those_discharged(history):
    phq9 = _tables(history)["phq9"]
    assert [row.key for row in phq9.rows][:2] == ["baseline", "both"]
    q1 = _by_label(phq9)["1 (most deprived)"]
    assert (q1["baseline"].x, q1["baseline"].n) == (7, 8), "seen: eight; a baseline: all but one"
    assert (q1["both"].x, q1["both"].n) == (5, 6), "discharged: six; one follow-up missing"
    assert (q1["both"].lower, q1["both"].upper) == pytest.approx(stats.wilson_ci(5, 6))


def test_a_group_with_every_follow_up_missing_shows_no_change_rather_than_zero(history):
    unknown = _by_label(_tables(history)["phq9"])["Not known"]
    assert (unknown["both"].x, unknown["both"].n, unknown["both"].rate) == (0, 2, 0.0), "completion is 0%"
    assert (unknown["change"].n, unknown["change"].mean) == (0, None)
    assert (unknown["improved"].n, unknown["improved"].rate) == (0, None)
    assert unknown["days"].mean is None


def test_mean_change_is_turned_so_a_fall_on_phq9_is_a_gain_with_a_t_interval(history):
    q1 = _by_label(_tables(history)["phq9"])["1 (most deprived)"]["change"]
    # changes 8 (20 -> 12), 3, 10, 6, 18: mean 9; s^2 = (533 - 45^2 / 5) / 4 = 32; half-width t(4) sqrt(32 / 5)
    half = 2.7764451 * math.sqrt(32 / 5)
    assert (q1.n, q1.mean) == (5, 9)
    assert (q1.lower, q1.upper) == pytest.approx((9 - half, 9 + half))
    q5 = _by_label(_tables(history)["phq9"])["5 (least deprived)"]["change"]
    assert (q5.n, q5.mean, q5.lower, q5.upper) == (2, 8, 8, 8), "no spread: a zero-width interval"


def test_the_share_improved_counts_a_change_of_exactly_the_minimal_important_change(history):
    improved = _by_label(_tables(history)["phq9"])["1 (most deprived)"]["improved"]
    assert (improved.x, improved.n) == (4, 5), "8, 10, 6 and 18 reach 6; 3 does not"
    assert (improved.lower, improved.upper) == pytest.approx(stats.wilson_ci(4, 5))


def test_the_median_time_to_improvement_reads_the_middle_of_tied_values(history):
    by_label = _by_label(_tables(history)["phq9"])
    assert (by_label["1 (most deprived)"]["days"].n, by_label["1 (most deprived)"]["days"].mean) == (4, 21), \
        "14, 14, 28, 28: the mean of the middle two"
    assert (by_label["5 (least deprived)"]["days"].n, by_label["5 (least deprived)"]["days"].mean) == (2, 10), \
        "10 and 10"


def test_urgent_contacts_are_shares_of_the_referrals_and_discharges_whose_30_days_are_over(history):
    by_label = _by_label(_tables(history)["urgent"])
    q1, unknown = by_label["1 (most deprived)"], by_label["Not known"]
    assert (q1["after_referral"].x, q1["after_referral"].n) == (3, 8), "on days 8, 18 and 30; not day 31"
    assert (q1["after_discharge"].x, q1["after_discharge"].n) == (1, 6), "b's, 5 days after; none of the earlier ones"
    assert (q1["after_referral"].lower, q1["after_referral"].upper) == pytest.approx(stats.wilson_ci(3, 8))
    assert (unknown["after_discharge"].x, unknown["after_discharge"].n) == (1, 2)
    early = outcomes.tables(history, JUNE, "imd_quintile", current_app.extensions["instruments"],
                            now=_at(7, 20))
    q1_early = _by_label(early[-1])["1 (most deprived)"]
    assert (q1_early["after_referral"].n, q1_early["after_discharge"].n) == (8, 0), \
        "discharged on 1 and 15 July: their 30 days run past 20 July"


def test_experience_is_a_mean_score_with_its_n(history):
    experience = _by_label(_tables(history)["experience"])
    q1, q5 = experience["1 (most deprived)"], experience["5 (least deprived)"]
    assert (q1["answered"].x, q1["answered"].n) == (2, 8)
    # 75 and 50: mean 62.5, s^2 = 2 * 12.5^2 = 312.5, half-width t(1) sqrt(312.5 / 2) = t(1) 12.5
    assert (q1["score"].n, q1["score"].mean) == (2, 62.5)
    assert (q1["score"].lower, q1["score"].upper) == pytest.approx((62.5 - 12.7062047 * 12.5,
                                                                    62.5 + 12.7062047 * 12.5))
    assert (q5["score"].n, q5["score"].mean, q5["score"].lower) == (1, 100, None), "one answer: no interval"


def test_every_segment_has_its_unknown_row_and_the_instruments_of_the_pathway(history):
    found = _tables(history, segment="sex")
    assert list(found) == ["gad7", "phq9", "experience", "urgent"], "outcome measures, experience, urgent contacts"
    assert [c.label for c in found["phq9"].columns][-1] == "Not known"
    assert _by_label(found["phq9"])["Female"]["baseline"].n == 12


def test_a_shared_view_hides_counts_of_1_to_7_and_everything_worked_from_them(history):
    internal = _by_label(_tables(history)["phq9"])
    shared = _by_label(_tables(history, shared=True)["phq9"])
    assert internal["5 (least deprived)"]["both"].x == 2
    q5 = shared["5 (least deprived)"]
    assert (q5["both"].x, q5["both"].n, q5["both"].rate) == ("*", "*", None)
    assert (q5["change"].n, q5["change"].mean) == ("*", None)
    assert (q5["days"].n, q5["days"].mean) == ("*", None)
    assert shared["1 (most deprived)"]["baseline"].n == 8, "a count above 7 is shown"
    assert shared["1 (most deprived)"]["baseline"].x == "*"


def test_gradients_of_mean_change_and_of_the_share_improved_across_quintiles(db_session):
    """Two people in each quintile, their changes 5 either side of 2 in quintile 1 up to 10 in quintile 5: the
    means' line through x = 0.1 ... 0.9 rises 10 points from end to end (SII 10), from 1 at x = 0 to 11 at x = 1;
    that end near 0 is as likely below it, so the ratio of the ends (RII) is not given. One of each two reaches
    the minimal important change of 6, so the share improved is level: SII 0, RII 1."""
    clinician, senior = staff(db_session, "clinician"), staff(db_session, "senior")
    for quintile, change in zip(("1", "3", "5", "7", "9"), (2, 4, 6, 8, 10), strict=True):
        for each in (change - 5, change + 5):
            referral = discharged(db_session, clinician, senior, "2026-06-02 09:00", DISCHARGED,
                                  imd_decile=quintile)
            add_outcome(db_session, clinician, referral, "phq9", (_at(6, 3), 20), (_at(7, 1), 20 - each))
    found = {g.key: g for g in outcome_charts.gradients(_tables(db_session)["phq9"])}
    assert found["change"].sii == pytest.approx(10)
    assert found["change"].rii is None, "a ratio of changes of either sign means nothing"
    assert found["change"].sii_lower < 10 < found["change"].sii_upper
    assert (found["improved"].sii, found["improved"].rii) == pytest.approx((0, 1), abs=1e-9)
    assert found["improved"].improvement == "increase"


def test_the_rii_of_mean_change_is_given_where_both_ends_and_its_limits_are_positive():
    """Means 2 to 10 known exactly (zero-width intervals): ends 1 and 11, RII 11 with limits 11."""
    columns = [outcomes.Column(q, str(q), {"change": outcomes.Mean(2, mean, mean, mean),
                                           "improved": Cell(0, 0, None, None, None)})
               for q, mean in zip((1, 2, 3, 4, 5), (2, 4, 6, 8, 10), strict=True)]
    [gradient] = outcome_charts.gradients(outcomes.Table("phq9", "PHQ-9", outcomes.PROM_ROWS, columns))
    assert (gradient.sii, gradient.rii, gradient.rii_lower, gradient.rii_upper) == pytest.approx((10, 11, 11, 11))


def test_run_charts_by_month_and_quarter_for_completion_and_improvement(history):
    phq9 = current_app.extensions["instruments"]["phq9"]
    found = {(c.key, c.by): c for c in outcome_charts.instrument_charts(history, JUNE, phq9)}
    assert set(found) == {("both", "month"), ("improved", "month"), ("both", "quarter"), ("improved", "quarter")}
    june = found["improved", "month"].chart.points[-1]
    assert (june.label, june.value) == ("2026-06", pytest.approx(100 * 6 / 7)), "four of five and two of two"
    assert found["improved", "month"].counts == [7]
    second = found["both", "quarter"].chart.points[-1]
    assert (second.label, second.value) == ("2026-Q2", pytest.approx(100 * 7 / 10))
    hidden = outcomes.shared_hidden_for(history, JUNE, current_app.extensions["instruments"], NOW)
    shared = {(c.key, c.by): c for c in outcome_charts.instrument_charts(history, JUNE, phq9, hidden)}
    assert shared["improved", "month"].chart.points[-1].value is None, "6 of 7: both small, left out when shared"


@pytest.mark.parametrize(("df", "expected"), [(1, 12.7062047), (2, 4.3026527), (9, 2.2621572), (29, 2.0452296)])
def test_t_quantiles_match_the_tables(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-6)


def test_a_mean_from_its_sums():
    assert mean_ci(3, 6, 14) == pytest.approx((2, 2 - 4.3026527 / math.sqrt(3), 2 + 4.3026527 / math.sqrt(3)))
    assert mean_ci(1, 5, 25) == (5, None, None)


def test_a_count_the_dashboard_hides_is_hidden_here_when_it_counts_the_same_referrals(history, monkeypatch):
    """The dashboard's shared view hides quintile 1's 8 referrals (to protect its small counts through its own
    tables). Urgent contacts count the same 8 referrals, all windows over: shown here, they would undo that."""
    assert _by_label(_tables(history, shared=True)["urgent"])["1 (most deprived)"]["after_referral"].n == "*"
    monkeypatch.setattr(outcomes, "shared_hidden", lambda *_args: set())
    assert _by_label(_tables(history, shared=True)["urgent"])["1 (most deprived)"]["after_referral"].n == 8, \
        "had the dashboard shown it, so would this page"


def test_the_figures_are_the_same_when_the_facts_are_rebuilt_from_the_log(history):
    before = _tables(history), _tables(history, segment="sex")
    fact_rebuild.rebuild(history)
    history.commit()
    history.expire_all()
    assert (_tables(history), _tables(history, segment="sex")) == before


def _closed_with_both(session, months: dict[int, int], **patient) -> None:
    """`months[m]` referrals received in month m of 2026 with both PHQ-9 answers, discharged on 20 July."""
    clinician, senior = staff(session, "clinician"), staff(session, "senior")
    for month, n in months.items():
        for day in range(1, n + 1):
            referral = discharged(session, clinician, senior, f"2026-{month:02d}-{day + 9:02d} 09:00",
                                  datetime(2026, 7, 20, 12, tzinfo=UTC), **patient)
            add_outcome(session, clinician, referral, "phq9", (datetime(2026, month, day + 10, 11, tzinfo=UTC), 20),
                        (datetime(2026, 7, 20, 11, tzinfo=UTC), 10))


def _shared_completion(session, period: Period) -> tuple[dict, dict, list]:
    """The shared view's completion chart n by month and by quarter (a point left off the chart's start publishes
    nothing: "*"), and its IMD table's n."""
    instruments = current_app.extensions["instruments"]
    hidden = outcomes.shared_hidden_for(session, period, instruments, NOW)
    charts = {c.by: c for c in outcome_charts.instrument_charts(session, period, instruments["phq9"], hidden)
              if c.key == "both"}
    by = {kind: defaultdict(lambda: stats.SUPPRESSED, zip((p.label for p in c.chart.points), c.counts, strict=True))
          for kind, c in charts.items()}
    table = {t.key: t for t in outcomes.tables(session, period, "imd_quintile", instruments, hidden, now=NOW)}
    return by["month"], by["quarter"], [c.figures["both"].n for c in table["phq9"].columns]


def test_a_quarter_and_its_other_months_do_not_give_back_a_hidden_month(db_session):
    """8 in April, 8 in May, 3 in June: the second quarter's 19 less April's and May's 8 would give June's 3."""
    _closed_with_both(db_session, {4: 8, 5: 8, 6: 3})
    months, quarters, _imd = _shared_completion(db_session, JUNE)
    assert months["2026-06"] == stats.SUPPRESSED
    assert stats.SUPPRESSED in (quarters["2026-Q2"], months["2026-04"], months["2026-05"])


def test_the_months_of_the_period_do_not_give_back_a_hidden_cell_of_its_tables(db_session):
    """16 alike over May and June, and 3 in June who differ from them in every breakdown (so that no table shows
    the total): May's and June's n would sum to 19, the total the IMD table's 16 and its hidden 3 make."""
    _closed_with_both(db_session, {5: 10, 6: 6}, imd_decile=QUINTILE_5)
    _closed_with_both(db_session, {6: 3}, imd_decile=QUINTILE_1, sex="male", ethnic_category="N",
                      date_of_birth="2000-01-01", housing_status="temporary", learning_disability="yes",
                      interpreter_needed="yes", communication_needs="large_print", caring_responsibilities="yes")
    months, _quarters, imd = _shared_completion(db_session, Period("2026-05", "2026-06", "mental_health"))
    assert imd[0] == stats.SUPPRESSED
    assert stats.SUPPRESSED in (months["2026-05"], months["2026-06"]) or imd.count(stats.SUPPRESSED) >= 2
