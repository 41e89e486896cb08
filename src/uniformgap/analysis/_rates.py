"""Log-log rate fits of the estimated error against m, and the theory's rates.

Fit: least squares of log10 ε̂_m = a + slope · log10 m over the sample sizes with a finite
positive estimate. Interval: percentile interval of the slopes fitted to the bootstrap
replicates (paired across m, see _bootstrap.py) or, without replicates, the Student-t
interval slope ± t_{n-2} · se (needs n ≥ 3 points).

Theory (arXiv:2205.13531, Theorem 2.2 / docs/theory.md §4, §6): the lower bound decays like
m^(−1/d−1/p) (p = 1, 2, ∞ for l1, l2, linf); for p = ∞ it is sharp (upper bound m^(−1/d),
Theorem 2.4), for p < ∞ only the lower rate is proved. A fitted slope shallower than the
theory's exponent is allowed by the theory (the bound is a *lower* bound on the worst case).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._errors import InputError
from ._bootstrap import percentile_interval
from ._table import metric_p


@dataclass(frozen=True)
class RateFit:
    """ε̂_m ≈ 10^intercept · m^slope, with an interval for the slope."""

    metric: str
    kind: str
    slope: float
    intercept: float
    ci_low: float
    ci_high: float
    ci_method: str  # "bootstrap" | "t" | "none"
    n_points: int
    theory_slope: float | None  # −1/d − 1/p, None when d is unknown


def theory_slope(d: int, p: float) -> float:
    """The exponent of the lower bound m^(−1/d−1/p) (1/∞ = 0)."""
    if not (isinstance(d, int) and d >= 1):
        raise InputError(f"`d` must be an integer >= 1, got {d!r}")
    if not p >= 1:
        raise InputError(f"`p` must be a number >= 1 or 'inf', got {p!r}")
    return -1.0 / d - (0.0 if math.isinf(p) else 1.0 / p)


def fit_power_law(m, values) -> tuple[float, float, int]:
    """(slope, intercept, n) of the least-squares line through (log10 m, log10 value),
    using the points with a finite positive value; NaN slope when fewer than 2 points
    (or fewer than 2 distinct m)."""
    m = np.asarray(m, dtype=float)
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & (v > 0) & np.isfinite(m) & (m > 0)
    x, y = np.log10(m[ok]), np.log10(v[ok])
    if len(x) < 2 or np.ptp(x) == 0:
        return math.nan, math.nan, int(len(x))
    xc = x - x.mean()
    slope = float((xc * (y - y.mean())).sum() / (xc * xc).sum())
    return slope, float(y.mean() - slope * x.mean()), int(len(x))


def slope_t_interval(m, values, level: float = 0.95) -> tuple[float, float]:
    """slope ± t_{n−2, (1+level)/2} · se(slope); (NaN, NaN) with fewer than 3 points."""
    m = np.asarray(m, dtype=float)
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & (v > 0)
    x, y = np.log10(m[ok]), np.log10(v[ok])
    n = len(x)
    slope, intercept, _ = fit_power_law(m[ok], v[ok])
    if n < 3 or math.isnan(slope):
        return math.nan, math.nan
    resid = y - (intercept + slope * x)
    se = math.sqrt((resid @ resid) / (n - 2) / ((x - x.mean()) ** 2).sum())
    half = stats.t.ppf(0.5 + level / 2, n - 2) * se
    return slope - half, slope + half


def bootstrap_slopes(m, replicates: np.ndarray) -> np.ndarray:
    """Slope of every replicate row (B, n_m); NaN where a replicate has a non-finite or
    non-positive value (it cannot be fitted on a log scale)."""
    x = np.log10(np.asarray(m, dtype=float))
    reps = np.asarray(replicates, dtype=float)  # (B, n_m)
    ok = np.isfinite(reps).all(axis=1) & (reps > 0).all(axis=1)
    out = np.full(len(reps), math.nan)
    if len(x) < 2 or np.ptp(x) == 0 or not ok.any():
        return out
    y = np.log10(reps[ok])  # (B_ok, n_m)
    xc = x - x.mean()
    out[ok] = ((y - y.mean(axis=1, keepdims=True)) @ xc) / (xc @ xc)
    return out


def fit_rate(
    metric: str,
    kind: str,
    m,
    values,
    replicates: np.ndarray | None = None,
    d: int | None = None,
    level: float = 0.95,
) -> RateFit:
    """The rate fit of one (metric, kind) curve; bootstrap interval when ``replicates``
    (B, n_m) are given and B > 0, else the t-interval."""
    slope, intercept, n = fit_power_law(m, values)
    if replicates is not None and len(replicates) > 0 and not math.isnan(slope):
        lo, hi = percentile_interval(bootstrap_slopes(m, replicates), level)
        method = "bootstrap"
    else:
        lo, hi = slope_t_interval(m, values, level)
        method = "t" if not math.isnan(lo) else "none"
    return RateFit(
        metric=metric,
        kind=kind,
        slope=slope,
        intercept=intercept,
        ci_low=lo,
        ci_high=hi,
        ci_method=method,
        n_points=n,
        theory_slope=None if d is None else theory_slope(d, metric_p(metric)),
    )
