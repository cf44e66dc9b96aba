"""The before/after rate ratio and its confidence interval.

Two Poisson counts a (after, over t_a days) and b (before, over t_b days): given
n = a + b, a is Binomial(n, p) with p = t_a*RR / (t_a*RR + t_b). An exact
(Clopper-Pearson) interval for p becomes an exact interval for the rate ratio RR.
It needs no normal approximation and stays defined when one side counts zero.
"""

import math

Z95_TAIL = 0.025


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b), by Lentz's continued fraction (Numerical Recipes 6.4).

    Its cost does not grow with the counts, unlike summing binomial terms."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def _beta_fraction(a: float, b: float, x: float, eps: float = 1e-15, max_terms: int = 100_000) -> float:
    tiny = 1e-300

    def guard(v: float) -> float:
        return tiny if abs(v) < tiny else v

    c, d = 1.0, 1.0 / guard(1.0 - (a + b) * x / (a + 1.0))
    h = d
    for m in range(1, max_terms + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((a - 1.0 + m2) * (a + m2))
        d = 1.0 / guard(1.0 + aa * d)
        c = guard(1.0 + aa / c)
        h *= d * c
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2))
        d = 1.0 / guard(1.0 + aa * d)
        c = guard(1.0 + aa / c)
        step = d * c
        h *= step
        if abs(step - 1.0) < eps:
            break
    return h


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p) = I_{1-p}(n - k, k + 1)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return betainc(n - k, k + 1, 1.0 - p)


def _bisect(f, lo: float = 0.0, hi: float = 1.0, steps: int = 100) -> float:
    """Root of a function that is decreasing in p, on [lo, hi]."""
    for _ in range(steps):
        mid = (lo + hi) / 2
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def clopper_pearson(a: int, n: int, alpha_tail: float = Z95_TAIL) -> tuple[float, float]:
    """Exact 95% bounds for a binomial proportion with a successes in n trials."""
    lower = 0.0 if a == 0 else _bisect(lambda p: alpha_tail - (1 - binom_cdf(a - 1, n, p)))
    upper = 1.0 if a == n else _bisect(lambda p: binom_cdf(a, n, p) - alpha_tail)
    return lower, upper


def rate_ratio(after: int, after_days: int, before: int, before_days: int) -> dict:
    """Rate ratio after/before with an exact conditional 95% CI; None where undefined."""
    out = {"rate_ratio": None, "ci_low": None, "ci_high": None}
    if after_days <= 0 or before_days <= 0:
        return out
    if before > 0:
        out["rate_ratio"] = (after / after_days) / (before / before_days)
    n = after + before
    if n == 0:
        return out
    p_low, p_high = clopper_pearson(after, n)
    scale = before_days / after_days

    def to_ratio(p: float):
        return None if p >= 1.0 else p / (1 - p) * scale

    out["ci_low"] = to_ratio(p_low)
    out["ci_high"] = to_ratio(p_high)  # None means unbounded above (no deaths before)
    return out
