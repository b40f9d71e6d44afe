"""Reporting statistics checked against hand-worked numbers: Wilson, median ranks, XmR, suppression."""
import math
import random
from fractions import Fraction

import pytest

from inclusive_access.reporting.stats import SUPPRESSED, median_ci, median_difference_ci, suppress_count, wilson_ci, xmr
from inclusive_access.reporting.suppression import suppress_linked

Z = 1.959963984540054  # NormalDist().inv_cdf(0.975), R's qnorm(0.975)
Z2 = 3.8414588206941254  # Z * Z


# --- Wilson score interval -------------------------------------------------------------------------------------------

def test_wilson_81_of_263_worked_by_hand():
    """x = 81, n = 263, 95%.

    2x + z^2 = 162 + 3.8414588 = 165.8414588
    4x(1 - x/n) = 324 * 182/263 = 224.2129278; + z^2 = 228.0543866; sqrt = 15.1014697; * z = 29.5983367
    2(n + z^2) = 2 * 266.8414588 = 533.6829176
    lower = (165.8414588 - 29.5983367) / 533.6829176 = 136.2431221 / 533.6829176 = 0.2552885
    upper = (165.8414588 + 29.5983367) / 533.6829176 = 195.4397955 / 533.6829176 = 0.3662096
    """
    lower, upper = wilson_ci(81, 263)
    assert (round(lower, 4), round(upper, 4)) == (0.2553, 0.3662)
    assert lower == pytest.approx(0.2552885, abs=1e-7)
    assert upper == pytest.approx(0.3662096, abs=1e-7)


def test_wilson_zero_events_has_lower_limit_exactly_zero_and_uses_the_exact_quantile():
    """x = 0, n = 10: sqrt(z^2 + 0) = z, so lower = (z^2 - z^2) / .. = 0 and upper = 2z^2 / 2(n + z^2).

    upper = 3.8414588 / 13.8414588 = 0.2775328; with z rounded to 1.96 it would be 3.8416 / 13.8416 = 0.2775402.
    """
    lower, upper = wilson_ci(0, 10)
    assert lower == 0.0
    assert upper == pytest.approx(Z2 / (10 + Z2), abs=1e-12)
    assert upper == pytest.approx(0.2775328, abs=1e-7)
    assert upper != pytest.approx(0.2775402, abs=1e-6)


def test_wilson_all_events_has_upper_limit_exactly_one():
    """x = n = 10 mirrors x = 0: lower = 1 - 0.2775328 = 0.7224672, upper exactly 1."""
    lower, upper = wilson_ci(10, 10)
    assert upper == 1.0
    assert lower == pytest.approx(1 - 0.2775328, abs=1e-7)


def test_wilson_single_observation():
    """n = 1: x = 0 gives (0, z^2/(1 + z^2)) = (0, 3.8414588/4.8414588) = (0, 0.7934507);
    x = 1 gives (2/(2(1 + z^2)), 1) = (1/4.8414588, 1) = (0.2065493, 1)."""
    assert wilson_ci(0, 1) == (0.0, pytest.approx(0.7934507, abs=1e-7))
    assert wilson_ci(1, 1) == (pytest.approx(0.2065493, abs=1e-7), 1.0)


def test_wilson_at_90_percent_uses_that_quantile():
    """z_0.95 = 1.6448536; x = 0, n = 10: upper = z^2/(n + z^2) = 2.7055435 / 12.7055435 = 0.2129420."""
    assert wilson_ci(0, 10, conf=0.90) == (0.0, pytest.approx(0.2129420, abs=1e-7))


def test_wilson_no_information_and_full_confidence_give_the_unit_interval():
    assert wilson_ci(0, 0) == (0.0, 1.0)
    assert wilson_ci(3, 7, conf=1) == (0.0, 1.0)


@pytest.mark.parametrize(("x", "n"), [(-1, 5), (6, 5), (1, 0), (0, -1)])
def test_wilson_refuses_counts_outside_zero_to_n(x, n):
    with pytest.raises(ValueError, match="must"):
        wilson_ci(x, n)


def test_wilson_limits_stay_in_the_unit_interval_and_bracket_the_proportion():
    for n in range(1, 40):
        for x in range(n + 1):
            lower, upper = wilson_ci(x, n)
            assert 0.0 <= lower <= x / n <= upper <= 1.0


# --- Median ranks ----------------------------------------------------------------------------------------------------

def _coverage(n: int, j: int) -> Fraction:
    """P(j <= B <= n - j) for B ~ Binomial(n, 1/2), summed directly."""
    return Fraction(sum(math.comb(n, i) for i in range(j, n - j + 1)), 2**n)


@pytest.mark.parametrize(("n", "conf", "expected"), [
    # n = 10: P(B <= 1) = (1 + 10)/1024, coverage(2) = 1 - 22/1024 = 0.9785 >= 0.95;
    #         P(B <= 2) = 56/1024, coverage(3) = 1 - 112/1024 = 0.8906 < 0.95
    (10, 0.95, (2, 9)),
    # n = 20: sum C(20, 0..5) = 1 + 20 + 190 + 1140 + 4845 + 15504 = 21700, coverage(6) = 1 - 43400/2^20 = 0.9586;
    #         + C(20, 6) = 38760 gives 60460, coverage(7) = 1 - 120920/2^20 = 0.8847
    (20, 0.95, (6, 15)),
    # n = 6: coverage(1) = 1 - 2/64 = 0.96875; coverage(2) = 1 - 14/64 = 0.78125
    (6, 0.95, (1, 6)),
    # n = 5: coverage(1) = 1 - 2/32 = 0.9375 < 0.95, no pair reaches 95%: the widest, (1, 5)
    (5, 0.95, (1, 5)),
    (2, 0.95, (1, 2)),
    (1, 0.95, (1, 1)),
    # n = 10 at 50%: P(B <= 3) = 176/1024, coverage(4) = 1 - 352/1024 = 0.65625;
    #                P(B <= 4) = 386/1024, coverage(5) = 1 - 772/1024 = 0.2461
    (10, 0.50, (4, 7)),
    # Campbell & Gardner (BMJ 1988): n/2 -/+ 1.96 sqrt(n)/2 = 50 -/+ 9.8 gives ranks 40 and 61 for n = 100
    (100, 0.95, (40, 61)),
])
def test_median_ranks_worked_by_hand(n, conf, expected):
    assert median_ci(n, conf) == expected


def test_median_ranks_are_the_narrowest_symmetric_pair_reaching_the_confidence():
    """Against exact binomial sums in integers (the function sums in floating point)."""
    for n in range(1, 400):
        for conf in (0.5, 0.9, 0.95, 0.99, 0.999):
            j, k = median_ci(n, conf)
            assert k == n - j + 1
            if _coverage(n, 1) < Fraction(conf):
                assert (j, k) == (1, n)
            else:
                assert _coverage(n, j) >= Fraction(conf)
                assert j + 1 > n // 2 or _coverage(n, j + 1) < Fraction(conf)


def test_median_ranks_for_a_large_group_are_near_the_normal_approximation():
    """n = 100,000 (the dashboard's largest groups): n/2 -/+ 1.96 sqrt(n)/2 = 50,000 -/+ 309.9, as Campbell and
    Gardner's large-sample rule gives, to within a rank."""
    j, k = median_ci(100_000)
    assert abs(j - (50_000 - 309.9)) <= 1.5
    assert k == 100_000 - j + 1


def test_median_ranks_need_a_value():
    with pytest.raises(ValueError, match="at least one"):
        median_ci(0)


def test_each_ends_share_of_a_gaps_interval_reaches_the_square_root_of_the_confidence_or_is_none():
    """Both ends' intervals then hold together at 95%; none with 6 or fewer (coverage(1) = 1 - 2/64 < 0.9747)."""
    level = math.sqrt(0.95)
    for n in range(1, 400):
        ranks = median_difference_ci(n)
        if _coverage(n, 1) < level:
            assert ranks is None
        else:
            j, k = ranks
            assert k == n - j + 1
            assert _coverage(n, j) >= level
            assert j + 1 > n // 2 or _coverage(n, j + 1) < level
    assert [median_difference_ci(n) for n in (6, 7, 9, 10)] == [None, (1, 7), (1, 9), (2, 9)]


# --- XmR -------------------------------------------------------------------------------------------------------------

def _special(result: dict) -> dict[int, str]:
    return {i: t for i, t in enumerate(result["point_types"]) if t != "common_cause"}


def test_xmr_limits_worked_by_hand():
    """10, 12, 11, 13, 12: mean 58/5 = 11.6; moving ranges 2, 1, 2, 1, mean 1.5 (3.267 * 1.5 = 4.9, none screened).

    limits 11.6 -/+ 2.66 * 1.5 = 11.6 -/+ 3.99 = 7.61, 15.59; near band 11.6 -/+ (2/3) 3.99 = 11.6 -/+ 2.66.
    """
    result = xmr([10, 12, 11, 13, 12])
    assert result["mean"] == pytest.approx(11.6)
    assert (result["lower"], result["upper"]) == (pytest.approx(7.61), pytest.approx(15.59))
    assert (result["near_lower"], result["near_upper"]) == (pytest.approx(8.94), pytest.approx(14.26))
    assert result["point_types"] == ["common_cause"] * 5
    assert result["assurance"] is None


SPIKE = [8, 12] * 6 + [30]


def test_xmr_screening_drops_the_one_large_moving_range():
    """8, 12 six times then 30: mean 150/13 = 11.538462; moving ranges eleven 4s and an 18.

    Unscreened: mean moving range 62/12 = 5.166667, limits 11.538462 -/+ 13.743333 = -2.204872, 25.281795.
    Screened: 3.267 * 5.166667 = 16.8795 <= 18, so the 18 goes; 44/11 = 4, limits 11.538462 -/+ 10.64.
    """
    unscreened = xmr(SPIKE, screen_outliers=False)
    assert unscreened["lower"] == pytest.approx(-2.204872, abs=1e-6)
    assert unscreened["upper"] == pytest.approx(25.281795, abs=1e-6)
    screened = xmr(SPIKE)
    assert screened["mean"] == pytest.approx(11.538462, abs=1e-6)
    assert screened["lower"] == pytest.approx(0.898462, abs=1e-6)
    assert screened["upper"] == pytest.approx(22.178462, abs=1e-6)
    assert screened["near_upper"] == pytest.approx(11.538462 + 7.093333, abs=1e-6)


def test_xmr_rule_a_a_point_outside_a_limit_alone():
    """SPIKE: 30 > 22.18 is outside; the 8s and 12s sit inside the near band (4.45, 18.63) on alternate sides of the
    mean, with no run of 3 rising: only the last point is special cause, and it is above the mean."""
    assert _special(xmr(SPIKE, improvement="increase")) == {12: "special_cause_improvement"}
    assert _special(xmr(SPIKE, improvement="decrease")) == {12: "special_cause_concern"}
    assert _special(xmr(SPIKE)) == {12: "special_cause_neither"}


TREND_7 = [10, 14, 10, 14, 10, 14, 8, 9, 10, 11, 12, 13, 14]


def test_xmr_rule_b_seven_rising_points_alone():
    """mean (72 + 77)/13 = 11.461538; moving ranges five 4s, a 6, six 1s: 32/12 = 8/3, none screened (8.71).
    limits 11.461538 -/+ 7.093333 = 4.368205, 18.554872; near band 6.732650, 16.190427: every point inside it.
    8 .. 14 (indices 6-12) rise strictly, 7 points, on both sides of the mean; the sides otherwise alternate."""
    result = xmr(TREND_7, improvement="increase")
    assert result["near_lower"] == pytest.approx(6.732650, abs=1e-6)
    assert result["near_upper"] == pytest.approx(16.190427, abs=1e-6)
    assert _special(result) == {i: "special_cause_improvement" for i in range(6, 13)}
    assert _special(xmr(TREND_7, improvement="decrease")) == {i: "special_cause_concern" for i in range(6, 13)}


def test_xmr_six_rising_points_are_not_a_trend():
    """10, 14 x3 then 9 .. 14: mean 141/12 = 11.75, moving ranges 20 + 5 + 5 = 30 over 11, 2.727273;
    near band 11.75 -/+ 4.836364 = 6.913636, 16.586364 holds every point; 9 .. 14 is only 6 points."""
    assert _special(xmr([10, 14, 10, 14, 10, 14, 9, 10, 11, 12, 13, 14], improvement="increase")) == {}


TWO_OF_THREE = [10, 12, 10, 12, 10, 12, 10, 16.5, 12, 16.5, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12]


def test_xmr_rule_c_two_of_three_beyond_the_near_band_flags_only_those_two():
    """sum 253 over 22 points, mean 11.5; moving ranges: six 2s, 6.5, 4.5, 4.5, 6.5, eleven 2s = 56 over 21 = 8/3.
    limits 11.5 -/+ 7.093333 = 4.406667, 18.593333; near band 11.5 -/+ 4.728889 = 6.771111, 16.228889.
    The 16.5s (indices 7 and 9) are beyond the band and inside the limits; the 12 between them is not flagged."""
    result = xmr(TWO_OF_THREE, improvement="increase")
    assert result["near_upper"] == pytest.approx(16.228889, abs=1e-6)
    assert result["upper"] == pytest.approx(18.593333, abs=1e-6)
    assert _special(result) == {7: "special_cause_improvement", 9: "special_cause_improvement"}


def test_xmr_rule_c_needs_all_three_points_on_the_same_side_of_the_mean():
    """As above with the 16.5s at indices 6 and 8 around a 10 below the mean (same sums, same limits): two points
    beyond the band, but the three straddle the mean, so no special cause (NHSRplotthedots' two-in-three).
    Lifting that 10 to 12: mean 255/22 = 11.590909, moving ranges 52/21 = 2.476190, near band up to 15.982020, upper
    limit 18.177576; the three now sit above the mean and both 16.5s are flagged."""
    straddling = [10, 12, 10, 12, 10, 12, 16.5, 10, 16.5, 12, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12]
    assert _special(xmr(straddling, improvement="increase")) == {}
    one_side = straddling[:7] + [12] + straddling[8:]
    result = xmr(one_side, improvement="increase")
    assert result["near_upper"] < 16.5 < result["upper"]
    assert _special(result) == {6: "special_cause_improvement", 8: "special_cause_improvement"}


def test_xmr_rule_c_counts_a_point_outside_the_limits_for_its_side_only():
    """12, 10 x5, then 5, 1, 5, then 12, 10 x5: mean 231/23 = 10.043478; moving ranges 18 + 5 + 4 + 4 + 7 + 18 = 56
    over 22 = 2.545455 (none screened); lower limit 3.272569, near band down to 5.529539. 1 is outside (rule a);
    the 5s either side are beyond the band with all three below the mean (rule c)."""
    series = [12, 10] * 5 + [5, 1, 5] + [12, 10] * 5
    result = xmr(series, improvement="decrease")
    assert result["lower"] == pytest.approx(3.272569, abs=1e-6)
    assert result["near_lower"] == pytest.approx(5.529539, abs=1e-6)
    assert _special(result) == {10: "special_cause_improvement", 11: "special_cause_improvement",
                                12: "special_cause_improvement"}


def test_xmr_a_point_outside_the_limits_does_not_count_towards_two_of_three():
    """10, 12, 10, 12, 10, 25, 12, 17, then 10, 12 .. 10: sum 228 over 19, mean 12 (the 12s sit on it).
    moving ranges 8 + 15 + 13 + 5 + 7 + 20 = 68 over 18 = 3.777778; 3.267 * that = 12.34, so 15 and 13 go:
    40 over 16 = 2.5; limits 12 -/+ 6.65 = 5.35, 18.65; near band 12 -/+ 4.433333 = 7.566667, 16.433333.
    25 is outside (rule a); 17 is the only other point beyond the band, so rule c does not fire."""
    series = [10, 12, 10, 12, 10, 25, 12, 17, 10, 12, 10, 12, 10, 12, 10, 12, 10, 12, 10]
    result = xmr(series, improvement="increase")
    assert (result["lower"], result["upper"]) == (pytest.approx(5.35), pytest.approx(18.65))
    assert _special(result) == {5: "special_cause_improvement"}


SHIFT_7 = [10, 12, 10, 12, 10, 12, 13, 12, 13, 12, 13, 12, 10, 12, 10, 12, 10, 12]


def test_xmr_rule_d_seven_points_above_the_mean_alone():
    """sum 207 over 18, mean 11.5; moving ranges 8 + 2 + 6 + 2 + 10 = 28 over 17 = 1.647059;
    limits 11.5 -/+ 4.381176 = 7.118824, 15.881176; near band 11.5 -/+ 2.920784 = 8.579216, 14.420784, holding all.
    Indices 5-11 (12, 13, 12, 13, 12, 13, 12) are 7 above the mean between two 10s; no 7-point trend."""
    result = xmr(SHIFT_7, improvement="increase")
    assert result["lower"] == pytest.approx(7.118824, abs=1e-6)
    assert _special(result) == {i: "special_cause_improvement" for i in range(5, 12)}
    assert _special(xmr(SHIFT_7, improvement="decrease")) == {i: "special_cause_concern" for i in range(5, 12)}


def test_xmr_six_points_above_the_mean_are_not_a_shift():
    """10, 12, 10, 12, 10, then 12, 13, 12, 13, 12, 13, then 10, 12, 10: sum 161 over 14, mean 11.5;
    moving ranges 8 + 2 + 5 + 3 + 4 = 22 over 13; near band 11.5 -/+ 3.001026 holds all; the run above is 6 long."""
    assert _special(xmr([10, 12, 10, 12, 10, 12, 13, 12, 13, 12, 13, 10, 12, 10], improvement="increase")) == {}


def test_xmr_a_point_on_the_mean_breaks_the_run():
    """10, 12, 10, then 12, 13, 12, 11.5, 12, 13, 12, then 10, 12, 10: sum 149.5 over 13 = 11.5 exactly, so the
    11.5 sits on the mean and splits seven points into 3 + 3. Moving ranges 17 over 12, near band 11.5 -/+ 2.512222.
    Lifting it to 11.6 (mean 149.6/13 = 11.5077, still below it) makes one run of 7 above."""
    on_mean = [10, 12, 10, 12, 13, 12, 11.5, 12, 13, 12, 10, 12, 10]
    assert xmr(on_mean)["mean"] == 11.5
    assert _special(xmr(on_mean, improvement="increase")) == {}
    above = on_mean[:6] + [11.6] + on_mean[7:]
    assert _special(xmr(above, improvement="increase")) == {i: "special_cause_improvement" for i in range(3, 10)}


def test_xmr_first_rule_wins_outside_limit_before_trend():
    """8, 12 x4, then 30, 20, 16, 13, 11, 9, 7, then 12, 8, 12, 8: sum 226 over 19, mean 11.894737.
    moving ranges 28 + 18 + 23 + 5 + 12 = 86 over 18 = 4.777778; 3.267 * that = 15.61, so the 18 goes: 68/17 = 4.
    limits 11.894737 -/+ 10.64 = 1.254737, 22.534737. 30 (index 8) is outside above: improvement by rule (a),
    although it starts a 7-point fall (indices 8-14), whose other points rule (b) makes concern, 20 and 16 above the
    mean included. 20 is the only point beyond the near band (18.99), so rule (c) has nothing to add."""
    series = [8, 12, 8, 12, 8, 12, 8, 12, 30, 20, 16, 13, 11, 9, 7, 12, 8, 12, 8]
    result = xmr(series, improvement="increase")
    assert result["upper"] == pytest.approx(22.534737, abs=1e-6)
    assert _special(result) == {8: "special_cause_improvement"} | {i: "special_cause_concern" for i in range(9, 15)}


def test_xmr_first_rule_wins_trend_before_shift():
    """6, 20 x4, then 5 .. 11, then 6, 20 x4, 6: sum 104 + 56 + 110 = 270 over 24, mean 11.25.
    moving ranges 98 + 15 + 6 + 5 + 112 = 236 over 23 = 10.26087 (screen at 33.5: none); limits 11.25 -/+ 27.293913,
    near band 11.25 -/+ 18.195942, holding all. Indices 8-15 (5 .. 11, 6) are 8 below the mean (rule d, concern) but
    8-14 also rise (rule b, improvement), which comes first; index 15 is in the shift only."""
    series = [6, 20] * 4 + [5, 6, 7, 8, 9, 10, 11] + [6, 20] * 4 + [6]
    result = xmr(series, improvement="increase")
    assert result["mean"] == 11.25
    assert _special(result) == {i: "special_cause_improvement" for i in range(8, 15)} | {15: "special_cause_concern"}


def test_xmr_assurance_against_a_target():
    """Limits 7.61 .. 15.59 (first test). Increase: pass when the target is at or below the lower limit, fail above
    the upper one, otherwise hit or miss; decrease mirrors it; neither, or no target, gives none."""
    series = [10, 12, 11, 13, 12]
    lower, upper = xmr(series)["lower"], xmr(series)["upper"]
    cases = [("increase", 7, "pass"), ("increase", lower, "pass"), ("increase", 12, "hit_or_miss"),
             ("increase", upper, "hit_or_miss"), ("increase", 16, "fail"),
             ("decrease", 16, "pass"), ("decrease", upper, "pass"), ("decrease", 12, "hit_or_miss"),
             ("decrease", lower, "hit_or_miss"), ("decrease", 7, "fail"), ("neither", 12, None)]
    for improvement, target, expected in cases:
        assert xmr(series, improvement=improvement, target=target)["assurance"] == expected, (improvement, target)
    assert xmr(series, improvement="increase")["assurance"] is None


def test_xmr_constant_series_has_limits_on_the_mean_and_no_special_cause():
    result = xmr([5, 5, 5, 5, 5, 5, 5, 5], improvement="increase", target=5)
    assert result["mean"] == result["lower"] == result["upper"] == result["near_lower"] == result["near_upper"] == 5
    assert result["point_types"] == ["common_cause"] * 8
    assert result["assurance"] == "pass"
    assert xmr([5, 5, 5], improvement="increase", target=6)["assurance"] == "fail"


def test_xmr_refuses_too_few_points_and_unknown_directions():
    with pytest.raises(ValueError, match="at least 2"):
        xmr([3])
    with pytest.raises(ValueError, match="improvement"):
        xmr([3, 4], improvement="up")


# --- Suppression -----------------------------------------------------------------------------------------------------

def _rank(rows: list[list[Fraction]]) -> int:
    """Rank by Gaussian elimination over the rationals."""
    rows = [r[:] for r in rows]
    rank, width = 0, len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def _recoverable(table: list[list], row_totals: bool, column_totals: bool) -> list[tuple[int, int]]:
    """The "*" cells a reader could work out exactly from the shown cells and the published totals: a cell is fixed
    when its unit vector lies in the span of the line equations (one per published total) over the "*" cells."""
    stars = [(r, c) for r, row in enumerate(table) for c, v in enumerate(row) if v == "*"]
    lines: list[list[Fraction]] = []
    if row_totals:
        lines += [[Fraction(int(r == i)) for r, _ in stars] for i in range(len(table))]
    if column_totals:
        lines += [[Fraction(int(c == j)) for _, c in stars] for j in range(len(table[0]))]
    lines = [line for line in lines if any(line)]
    base = _rank(lines) if lines else 0
    fixed = []
    for k, cell in enumerate(stars):
        unit = [Fraction(int(i == k)) for i in range(len(stars))]
        if _rank([*lines, unit]) == base:
            fixed.append(cell)
    return fixed


def suppress(table: list[list], row_totals: bool = True, column_totals: bool = True) -> list[list]:
    """One table through suppress_linked, its rows' and columns' totals published (each a relation of its cells)."""
    cells = {(r, c): v for r, row in enumerate(table) for c, v in enumerate(row)}
    relations = []
    if row_totals:
        relations += [{(r, c): 1 for c in range(len(row))} for r, row in enumerate(table)]
    if column_totals:
        relations += [{(r, c): 1 for r in range(len(table))} for c in range(len(table[0]))]
    hidden = suppress_linked(cells, relations)
    return [[SUPPRESSED if (r, c) in hidden else v for c, v in enumerate(row)] for r, row in enumerate(table)]


def _lone_stars(table: list[list], row_totals: bool, column_totals: bool) -> list[str]:
    """Lines with a published total holding exactly one "*": 0 or at least 2 is required."""
    lone = []
    if row_totals:
        lone += [f"row {r}" for r, row in enumerate(table) if row.count("*") == 1]
    if column_totals:
        lone += [f"column {c}" for c in range(len(table[0])) if [row[c] for row in table].count("*") == 1]
    return lone


def test_suppress_count_single_values():
    assert [suppress_count(n) for n in (0, 1, 5, 7, 8, 120)] == [0, "*", "*", "*", 8, 120]
    assert [suppress_count(n, low=1, high=9) for n in (9, 10)] == ["*", 10]
    with pytest.raises(ValueError, match="negative"):
        suppress_count(-1)


def test_suppress_primary_only_without_totals():
    assert suppress([[0, 3, 12], [8, 7, 9], [1, 0, 40]], row_totals=False, column_totals=False) == [
        [0, "*", 12], [8, "*", 9], ["*", 0, 40]]


def test_suppress_nothing_when_every_count_is_zero_or_above_seven():
    table = [[0, 8, 12], [0, 9, 20], [30, 0, 0]]
    assert suppress(table) == table


def test_suppress_secondary_in_a_row():
    """Row total 33 and shown 10 and 20 would give the 3 away: the smallest other non-zero cell, 10, goes too."""
    assert suppress([[3, 20, 10]], column_totals=False) == [["*", 20, "*"]]


def test_suppress_secondary_in_a_column():
    assert suppress([[3], [20], [10], [15]], row_totals=False) == [["*"], [20], ["*"], [15]]


def test_suppress_secondary_falls_back_to_a_zero_when_no_non_zero_cell_is_left():
    """3, 0, 0 with its total 3: with the zeros shown the 3 is plain, so one zero is hidden as well."""
    assert suppress([[3, 0, 0], [10, 20, 30]], column_totals=False) == [["*", "*", 0], [10, 20, 30]]


def test_suppress_cascade_over_passes():
    """Both totals. Pass 1: row 0 has a lone 3, its smallest other cell 10 goes. Columns 0 and 1 now hold one "*"
    each. Pass 2: column 0 takes its smallest, 15. Pass 3: row 1 now holds one; 30 closes column 1 too and is chosen
    over the smaller 25, which would open a lone "*" in column 2. Stable: every line holds 0 or 2."""
    table = [[3, 10, 20], [15, 30, 25], [40, 12, 50]]
    out = suppress(table)
    assert out == [["*", "*", 20], ["*", "*", 25], [40, 12, 50]]
    assert _lone_stars(out, True, True) == []
    assert _recoverable(out, True, True) == []


def test_suppress_treats_a_missing_cell_as_suppressed():
    assert suppress([[None, 10, 20], [15, 30, 25]]) == [["*", "*", 20], ["*", "*", 25]]


def test_suppress_closes_a_single_link_between_two_blocks():
    """Two 2 x 2 blocks of small counts joined by the 3 at (0, 2): every line holds 2 or 3 "*", yet rows 0-1 minus
    columns 0-1 leave 3 + 50 + 60 + 70, so the 3 is recoverable. The smallest cell joining the blocks, 50, goes too."""
    table = [[1, 2, 3, 50], [4, 5, 60, 70], [80, 90, 6, 7], [85, 95, 2, 3]]
    primary_only = [["*" if 1 <= v <= 7 else v for v in row] for row in table]
    assert _lone_stars(primary_only, True, True) == []
    assert _recoverable(primary_only, True, True) == [(0, 2)]
    out = suppress(table)
    assert out == [["*", "*", "*", "*"], ["*", "*", 60, 70], [80, 90, "*", "*"], [85, 95, "*", "*"]]
    assert _recoverable(out, True, True) == []


def test_suppress_refuses_a_one_cell_line_with_a_total():
    with pytest.raises(ValueError, match="fixed by published totals alone"):
        suppress([[3], [10]], column_totals=False)


@pytest.mark.parametrize(("row_totals", "column_totals"), [(True, True), (True, False), (False, True)])
def test_suppress_random_tables_leave_nothing_recoverable(row_totals, column_totals):
    """Brute force over seeded random tables: no hidden 1-7 is fixed by the totals (a hidden larger count may be:
    it is no disclosure); every shown cell is the original count, every original 1-7 is hidden."""
    rng = random.Random(20240601)
    for _ in range(150):
        n_rows, n_cols = rng.randint(2, 5), rng.randint(2, 5)
        table = [[rng.choice([0, 0, 1, 2, 3, 5, 7, 8, 9, 12, 20, 45]) for _ in range(n_cols)] for _ in range(n_rows)]
        out = suppress(table, row_totals=row_totals, column_totals=column_totals)
        small = [(r, c) for r, row in enumerate(table) for c, v in enumerate(row) if 1 <= v <= 7]
        assert set(_recoverable(out, row_totals, column_totals)).isdisjoint(small), (table, out)
        for row, out_row in zip(table, out, strict=True):
            for v, shown in zip(row, out_row, strict=True):
                if 1 <= v <= 7:
                    assert shown == "*"
                else:
                    assert shown in ("*", v)
