"""The slope and relative index of inequality checked against hand-worked numbers and phe_sii's simulation."""
import math
import random

import pytest

from inclusive_access.reporting.gradients import sii_rii

Z = 1.959963984540054  # NormalDist().inv_cdf(0.975), R's qnorm(0.975)

#: populations 200, 300, 100, 250, 150 (total 1000): shares a = 0.2, 0.3, 0.1, 0.25, 0.15;
#: cumulative shares 0.2, 0.5, 0.6, 0.85, 1.0, so midpoints x = 0.1, 0.35, 0.55, 0.725, 0.925
POPS = [200, 300, 100, 250, 150]
EQUAL = [100] * 5  # shares 0.2 each, midpoints x = 0.1, 0.3, 0.5, 0.7, 0.9


def test_sii_values_exactly_on_a_line():
    """y = 20 + 10x at x = 0.1, 0.35, 0.55, 0.725, 0.925 gives 21, 23.5, 25.5, 27.25, 29.25.

    The WLS fit recovers the line: SII = 10 (x 100 with multiplier 100 = 1000), RII = (20 + 10)/20 = 1.5.
    Zero-width limits make every draw the value itself, so both intervals collapse to the point estimate.
    """
    values = [21, 23.5, 25.5, 27.25, 29.25]
    result = sii_rii(values, POPS, values, values, reps=50, seed=1)
    assert result["sii"] == pytest.approx(10, abs=1e-12)
    assert result["rii"] == pytest.approx(1.5, abs=1e-12)
    assert result["sii_lower"] == result["sii"] == result["sii_upper"]
    assert result["rii_lower"] == result["rii"] == result["rii_upper"]
    scaled = sii_rii(values, POPS, values, values, multiplier=100, reps=50, seed=1)
    assert scaled["sii"] == pytest.approx(1000, abs=1e-9)
    assert scaled["rii"] == pytest.approx(1.5, abs=1e-12)


def test_sii_not_on_a_line_worked_by_hand():
    """values 30, 28, 25, 24, 20 (most deprived first) with POPS.

    x - 0.5 = -0.4, -0.15, 0.05, 0.225, 0.425 (the population-weighted mean of the midpoints is always 0.5)
    Sxx = 0.2*0.16 + 0.3*0.0225 + 0.1*0.0025 + 0.25*0.050625 + 0.15*0.180625
        = 0.032 + 0.00675 + 0.00025 + 0.01265625 + 0.02709375 = 0.07875
    Sxy = sum a (x - 0.5) y = -2.4 - 1.26 + 0.125 + 1.35 + 1.275 = -0.91
    b = -0.91 / 0.07875 = -104/9 = -11.5556
    y_bar = 6 + 8.4 + 2.5 + 6 + 3 = 25.9; a = y_bar - 0.5 b = 25.9 + 52/9 = 285.1/9 = 31.6778
    RII = (a + b)/a = (285.1 - 104)/285.1 = 181.1/285.1 = 0.635216
    """
    values = [30, 28, 25, 24, 20]
    result = sii_rii(values, POPS, [v - 1 for v in values], [v + 1 for v in values], reps=2000, seed=7)
    assert result["sii"] == pytest.approx(-104 / 9, abs=1e-12)
    assert result["rii"] == pytest.approx(181.1 / 285.1, abs=1e-12)
    assert result["sii_lower"] < result["sii"] < result["sii_upper"]
    assert result["rii_lower"] < result["rii"] < result["rii_upper"]


def test_sii_proportion_on_its_own_scale():
    """p = 0.2, 1/3, 0.5, 2/3, 0.8 with equal populations (x - 0.5 = -0.4, -0.2, 0, 0.2, 0.4, Sxx = 0.2*0.4 = 0.08).

    Sxy = 0.2 * (-0.08 - 0.0666667 + 0 + 0.1333333 + 0.32) = 0.0613333; b = 0.0613333/0.08 = 23/30
    y_bar = 0.2 * 2.5 = 0.5; a = 0.5 - 23/60 = 7/60; RII = (7/60 + 46/60)/(7/60) = 53/7; SII x 100 = 76.667
    """
    values = [0.2, 1 / 3, 0.5, 2 / 3, 0.8]
    result = sii_rii(values, EQUAL, [v - 0.05 for v in values], [v + 0.05 for v in values],
                     value_type="proportion", multiplier=100, reps=200, seed=3)
    assert result["sii"] == pytest.approx(2300 / 30, abs=1e-9)
    assert result["rii"] == pytest.approx(53 / 7, abs=1e-12)


def test_sii_proportion_on_the_logit_scale_back_transforms_the_ends():
    """The same p have odds 2^k, k = -2, -1, 0, 1, 2, so logit p = k ln 2 = ln 2 * (-2.5 + 5x), exactly linear.

    Fitted ends: logit at x = 0 is -2.5 ln 2, at x = 1 is 2.5 ln 2.
    back(a) = 2^-2.5 / (1 + 2^-2.5) = 0.1767767 / 1.1767767 = 0.1502211
    back(a + b) = 2^2.5 / (1 + 2^2.5) = 5.6568542 / 6.6568542 = 0.8497789
    SII x 100 = 100 * (0.8497789 - 0.1502211) = 69.95578; RII = 0.8497789 / 0.1502211 = 2^2.5 = 5.6568542
    """
    values = [0.2, 1 / 3, 0.5, 2 / 3, 0.8]
    result = sii_rii(values, EQUAL, [v - 0.05 for v in values], [v + 0.05 for v in values],
                     value_type="proportion", transform=True, multiplier=100, reps=2000, seed=3)
    assert result["sii"] == pytest.approx(69.95578, abs=1e-5)
    assert result["rii"] == pytest.approx(2**2.5, abs=1e-9)
    assert result["sii_lower"] < result["sii"] < result["sii_upper"]
    assert result["rii_lower"] < result["rii"] < result["rii_upper"]


def test_sii_rate_on_the_log_scale_back_transforms_the_ends():
    """rates 1, 4, 2, 8, 16 = 2^k, k = 0, 2, 1, 3, 4, equal populations; fit log2 (then ln = ln 2 * log2).

    Sxy = 0.2 * (-0.4*0 - 0.2*2 + 0 + 0.2*3 + 0.4*4) = 0.2 * 1.8 = 0.36; b = 0.36/0.08 = 4.5 (log2 units)
    k_bar = 0.2 * 10 = 2; a = 2 - 0.5 * 4.5 = -0.25
    ends: 2^-0.25 = 0.8408964, 2^4.25 = 19.0273138; SII = 18.1864174; RII = 2^4.5 = 22.6274170
    Untransformed, the same rates give b = 0.2 * (-0.4 - 0.8 + 0 + 1.6 + 6.4)/0.08 = 1.36/0.08 = 17 and
    a = 0.2 * 31 - 0.5 * 17 = 6.2 - 8.5 = -2.3, so RII = (-2.3 + 17)/-2.3 = -6.3913.
    """
    values = [1, 4, 2, 8, 16]
    lower, upper = [v / 2 for v in values], [v * 2 for v in values]
    result = sii_rii(values, EQUAL, lower, upper, value_type="rate", transform=True, reps=2000, seed=5)
    assert result["sii"] == pytest.approx(18.1864174, abs=1e-6)
    assert result["rii"] == pytest.approx(22.6274170, abs=1e-6)
    assert result["sii_lower"] < result["sii"] < result["sii_upper"]
    plain = sii_rii(values, EQUAL, lower, upper, value_type="rate", reps=100, seed=5)
    assert plain["sii"] == pytest.approx(17, abs=1e-12)
    assert plain["rii"] == pytest.approx(14.7 / -2.3, abs=1e-12)


def test_sii_rate_with_zero_width_limits_collapses_on_the_log_scale_too():
    """Rates 10 * 2^x exactly (x = 0.1 .. 0.9): ends 10 and 20, SII 10, RII 2, and no spread to simulate. The limits
    are the ends rebuilt around the fitted midpoint, so they equal the point to rounding."""
    values = [10 * 2**x for x in (0.1, 0.3, 0.5, 0.7, 0.9)]
    result = sii_rii(values, EQUAL, values, values, value_type="rate", transform=True, reps=20, seed=2)
    assert result["sii"] == pytest.approx(10, abs=1e-12)
    assert result["rii"] == pytest.approx(2, abs=1e-12)
    assert (result["sii_lower"], result["sii_upper"]) == pytest.approx((10, 10), abs=1e-12)
    assert (result["rii_lower"], result["rii_upper"]) == pytest.approx((2, 2), abs=1e-12)


def test_sii_simulated_interval_matches_the_analytic_one_for_normal_values():
    """Equal populations, limits value -/+ z so each standard error is (2z)/(2z) = 1.

    b = sum c_i y_i with c_i = a_i (x_i - 0.5)/Sxx = 0.2 * (-0.4, -0.2, 0, 0.2, 0.4)/0.08 = (-1, -0.5, 0, 0.5, 1),
    so sd(b) = sqrt(1 + 0.25 + 0 + 0.25 + 1) = sqrt(2.5) = 1.5811388 and the 95% interval is b -/+ 1.959964 * 1.5811388
    = b -/+ 3.0989; here b = 0.2 * (-0.4*10 - 0.2*12 + 0 + 0.2*11 + 0.4*15) / 0.08 = 0.36/0.08 = 4.5.
    """
    values = [10, 12, 13, 11, 15]
    result = sii_rii(values, EQUAL, [v - Z for v in values], [v + Z for v in values], reps=20_000, seed=11)
    assert result["sii"] == pytest.approx(4.5, abs=1e-12)
    assert result["sii_lower"] == pytest.approx(4.5 - 3.0989, abs=0.1)
    assert result["sii_upper"] == pytest.approx(4.5 + 3.0989, abs=0.1)


#: with equal populations each SII draw is sum c_i y_i (c as in the analytic test above), and each intercept draw,
#: the fit at x = 0, is sum y_i (0.2 - 0.5 c_i) since a = y_bar - 0.5 b
C = (-1, -0.5, 0, 0.5, 1)


def _slope(ys) -> float:
    return sum(c * y for c, y in zip(C, ys, strict=True))


def test_sii_limits_are_the_sorted_draws_at_phe_sii_positions():
    """phe_sii reads the sorted draws at 1-based positions round(reps * 0.025) and round(reps * 0.975): with 1000
    repetitions, redrawn here group by group from random.Random(seed), the 25th and the 975th."""
    values = [10, 12, 13, 11, 15]
    rng = random.Random(99)
    draws = sorted(_slope([rng.gauss(v, 1) for v in values]) for _ in range(1000))
    result = sii_rii(values, EQUAL, [v - Z for v in values], [v + Z for v in values], reps=1000, seed=99)
    assert result["sii_lower"] == pytest.approx(draws[24], abs=1e-9)
    assert result["sii_upper"] == pytest.approx(draws[974], abs=1e-9)


def test_sii_rates_are_simulated_on_the_log_scale_even_untransformed():
    """Rates 1, 4, 2, 8, 16 with limits v/2 and 2v: on the log scale each standard error is ln 4 / (2z) = 0.353653;
    each draw is exp(N(ln v, 0.353653)), then fitted as it is; the limits are the 25th and 975th of 1000."""
    values = [1, 4, 2, 8, 16]
    se = math.log(4) / (2 * Z)
    assert se == pytest.approx(0.353653, abs=1e-6)
    rng = random.Random(5)
    draws = sorted(_slope([math.exp(rng.gauss(math.log(v), se)) for v in values]) for _ in range(1000))
    result = sii_rii(values, EQUAL, [v / 2 for v in values], [v * 2 for v in values], value_type="rate", reps=1000,
                     seed=5)
    assert result["sii_lower"] == pytest.approx(draws[24], abs=1e-9)
    assert result["sii_upper"] == pytest.approx(draws[974], abs=1e-9)


def _expit(t: float) -> float:
    return 1 / (1 + math.exp(-t))


def test_sii_transformed_interval_maps_the_sorted_logit_slopes_back_around_the_fitted_midpoint():
    """Proportions 0.2, 1/3, 0.5, 2/3, 0.8 fitted on the logit scale: logit p = ln 2 * (-2.5 + 5x), so the
    midpoint a + b/2 is 0. The slopes of 1000 logit draws are sorted; the 25th and 975th, s, give the ends
    expit(-s/2) and expit(s/2): SII limits 100 * (expit(s/2) - expit(-s/2)), RII limits expit(s/2) / expit(-s/2)."""
    values = [0.2, 1 / 3, 0.5, 2 / 3, 0.8]
    lower, upper = [v - 0.05 for v in values], [v + 0.05 for v in values]
    logit = [math.log(p / (1 - p)) for p in values]
    errors = [(math.log(hi / (1 - hi)) - math.log(lo / (1 - lo))) / (2 * Z) for lo, hi in zip(lower, upper,
                                                                                             strict=True)]
    rng = random.Random(3)
    slopes = sorted(_slope([rng.gauss(m, e) for m, e in zip(logit, errors, strict=True)]) for _ in range(1000))
    result = sii_rii(values, EQUAL, lower, upper, value_type="proportion", transform=True, multiplier=100,
                     reps=1000, seed=3)
    for end, s in (("lower", slopes[24]), ("upper", slopes[974])):
        assert result[f"sii_{end}"] == pytest.approx(100 * (_expit(s / 2) - _expit(-s / 2)), abs=1e-9)
        assert result[f"rii_{end}"] == pytest.approx(_expit(s / 2) / _expit(-s / 2), abs=1e-9)


def test_sii_same_seed_same_intervals():
    values = [30, 28, 25, 24, 20]
    args = (values, POPS, [v - 2 for v in values], [v + 2 for v in values])
    first = sii_rii(*args, reps=1000, seed=42)
    assert sii_rii(*args, reps=1000, seed=42) == first
    assert sii_rii(*args, reps=1000, seed=43)["sii_lower"] != first["sii_lower"]


def test_sii_sign_convention_values_rising_towards_the_least_deprived_give_a_positive_sii():
    """A higher-is-better measure (attendance %) that is worse for the most deprived rises from first to last group:
    least deprived end minus most deprived end is positive. The same values in the other order give a negative SII."""
    rising = [0.70, 0.74, 0.78, 0.82, 0.86]
    limits = ([v - 0.02 for v in rising], [v + 0.02 for v in rising])
    assert sii_rii(rising, EQUAL, *limits, value_type="proportion", reps=100, seed=1)["sii"] > 0
    falling = rising[::-1]
    limits = ([v - 0.02 for v in falling], [v + 0.02 for v in falling])
    assert sii_rii(falling, EQUAL, *limits, value_type="proportion", reps=100, seed=1)["sii"] < 0


def test_sii_negative_multiplier_inverts_the_rii():
    """Polarity, as phe_sii has it: a negative multiplier flips the SII and takes the inverse of the RII. On the logit
    scale both come from the same sorted slopes, so the flipped limits are the plain ones swapped (and inverted)."""
    values = [0.2, 1 / 3, 0.5, 2 / 3, 0.8]
    args = (values, EQUAL, [v - 0.05 for v in values], [v + 0.05 for v in values])
    plain = sii_rii(*args, value_type="proportion", transform=True, multiplier=100, reps=1000, seed=9)
    flipped = sii_rii(*args, value_type="proportion", transform=True, multiplier=-100, reps=1000, seed=9)
    assert flipped["sii"] == pytest.approx(-plain["sii"])
    assert (flipped["sii_lower"], flipped["sii_upper"]) == pytest.approx((-plain["sii_upper"], -plain["sii_lower"]))
    assert flipped["rii"] == pytest.approx(2**-2.5, abs=1e-12), "the inverse of 2^2.5"
    assert (flipped["rii_lower"], flipped["rii_upper"]) == pytest.approx((1 / plain["rii_upper"],
                                                                          1 / plain["rii_lower"]))


def test_sii_negative_multiplier_inverts_each_rii_draw_on_the_values_own_scale():
    """Untransformed, each RII draw is inverted before sorting: the limits are the 25th and 975th of the inverted
    draws, redrawn here (intercept draws sum y_i (0.2 - 0.5 c_i), slope draws sum c_i y_i)."""
    values = [10, 12, 13, 11, 15]
    rng = random.Random(9)
    inverted = []
    for _ in range(1000):
        ys = [rng.gauss(v, 1) for v in values]
        intercept = sum(y * (0.2 - 0.5 * c) for c, y in zip(C, ys, strict=True))
        inverted.append(intercept / (intercept + _slope(ys)))
    inverted.sort()
    result = sii_rii(values, EQUAL, [v - Z for v in values], [v + Z for v in values], multiplier=-1, reps=1000,
                     seed=9)
    # fitted ends: a = 12.2 - 0.5 * 4.5 = 9.95, a + b = 14.45
    assert result["rii"] == pytest.approx(9.95 / 14.45, abs=1e-12)
    assert (result["rii_lower"], result["rii_upper"]) == pytest.approx((inverted[24], inverted[974]), abs=1e-9)
    assert result["sii"] == pytest.approx(-4.5, abs=1e-12)


def test_an_undefined_rii_has_no_interval():
    """Populations 1, 1, 1, 1, 4 put the midpoints at 1/16, 3/16, 5/16, 7/16, 3/4; values equal to them lie on
    y = x, whose most deprived end is fitted at exactly 0: no ratio, so no interval, though the draws have one."""
    values = [1 / 16, 3 / 16, 5 / 16, 7 / 16, 3 / 4]
    result = sii_rii(values, [1, 1, 1, 1, 4], [v - 0.01 for v in values], [v + 0.01 for v in values], reps=1000,
                     seed=1)
    assert result["sii"] == pytest.approx(1, abs=1e-12)
    assert [math.isnan(result[k]) for k in ("rii", "rii_lower", "rii_upper")] == [True] * 3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"values": [1, 2, 3, 4]}, "at least 5"),
    ({"value_type": "count"}, "value_type"),
    ({"transform": True}, "transform"),
    ({"populations": [100, 0, 100, 100, 100]}, "positive population"),
    ({"values": [1, 2, 3, 4, 6]}, "within its limits"),
])
def test_sii_refuses_bad_input(kwargs, message):
    args = {"values": [1, 2, 3, 4, 5], "populations": EQUAL, "lower": [0.5] * 5, "upper": [5.5] * 5} | kwargs
    if len(args["values"]) == 4:
        args.update(populations=EQUAL[:4], lower=[0.5] * 4, upper=[5.5] * 4)
    with pytest.raises(ValueError, match=message):
        sii_rii(**args, reps=10)


def test_sii_refuses_proportions_that_the_logit_cannot_take():
    values = [0.1, 0.2, 0.3, 0.4, 0.5]
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        sii_rii(values, EQUAL, [0.0] + values[1:], [0.6] * 5, value_type="proportion", reps=10)
