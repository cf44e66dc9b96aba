"""The before/after rate ratio and its confidence interval.

Two Poisson counts a (after, over t_a days) and b (before, over t_b days): given
n = a + b, a is Binomial(n, p) with p = t_a*RR / (t_a*RR + t_b). An exact
(Clopper-Pearson) interval for p becomes an exact interval for the rate ratio RR.
It needs no normal approximation and stays defined when one side counts zero.
"""

import math

Z95_TAIL = 0.025


def _log_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(p) + (n - k) * math.log1p(-p))


def binom_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return min(1.0, sum(math.exp(_log_pmf(i, n, p)) for i in range(k + 1)))


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
