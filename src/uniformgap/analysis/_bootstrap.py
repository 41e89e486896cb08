"""Bootstrap confidence intervals for eq. (5) over teachers and seeds.

One bootstrap replicate resamples the T teachers with replacement and, for every drawn
teacher, its S training seeds with replacement (a two-stage / cluster bootstrap: teachers
are the sampled units, seeds are nested in them). The whole estimator — selection
included — is recomputed on every replicate, and the same draw is used for every
candidate, metric and m, so that comparisons (min over configurations, rate fits across
m) see paired resamples. Intervals are percentile intervals of the replicates
(Efron & Tibshirani 1993, §13.3). Randomness comes only from the ``generator`` passed in.

Caveat (document, don't hide): the worst-teacher value is a max over a finite teacher
sample, a biased statistic whose bootstrap distribution sits at or below the estimate;
its interval describes the variability of *this* estimator, not the sup over the class.
"""

from __future__ import annotations

import math

import numpy as np

from .._errors import InputError
from ._estimator import Cube, reduce

# Replicates per block when evaluating a cube: bounds memory to ~block·K·T·S floats.
_BLOCK = 256


def resample_indices(
    n_teachers: int, n_seeds: int, n_boot: int, generator: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Teacher draws (B, T) and nested seed draws (B, T, S), all with replacement."""
    if not isinstance(generator, np.random.Generator):
        raise InputError(
            f"`generator` must be a numpy.random.Generator, got {type(generator).__name__} "
            "(e.g. generator=np.random.default_rng(0))"
        )
    idx_t = generator.integers(0, n_teachers, size=(n_boot, n_teachers))  # (B, T)
    idx_s = generator.integers(0, n_seeds, size=(n_boot, n_teachers, n_seeds))  # (B, T, S)
    return idx_t, idx_s


def bootstrap_cube(cube: Cube, kind: str, idx_t: np.ndarray, idx_s: np.ndarray) -> np.ndarray:
    """The estimator of ``kind`` on every replicate: (B,)."""
    out = []
    for start in range(0, len(idx_t), _BLOCK):
        it = idx_t[start : start + _BLOCK]  # (b, T)
        is_ = idx_s[start : start + _BLOCK]  # (b, T, S)
        sel = cube.sel[:, it[..., None], is_]  # (K, b, T, S)
        sel = np.moveaxis(sel, 0, 1)  # (b, K, T, S)
        if cube.rep is cube.sel:
            rep = sel
        else:
            rep = np.moveaxis(cube.rep[:, it[..., None], is_], 0, 1)  # (b, K, T, S)
        out.append(reduce(sel, rep, kind)[0])
    return np.concatenate(out) if out else np.empty(0)


def percentile(values: np.ndarray, q: float) -> float:
    """The q-quantile (linear interpolation) of the non-NaN values; +∞ allowed
    (NumPy would return NaN when it interpolates between two infinities)."""
    v = np.sort(values[~np.isnan(values)])
    if len(v) == 0:
        return math.nan
    pos = q * (len(v) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    frac = pos - lo
    if frac == 0 or v[lo] == v[hi]:
        return float(v[lo])
    return float(v[lo] + (v[hi] - v[lo]) * frac)


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """(lower, upper) percentile interval at confidence ``level``."""
    if not 0 < level < 1:
        raise InputError(f"`level` must be a number in (0, 1), got {level!r} (e.g. level=0.95)")
    alpha = (1.0 - level) / 2.0
    return percentile(values, alpha), percentile(values, 1.0 - alpha)


# Resampled points per block in :func:`mean_interval`: bounds memory to ~32 MB of indices.
_POINT_BLOCK = 1 << 22


def mean_interval(
    values: np.ndarray, n_boot: int, generator: np.random.Generator, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of a mean over points (Efron & Tibshirani 1993, §13.3).

    ``values``: (n,) per-point values (e.g. 0/1 indicators "robust at this test point"), or (S, n)
    for S seeds evaluated on the same n points: then a_i = (1/S) Σ_s values[s, i] and the same
    draw of points serves every seed (the statistic is the seed-mean accuracy). Each of the
    ``n_boot`` replicates draws n point indices i*_1..i*_n uniformly with replacement and computes
    (1/n) Σ_k a_{i*_k}; the interval is the (α/2, 1 − α/2) percentile pair, α = 1 − ``level``.
    It describes the sampling of the points, not the variation over seeds.
    """
    a = np.asarray(values, dtype=np.float64)
    a = a.mean(0) if a.ndim == 2 else a
    if a.ndim != 1 or a.size == 0:
        raise InputError(f"`values` must be a non-empty (n,) or (S, n) array, got shape {np.shape(values)}")
    if not isinstance(generator, np.random.Generator):
        raise InputError(
            f"`generator` must be a numpy.random.Generator, got {type(generator).__name__} "
            "(e.g. generator=np.random.default_rng(0))"
        )
    n = a.size
    rows = max(1, _POINT_BLOCK // n)
    means = np.concatenate([
        a[generator.integers(0, n, size=(min(rows, n_boot - s), n))].mean(1) for s in range(0, n_boot, rows)
    ]) if n_boot > 0 else np.empty(0)
    return percentile_interval(means, level)
