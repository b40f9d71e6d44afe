"""A mean and its 95% interval from the sums the database returns (n, sum, sum of squares), by Student's t.

The t interval rather than the normal one: outcome groups are often a few dozen people, where z = 1.96 would be
too narrow (at n = 10 the t quantile is 2.26). Pure: no scipy, the t distribution from the incomplete beta."""
import math

#: Lentz's continued fraction stops when a step changes it by less than this, or after this many steps
_EPSILON, _STEPS, _TINY = 1e-15, 300, 1e-300


def _continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the regularized incomplete beta I_x(a, b), by the modified Lentz method
    (Press et al., Numerical Recipes, 3rd edn, section 6.4)."""

    def guarded(v: float) -> float:
        return _TINY if abs(v) < _TINY else v

    c, d = 1.0, 1 / guarded(1 - (a + b) * x / (a + 1))
    h = d
    for m in range(1, _STEPS):
        even = m * (b - m) * x / ((a - 1 + 2 * m) * (a + 2 * m))
        d, c = 1 / guarded(1 + even * d), guarded(1 + even / c)
        h *= d * c
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 1 + 2 * m))
        d, c = 1 / guarded(1 + odd * d), guarded(1 + odd / c)
        h *= d * c
        if abs(d * c - 1) < _EPSILON:
            break
    return h


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 <= x <= 1."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x))
    if x < (a + 1) / (a + b + 2):  # the fraction converges fast here; otherwise by the symmetry I_x(a,b)=1-I_1-x(b,a)
        return front * _continued_fraction(a, b, x) / a
    return 1 - front * _continued_fraction(b, a, 1 - x) / b


def t_quantile(p: float, df: int) -> float:
    """The p quantile (0.5 <= p < 1) of Student's t with df degrees of freedom, found by bisection on its upper
    tail P(T > t) = I_{df/(df+t^2)}(df/2, 1/2) / 2."""
    if not 0.5 <= p < 1 or df < 1:
        raise ValueError(f"need 0.5 <= p < 1 and df >= 1, got p={p}, df={df}")
    tail = 1 - p
    low, high = 0.0, 1.0
    while incomplete_beta(df / 2, 0.5, df / (df + high * high)) / 2 > tail:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if incomplete_beta(df / 2, 0.5, df / (df + middle * middle)) / 2 > tail:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def mean_ci(n: int, total: float, squares: float, conf: float = 0.95) -> tuple[float, float | None, float | None]:
    """The mean of n values from their sum and sum of squares, and its t interval mean -/+ t(n-1) s / sqrt(n) with
    s^2 = (squares - total^2 / n) / (n - 1). One value has a mean but no interval: (mean, None, None)."""
    if n < 1:
        raise ValueError(f"a mean needs at least one value, got n={n}")
    mean = total / n
    if n == 1:
        return mean, None, None
    variance = max(0.0, (squares - total * total / n) / (n - 1))  # rounding can take a zero variance below 0
    half = t_quantile(1 - (1 - conf) / 2, n - 1) * math.sqrt(variance / n)
    return mean, mean - half, mean + half
