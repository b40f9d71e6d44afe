"""Social gradients for equity reporting: the slope and relative index of inequality (SII/RII) across ordered
deprivation groups, with Monte-Carlo intervals, as PHEindicatormethods::phe_sii computes them."""
import functools
import math
import operator
import random
import statistics
from collections.abc import Callable, Sequence

#: the two-sided 95% normal quantile, used to turn each group's 95% limits into a standard error (as phe_sii does)
Z_95 = statistics.NormalDist().inv_cdf(0.975)


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


def _normals(rng: random.Random, n: int) -> list[float]:
    """The first n of `rng.gauss(0, 1)`'s draws, the same numbers from the same seed (CPython's Box-Muller pairs:
    tests/reporting/test_gradients.py draws with rng.gauss itself), without a method call per draw."""
    uniform, out = rng.random, []
    for _ in range((n + 1) // 2):
        angle = uniform() * math.tau
        radius = math.sqrt(-2.0 * math.log(1.0 - uniform()))
        out += (math.cos(angle) * radius, math.sin(angle) * radius)
    return out[:n]


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
    args = (tuple(values), tuple(populations), tuple(lower), tuple(upper), value_type, transform, multiplier, conf,
            reps)
    return _simulated(*args, seed) if seed is None else dict(_remembered(*args, seed))


def _simulated(values: Sequence[float], populations: Sequence[float], lower: Sequence[float],
               upper: Sequence[float], value_type: str, transform: bool, multiplier: float, conf: float, reps: int,
               seed: int | None) -> dict[str, float]:
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
        return sum(map(operator.mul, intercept_w, ys)), sum(map(operator.mul, slope_w, ys))

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
    # each repetition draws the groups with a width in turn: group i's draws are every len(drawn)-th normal
    drawn = [i for i, error in enumerate(errors) if error != 0]
    normals = _normals(random.Random(seed), reps * len(drawn))  # noqa: S311 -- seeded, nothing secret
    columns = [[y] * reps for y in point_ys]
    for place, i in enumerate(drawn):
        mean, error = means[i], errors[i]
        scaled = [mean + z * error for z in normals[place::len(drawn)]]
        columns[i] = scaled if transform else [from_scale(y) for y in scaled]
    draws = [fit(ys) for ys in zip(*columns, strict=True)]

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


#: a seeded simulation gives the same limits for the same figures: a report shown again with nothing changed (its
#: closed months, say) reuses them rather than drawing reps x groups normals again
_remembered = functools.lru_cache(maxsize=256)(_simulated)
