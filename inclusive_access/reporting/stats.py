"""Pure statistics for equity reporting: Wilson and median intervals, XmR charts, small-number suppression (the
SII/RII is in gradients)."""
import math
import statistics
from collections.abc import Sequence

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
