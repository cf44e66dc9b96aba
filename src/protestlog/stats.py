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


def clopper_pearson(a: float, n: float, alpha_tail: float = Z95_TAIL) -> tuple[float, float]:
    """Exact 95% bounds for a binomial proportion with a successes in n trials.

    Written with the beta form (P(X >= a) = I_p(a, n - a + 1)), which also takes the
    fractional counts of spans spread over their days (an approximation there)."""
    lower = 0.0 if a <= 0 else _bisect(lambda p: alpha_tail - betainc(a, n - a + 1, p))
    upper = 1.0 if a >= n else _bisect(lambda p: (1 - alpha_tail) - betainc(a + 1, n - a, p))
    return lower, upper


def rate_ratio(after: float, after_days: int, before: float, before_days: int) -> dict:
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


Z95 = 1.959963984540054  # two-sided 95% normal quantile
MIN_INCIDENTS = 2  # the clustered interval needs at least this many fatal incidents on each side


def sig_round(x: float | None, decimals: int = 4, digits: int = 3) -> float | None:
    """Round to `decimals` places but never below `digits` significant digits, so a small ratio is
    never printed as 0; None (undefined) stays None."""
    if x is None or x == 0 or math.isinf(x) or math.isnan(x):
        return None if x is None or math.isnan(x) else x
    return round(x, max(decimals, digits - 1 - math.floor(math.log10(abs(x)))))


def compound_poisson(after: float, after_sq: float, after_incidents: int, after_days: int,
                     before: float, before_sq: float, before_incidents: int, before_days: int) -> dict:
    """95% interval for the deaths rate ratio with incidents, not deaths, as the independent events.

    Incidents arrive as a Poisson process and each brings its own number of deaths (compound
    Poisson), so Var(deaths) is estimated by the sum of squared incident sizes. The interval is
    Wald on log(RR): se^2 = sum(x_after^2)/after^2 + sum(x_before^2)/before^2. With equal-sized
    incidents of one death it is the usual Poisson Wald interval. Needs at least MIN_INCIDENTS
    fatal incidents each side; otherwise `note` says why there is no number.
    """
    out = {"ci_low": None, "ci_high": None, "method": "incident-level compound Poisson (log-scale Wald)",
           "note": None}
    if after_days <= 0 or before_days <= 0:
        out["note"] = "a window has no days"
    elif min(after_incidents, before_incidents) < MIN_INCIDENTS or after <= 0 or before <= 0:
        out["note"] = f"too few incidents (fewer than {MIN_INCIDENTS} with deaths on a side)"
    else:
        ratio = (after / after_days) / (before / before_days)
        out["ci_low"], out["ci_high"] = _log_wald(ratio, math.sqrt(after_sq / after ** 2 + before_sq / before ** 2))
    return out


def _log_wald(ratio: float, se: float) -> tuple[float, float | None]:
    """ratio * exp(-/+ z*se), worked out on the log scale; an upper bound past float range is None (unbounded)."""
    centre = math.log(ratio)
    high = centre + Z95 * se
    return math.exp(centre - Z95 * se), (math.exp(high) if high < 700 else None)


def pearson_dispersion(before_daily: list[float], after_daily: list[float]) -> float | None:
    """Pearson chi-square / degrees of freedom of daily deaths around each side's own mean.

    This is the quasi-Poisson scale of a Poisson model with one rate before and one after:
    1 for Poisson counts, larger when deaths come in clusters. None when a side has no
    deaths (its mean is 0) or there are fewer than 3 days."""
    days = len(before_daily) + len(after_daily)
    if days < 3 or sum(before_daily) <= 0 or sum(after_daily) <= 0:
        return None
    chi2 = 0.0
    for daily in (before_daily, after_daily):
        mean = sum(daily) / len(daily)
        chi2 += sum((y - mean) ** 2 for y in daily) / mean
    return chi2 / (days - 2)


def quasi_poisson(after: float, after_days: int, before: float, before_days: int,
                  dispersion: float | None) -> dict:
    """Wald interval on log(RR) with the Poisson variance scaled by the Pearson dispersion."""
    out = {"ci_low": None, "ci_high": None, "method": "quasi-Poisson on daily deaths (log-scale Wald)"}
    if dispersion is None or after <= 0 or before <= 0 or after_days <= 0 or before_days <= 0:
        return out
    ratio = (after / after_days) / (before / before_days)
    out["ci_low"], out["ci_high"] = _log_wald(ratio, math.sqrt(dispersion * (1 / after + 1 / before)))
    return out
