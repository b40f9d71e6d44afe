"""The improvement gap KPI on a crafted history: quintile 5's share of PROMs improved at follow-up less quintile
1's, by month of follow-up in UK time, every PROM instrument pooled, judged against its threshold and minimum n."""
from datetime import UTC, datetime

import pytest

from inclusive_access.domain.kpis import IMPROVEMENT_GAP
from inclusive_access.domain.policy import DEFAULT_POLICY, Policy
from inclusive_access.reporting import kpi, stats
from tests.factories import staff
from tests.reporting.improvement_history import followed_up, improvement_month, mid_month

JUNE = "2026-06"
#: a pathway with two outcome questionnaires (PHQ-9 and GAD-7), to pool
PATHWAY = "mental_health"


def june(session, policy: Policy = DEFAULT_POLICY) -> kpi.GapMonth:
    return kpi.gap_for(session, PATHWAY, JUNE, policy, IMPROVEMENT_GAP)


@pytest.fixture
def known_history(db_session):
    """June in mental health: quintile 1, 8 of 20 improved on PHQ-9, one of them followed up at 00:30 BST on 1 June;
    quintile 5, 16 of 20, 10 of 14 on PHQ-9 and 6 of 6 on GAD-7. Around them, results that must not count: an
    experience questionnaire (a PREM), a PHQ-9 with no baseline (its improvement cannot be judged), quintile 3,
    another pathway, and a follow-up at 00:30 BST on 1 July."""
    improvement_month(db_session, JUNE, q1=(7, 19), q5=(10, 14), pathway=PATHWAY)
    clinician = staff(db_session, "clinician")
    followed_up(db_session, clinician, 1, True, datetime(2026, 5, 31, 23, 30, tzinfo=UTC), PATHWAY)
    for _ in range(6):
        followed_up(db_session, clinician, 5, True, mid_month(JUNE), PATHWAY, instrument="gad7")
    followed_up(db_session, clinician, 1, None, mid_month(JUNE), PATHWAY, instrument="experience")
    followed_up(db_session, clinician, 1, None, mid_month(JUNE), PATHWAY)
    followed_up(db_session, clinician, 3, False, mid_month(JUNE), PATHWAY)
    followed_up(db_session, clinician, 5, False, mid_month(JUNE), "msk")
    followed_up(db_session, clinician, 1, False, datetime(2026, 6, 30, 23, 30, tzinfo=UTC), PATHWAY)
    db_session.commit()


def newcombe(x5: int, n5: int, x1: int, n1: int) -> tuple[float, float]:
    """Newcombe's interval for p5 - p1 from each share's Wilson limits, in percentage points."""
    (l5, u5), (l1, u1) = stats.wilson_ci(x5, n5), stats.wilson_ci(x1, n1)
    p5, p1 = x5 / n5, x1 / n1
    return (100 * (p5 - p1 - ((p5 - l5) ** 2 + (u1 - p1) ** 2) ** 0.5),
            100 * (p5 - p1 + ((u5 - p5) ** 2 + (p1 - l1) ** 2) ** 0.5))


def test_the_gap_is_quintile_5s_share_improved_less_quintile_1s_in_points(db_session, known_history):
    lower, upper = newcombe(16, 20, 8, 20)
    assert june(db_session) == kpi.GapMonth(
        month=JUNE, q1_n=20, q1_value=pytest.approx(40.0), q5_n=20, q5_value=pytest.approx(80.0),
        gap=pytest.approx(40.0), gap_lower=pytest.approx(lower), gap_upper=pytest.approx(upper), ratio=None,
        judged=True, breach=True, special_cause=False)


def test_a_follow_up_counts_in_its_month_in_uk_time(db_session, known_history):
    july = kpi.gap_for(db_session, PATHWAY, "2026-07", Policy(), IMPROVEMENT_GAP)
    assert (july.q1_n, july.q1_value, july.q5_n, july.q5_value, july.gap) == (1, 0.0, 0, None, None)


def test_a_quintile_under_the_minimum_has_no_judgement_and_a_quintile_with_no_one_no_value(db_session):
    improvement_month(db_session, JUNE, q1=(8, 20), q5=(14, 19), pathway=PATHWAY)
    improvement_month(db_session, "2026-07", q1=(0, 0), q5=(14, 20), pathway=PATHWAY)
    db_session.commit()
    month = june(db_session)
    assert (month.q5_n, month.gap, month.judged, month.breach) == (19, pytest.approx(100 * 14 / 19 - 40), False, False)
    july = kpi.gap_for(db_session, PATHWAY, "2026-07", Policy(), IMPROVEMENT_GAP)
    assert (july.q1_n, july.q1_value, july.gap, july.gap_lower, july.judged) == (0, None, None, None, False), \
        "no follow-ups in quintile 1: no value, not 0%"


def test_the_threshold_and_the_fewest_people_are_settings(db_session):
    improvement_month(db_session, JUNE, pathway=PATHWAY)
    db_session.commit()
    assert (june(db_session).gap, june(db_session).breach) == (pytest.approx(30.0), True)
    assert june(db_session, Policy(improvement_gap_points=30.0)).breach is False, "equal to the threshold"
    assert june(db_session, Policy(improvement_gap_points_by_pathway=((PATHWAY, 35.0),))).breach is False
    assert june(db_session, Policy(improvement_gap_min_n=21)).judged is False, "20 of 21"
    policy = Policy.from_mapping({"IMPROVEMENT_GAP_THRESHOLD_POINTS": "12.5", "IMPROVEMENT_GAP_MIN_N": "25",
                                  "IMPROVEMENT_GAP_THRESHOLD_POINTS_BY_PATHWAY": {PATHWAY: 15}})
    assert (policy.improvement_gap_points, policy.improvement_gap_min_n) == (12.5, 25)
    assert IMPROVEMENT_GAP.threshold(policy, PATHWAY) == 15.0
    with pytest.raises(ValueError, match="IMPROVEMENT_GAP_MIN_N must be at least 8"):
        Policy(improvement_gap_min_n=7)


def test_the_series_triggers_a_breached_month_once_closed_and_charts_judged_months(db_session):
    improvement_month(db_session, JUNE, pathway=PATHWAY)
    improvement_month(db_session, "2026-07", q1=(8, 20), q5=(10, 20), pathway=PATHWAY)
    db_session.commit()
    [series] = kpi.gap_series(db_session, [PATHWAY], "2026-07", Policy(), kpi=IMPROVEMENT_GAP)
    assert (series.kpi, series.threshold, series.min_n) == (IMPROVEMENT_GAP, 10.0, 20)
    shown = {m.month: m for m in series.months}
    assert shown[JUNE] == june(db_session)
    assert shown["2026-07"].gap == pytest.approx(10.0)
    assert series.triggered(before="2026-08") == [shown[JUNE]], "10 points is not above a threshold of 10"
    assert [p.value for p in series.chart.points] == [pytest.approx(30.0), pytest.approx(10.0)]


def test_a_quarter_pools_its_months_follow_ups(db_session):
    improvement_month(db_session, "2026-04", q1=(2, 10), q5=(9, 10), pathway=PATHWAY)
    improvement_month(db_session, JUNE, q1=(6, 10), q5=(7, 10), pathway=PATHWAY)
    db_session.commit()
    [quarter] = kpi.quarterly_gaps(db_session, [PATHWAY], ["2026-Q2"], Policy(), IMPROVEMENT_GAP)[PATHWAY]
    assert (quarter.month, quarter.q1_n, quarter.q5_n) == ("2026-Q2", 20, 20)
    assert (quarter.q1_value, quarter.q5_value, quarter.gap) == (pytest.approx(40.0), pytest.approx(80.0),
                                                                 pytest.approx(40.0))
    assert (quarter.judged, quarter.breach) == (True, True), "neither month judged alone, the quarter is"
