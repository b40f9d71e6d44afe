"""Pure statistics for equity reporting: Wilson and median intervals, SII/RII, XmR charts, small-number suppression."""
import math
import random
import statistics
from collections.abc import Callable, Sequence

#: the two-sided 95% normal quantile, used to turn each group's 95% limits into a standard error (as phe_sii does)
Z_95 = statistics.NormalDist().inv_cdf(0.975)
#: XmR natural process limits sit 3 sigma out, sigma estimated as mean moving range / d2 (d2 = 1.128): 3 / 1.128
XMR_LIMIT = 2.66
#: a moving range at or above D4 x the mean moving range (D4 = 3.267 for ranges of two points) is an outlier
XMR_SCREEN = 3.267
#: the "near the limit" band, two thirds of the way to a limit (2 sigma), computed as NHSRplotthedots does
XMR_NEAR = 2 * (XMR_LIMIT / 3)
SUPPRESSED = "*"
IMPROVEMENTS = ("increase", "decrease", "neither")


def _z(conf: float) -> float:
    return statistics.NormalDist().inv_cdf(1 - (1 - conf) / 2)


def wilson_ci(x: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for the proportion x/n, without continuity correction.

    Limits are (2x + z^2 -/+ z * sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2)) with z the exact normal quantile
    NormalDist().inv_cdf(1 - (1 - conf)/2) (1.959963984540054 at 95%), clipped to [0, 1]; x = 0 gives a lower limit
    of exactly 0 and x = n an upper limit of exactly 1. conf = 1 gives (0, 1). n = 0 carries no information, so the
    interval is the whole of (0, 1) rather than an error: small groups are shown with wide intervals, not dropped.

    Sources: Wilson EB, J Am Stat Assoc 1927;22:209-212; Newcombe RG, Stat Med 1998;17:857-872 (method 3);
    PHE/OHID's Fingertips technical guidance and PHEindicatormethods' wilson_lower/wilson_upper, which use this form.
    """
    if n < 0:
        raise ValueError(f"the denominator must not be negative, got n={n}")
    if not 0 <= x <= n:
        raise ValueError(f"the numerator must lie in [0, n], got x={x}, n={n}")
    if not 0 < conf <= 1:
        raise ValueError(f"the confidence level must lie in (0, 1], got {conf}")
    if n == 0 or conf == 1:
        return 0.0, 1.0
    z = _z(conf)
    centre = 2 * x + z * z
    spread = z * math.sqrt(z * z + 4 * x * (1 - x / n))
    denominator = 2 * (n + z * z)
    lower = 0.0 if x == 0 else max(0.0, (centre - spread) / denominator)
    upper = 1.0 if x == n else min(1.0, (centre + spread) / denominator)
    return lower, upper


def _below_half(n: int, m: int) -> float:
    """P(B <= m) for B ~ Binomial(n, 1/2) and 0 <= m < n/2: the terms from C(n, m) / 2^n down, each from the one
    before (C(n, i - 1) = C(n, i) i / (n - i + 1)), until they no longer change the sum."""
    term = math.exp(math.lgamma(n + 1) - math.lgamma(m + 1) - math.lgamma(n - m + 1) - n * math.log(2))
    total, i = 0.0, m
    while i >= 0 and total + term != total:
        total += term
        term *= i / (n - i + 1)
        i -= 1
    return total


def median_ci(values_sorted_count: int, conf: float = 0.95) -> tuple[int, int]:
    """The 1-based order statistics (j, k) whose values bound the order-statistic (binomial) interval for a median.

    With n sorted values and B ~ Binomial(n, 1/2), the interval [x_(j), x_(k)] with k = n - j + 1 covers the
    population median with probability P(j <= B <= k - 1) = 1 - 2 P(B <= j - 1). This returns the narrowest such
    symmetric pair (the largest j <= n/2) whose coverage is at least conf, found by bisection (the coverage falls as
    j rises). When even (1, n) falls short (n <= 5 at 95%, where its coverage is 1 - 2/2^n), it returns (1, n),
    the widest interval there is, whose coverage is then below conf. The binomial tail is summed in floating point
    from log-gamma (exact integers are too slow for a large group); a test checks it against exact sums. The app
    computes the median itself in SQL; this gives the ranks to read the limits at.

    Source: Campbell MJ, Gardner MJ. Calculating confidence intervals for some non-parametric analyses.
    BMJ 1988;296:1454-1456 (also chapter 5 of Altman DG et al., Statistics with Confidence, 2nd edn, 2000).
    """
    n = values_sorted_count
    if n < 1:
        raise ValueError(f"a median needs at least one value, got n={n}")
    if not 0 < conf <= 1:
        raise ValueError(f"the confidence level must lie in (0, 1], got {conf}")
    budget = 1 - conf
    low, high = 0, n // 2  # the largest j reaching conf lies in [low, high]; j = 0 stands for none
    while low < high:
        j = (low + high + 1) // 2
        if 2 * _below_half(n, j - 1) <= budget:
            low = j
        else:
            high = j - 1
    if low == 0:
        return 1, n
    return low, n - low + 1


def median_difference_ci(n: int, conf: float = 0.95) -> tuple[int, int] | None:
    """One group's part of a distribution-free interval for the difference of two medians: the 1-based order
    statistics (j, k) of its median's order-statistic interval at level sqrt(conf), or None when n is too small
    for any such interval to reach that level (n <= 6 at 95%).

    For independent groups a and b, both medians' intervals hold together with probability at least
    sqrt(conf)^2 = conf, and whenever both hold the difference of the medians lies in
    [lower_a - upper_b, upper_a - lower_b]; so that interval covers the difference with probability at least conf,
    whatever the distributions (conservative: usually wider than needed). Each group's limits are its own order
    statistics, so the database reads them as it reads a median.

    Source: the order-statistic interval of median_ci (Campbell and Gardner, BMJ 1988), combined by the Bonferroni
    (here exact product, the groups being independent) argument for simultaneous intervals.
    """
    level = math.sqrt(conf)
    j, k = median_ci(n, level)
    if 1 - 2 * _below_half(n, j - 1) < level:
        return None
    return j, k


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(t: float) -> float:
    if t >= 0:
        return 1 / (1 + math.exp(-t))
    return math.exp(t) / (1 + math.exp(t))


def _identity(v: float) -> float:
    return v


#: value_type -> (to the scale its uncertainty is normal on, back again)
_SCALES: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    "value": (_identity, _identity),
    "rate": (math.log, math.exp),
    "proportion": (_logit, _expit),
}


def _sorted_at(sorted_draws: Sequence[float], p: float) -> float:
    """phe_sii's limit: the draw at 1-based position round(reps * p) (R and Python both round half to even), kept
    within the draws when reps is too small for p."""
    position = min(max(round(len(sorted_draws) * p), 1), len(sorted_draws))
    return sorted_draws[position - 1]


def _inverse(ratio: float) -> float:
    return 1 / ratio if ratio != 0 else math.nan


def sii_rii(values: Sequence[float], populations: Sequence[float], lower: Sequence[float], upper: Sequence[float],
            value_type: str = "value", transform: bool = False, multiplier: float = 1, conf: float = 0.95,
            reps: int = 100_000, seed: int | None = None) -> dict[str, float]:
    """Slope and relative index of inequality across ordered groups, with Monte-Carlo intervals, as
    PHEindicatormethods::phe_sii computes them (value_type 0/1/2 there is "value"/"rate"/"proportion" here).

    Groups come most deprived first (at least 5). Each group's x is the midpoint of its share of the cumulative
    population, so x runs from 0 (most deprived) to 1 (least deprived). The value is regressed on x by weighted
    least squares, weights = population shares (phe_sii's lm(y*sqrt(a) ~ sqrt(a) + x*sqrt(a) - 1)), giving
    intercept a and slope b; the least deprived end minus the most deprived end is the SII, their ratio the RII.

    - transform=False: the fit is on the value's own scale: SII = multiplier * b, RII = (a + b) / a (NaN when a = 0).
    - transform=True (rates and proportions only): the fit is on the log (rates) or logit (proportions) scale and
      the ends are back-transformed: SII = multiplier * (back(a + b) - back(a)), RII = back(a + b) / back(a).
    - A negative multiplier reverses polarity: it flips the SII's sign and inverts the RII (1 / RII), for the
      point and the interval alike (phe_sii: "the inverse of the RII is taken to account for the change in
      polarity").

    Simulation: each group's standard error is (scaled upper - scaled lower) / (2 * z_0.975) on its value_type's
    scale (identity, log for rates, logit for proportions, whatever `transform` is), and each of `reps`
    repetitions draws every group from a normal centred on its scaled value (random.Random(seed), group by group
    within a repetition; a zero-width interval gives the value itself). With transform=False the draw is
    back-transformed and the fit repeated, each repetition giving an SII and an RII (inverted for a negative
    multiplier); the limits are the sorted draws at positions round(reps * (1 - conf) / 2) and
    round(reps * (1 + conf) / 2). With transform=True only the slopes are sorted, on the transformed scale; their
    limits s are mapped back around the fitted midpoint m = a + b / 2, as ends back(m - s / 2) and back(m + s / 2),
    into SII and RII limits by the formulas above, so a proportion's RII limits stay positive and its SII limits
    within +/- |multiplier|. Both maps rise with s, so a negative multiplier just swaps (and, for the RII, inverts)
    the ends, as phe_sii does; phe_sii tests a rate's multiplier for < 1 rather than < 0 there (a positive
    multiplier below 1 would leave its limits reversed), so the swap here follows the sign, as for proportions. An
    RII that is not defined (a most deprived end fitted at 0, or a ratio of 0 to invert) has no interval either:
    both limits are NaN.

    Sources: Low A, Low A. Measuring the gap: quantifying and comparing local health inequalities. J Public Health
    2004;26:388-395; PHEindicatormethods::phe_sii and its SimulationFunc (value_type, transform, multiplier,
    repetitions, confidence).
    """
    k = len(values)
    if not len(populations) == len(lower) == len(upper) == k:
        raise ValueError("values, populations, lower and upper must have one entry per group")
    if k < 5:
        raise ValueError(f"the SII needs at least 5 ordered groups, got {k}")
    if value_type not in _SCALES:
        raise ValueError(f"value_type must be one of {sorted(_SCALES)}, got {value_type!r}")
    if transform and value_type == "value":
        raise ValueError("transform=True needs value_type 'rate' (log) or 'proportion' (logit)")
    if not 0 < conf < 1:
        raise ValueError(f"the confidence level must lie in (0, 1), got {conf}")
    if reps < 1:
        raise ValueError(f"at least one repetition is needed, got {reps}")
    for value, pop, lo, hi in zip(values, populations, lower, upper, strict=True):
        if pop <= 0:
            raise ValueError(f"every group needs a positive population, got {pop}")
        if not lo <= value <= hi:
            raise ValueError(f"each value must lie within its limits, got {value} outside [{lo}, {hi}]")
        if value_type == "rate" and lo <= 0:
            raise ValueError(f"rates and their limits must be positive for the log scale, got lower={lo}")
        if value_type == "proportion" and not (lo > 0 and hi < 1):
            raise ValueError(f"proportions and their limits must lie in (0, 1) for the logit scale, got [{lo}, {hi}]")

    to_scale, from_scale = _SCALES[value_type]
    total = math.fsum(populations)
    shares, xs, before = [], [], 0.0
    for pop in populations:
        shares.append(pop / total)
        xs.append((before + pop / 2) / total)
        before += pop
    x_bar = math.fsum(a * x for a, x in zip(shares, xs, strict=True))
    s_xx = math.fsum(a * (x - x_bar) ** 2 for a, x in zip(shares, xs, strict=True))
    # WLS estimates are linear in y: b = sum(slope_w * y), a = sum(intercept_w * y)
    slope_w = [a * (x - x_bar) / s_xx for a, x in zip(shares, xs, strict=True)]
    intercept_w = [a - x_bar * w for a, w in zip(shares, slope_w, strict=True)]

    def fit(ys: Sequence[float]) -> tuple[float, float]:
        return (sum(w * y for w, y in zip(intercept_w, ys, strict=True)),
                sum(w * y for w, y in zip(slope_w, ys, strict=True)))

    def polarity(rii: float) -> float:
        return _inverse(rii) if multiplier < 0 else rii

    def from_ends(most: float, least: float) -> tuple[float, float]:
        """SII and RII (polarity applied) from the fitted ends on the value's own scale."""
        return multiplier * (least - most), polarity(least / most if most != 0 else math.nan)

    point_ys = [to_scale(v) if transform else v for v in values]
    intercept, slope = fit(point_ys)
    if transform:
        sii, rii = from_ends(from_scale(intercept), from_scale(intercept + slope))
    else:
        sii, rii = from_ends(intercept, intercept + slope)

    means = [to_scale(v) for v in values]
    errors = [(to_scale(hi) - to_scale(lo)) / (2 * Z_95) for lo, hi in zip(lower, upper, strict=True)]
    rng = random.Random(seed)  # noqa: S311 -- seeded, reproducible simulation; nothing secret depends on it
    draws = []
    for _ in range(reps):
        ys = []
        for point_y, mean, error in zip(point_ys, means, errors, strict=True):
            if error == 0:
                ys.append(point_y)
            else:
                draw = rng.gauss(mean, error)
                ys.append(draw if transform else from_scale(draw))
        draws.append(fit(ys))

    upper_p = conf + (1 - conf) / 2
    lower_p = 1 - upper_p
    if transform:
        slopes = sorted(s for _a, s in draws)
        middle = intercept + slope / 2
        ends = [from_ends(from_scale(middle - s / 2), from_scale(middle + s / 2))
                for s in (_sorted_at(slopes, lower_p), _sorted_at(slopes, upper_p))]
        sii_limits, rii_limits = sorted(e[0] for e in ends), sorted(e[1] for e in ends)
    else:
        sii_draws = sorted(multiplier * s for _a, s in draws)
        rii_draws = [polarity((a + s) / a if a != 0 else math.nan) for a, s in draws]
        sii_limits = [_sorted_at(sii_draws, lower_p), _sorted_at(sii_draws, upper_p)]
        if any(math.isnan(r) for r in rii_draws):
            rii_limits = [math.nan, math.nan]
        else:
            rii_draws.sort()
            rii_limits = [_sorted_at(rii_draws, lower_p), _sorted_at(rii_draws, upper_p)]
    if math.isnan(rii):
        rii_limits = [math.nan, math.nan]
    return {"sii": sii, "rii": rii, "sii_lower": sii_limits[0], "sii_upper": sii_limits[1],
            "rii_lower": rii_limits[0], "rii_upper": rii_limits[1]}


def _runs(signs: Sequence[int]) -> list[tuple[int, int, int]]:
    """Maximal runs of one non-zero sign, as (first index, last index, sign), in order."""
    runs, start = [], 0
    for i in range(1, len(signs) + 1):
        if i == len(signs) or signs[i] != signs[start]:
            if signs[start] != 0:
                runs.append((start, i - 1, signs[start]))
            start = i
    return runs


def _sign(d: float) -> int:
    return (d > 0) - (d < 0)


def xmr(values: Sequence[float], screen_outliers: bool = True, improvement: str = "neither",
        target: float | None = None) -> dict:
    """XmR (individuals) chart: limits, point types and target assurance, NHS "Making Data Count" style.

    Moving ranges are |x_i - x_(i-1)| (n - 1 of them). With screen_outliers, moving ranges at or above 3.267 x their
    mean are dropped once and the mean moving range recomputed from the rest (when every moving range is 0 there is
    nothing to screen). Limits are mean +/- 2.66 x mean moving range; the near band is mean +/- (2/3) x 2.66 x mean
    moving range. A constant series has limits equal to the mean and no special cause.

    Special cause, the first matching rule deciding each point: (a) strictly outside a limit; (b) part of a run of 7
    or more strictly rising or strictly falling points (every point of the run); (c) 2 of 3 consecutive points beyond
    the near band with all three strictly on one side of the mean, those beyond-band points only (a point outside
    the limits counts for its side but is not one of the two); (d) part
    of a run of 7 or more on one side of the mean (a point on the mean breaks it). The direction of (a), (c) and (d)
    is the side of the mean (or band), and of (b) the trend's; a peak ending one trend and starting another takes the
    earlier one. With improvement "increase" an upward direction is "special_cause_improvement" and a downward one
    "special_cause_concern" ("decrease" the reverse); "neither" gives "special_cause_neither". Other points are
    "common_cause". Assurance (None without a target or with "neither"): for "increase" "pass" if target <= lower,
    "fail" if target > upper, else "hit_or_miss"; for "decrease" "pass" if target >= upper, "fail" if target < lower.
    DOMAIN.md draws a plain run chart instead when there are fewer than 15 points; that choice is the caller's.

    Sources: NHS England and NHS Improvement, Making Data Count (2019, 2021); NHSRplotthedots (ptd_spc_standard,
    ptd_calculate_point_type, ptd_calculate_assurance_type); Wheeler DJ, Understanding Variation (2000).
    """
    ys = [float(v) for v in values]
    n = len(ys)
    if n < 2:
        raise ValueError(f"an XmR chart needs at least 2 values, got {n}")
    if improvement not in IMPROVEMENTS:
        raise ValueError(f"improvement must be one of {IMPROVEMENTS}, got {improvement!r}")
    mean = statistics.fmean(ys)
    moving_ranges = [abs(b - a) for a, b in zip(ys, ys[1:], strict=False)]
    mr_bar = statistics.fmean(moving_ranges)
    if screen_outliers and mr_bar > 0:
        mr_bar = statistics.fmean(mr for mr in moving_ranges if mr < XMR_SCREEN * mr_bar)
    lower, upper = mean - XMR_LIMIT * mr_bar, mean + XMR_LIMIT * mr_bar
    near_lower, near_upper = mean - XMR_NEAR * mr_bar, mean + XMR_NEAR * mr_bar

    directions: list[int | None] = [None] * n  # +1 up / -1 down, set by the first rule that flags the point

    def flag(i: int, direction: int) -> None:
        if directions[i] is None:
            directions[i] = direction

    side = [_sign(y - mean) for y in ys]
    outside = [y > upper or y < lower for y in ys]
    for i in range(n):  # (a)
        if outside[i]:
            flag(i, side[i])
    steps = [_sign(b - a) for a, b in zip(ys, ys[1:], strict=False)]
    for first, last, direction in _runs(steps):  # (b): steps first..last join points first..last + 1
        if last - first + 2 >= 7:
            for i in range(first, last + 2):
                flag(i, direction)
    near = [not outside[i] and (y > near_upper or y < near_lower) for i, y in enumerate(ys)]
    for start in range(n - 2):  # (c)
        window = range(start, start + 3)
        direction = side[start]
        if direction != 0 and all(side[i] == direction for i in window) and sum(near[i] for i in window) >= 2:
            for i in window:
                if near[i]:
                    flag(i, direction)
    for first, last, direction in _runs(side):  # (d)
        if last - first + 1 >= 7:
            for i in range(first, last + 1):
                flag(i, direction)

    point_types = []
    for direction in directions:
        if direction is None:
            point_types.append("common_cause")
        elif improvement == "neither":
            point_types.append("special_cause_neither")
        elif (direction > 0) == (improvement == "increase"):
            point_types.append("special_cause_improvement")
        else:
            point_types.append("special_cause_concern")

    assurance = None
    if target is not None and improvement == "increase":
        assurance = "pass" if target <= lower else "fail" if target > upper else "hit_or_miss"
    elif target is not None and improvement == "decrease":
        assurance = "pass" if target >= upper else "fail" if target < lower else "hit_or_miss"
    return {"mean": mean, "lower": lower, "upper": upper, "near_lower": near_lower, "near_upper": near_upper,
            "point_types": point_types, "assurance": assurance}


def suppress_count(n: int, low: int = 1, high: int = 7) -> str | int:
    """One published count: "*" when low <= n <= high (1 to 7 by default, as NHS England publications show them).

    Zero is shown: a true zero reveals no individual. Sources: ONS, Review of the Dissemination of Health
    Statistics: Confidentiality Guidance (2006); NHS England statistical publications' small-number practice.
    """
    if n < 0:
        raise ValueError(f"counts cannot be negative, got {n}")
    return SUPPRESSED if low <= n <= high else n
