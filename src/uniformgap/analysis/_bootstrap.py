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
