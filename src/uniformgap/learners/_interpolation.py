"""Piecewise-constant interpolation on the grid of cell centres (the upper-bound algorithm).

docs/theory.md §5 (arXiv:2205.13531, Lemma B.3, centre version). With n = ⌊m^{1/d}⌋ the learner
samples the n^d centres lo + (j + ½) h, h = (hi − lo)/n, j ∈ {0, ..., n−1}^d, and predicts on
each cell Π_i [lo + j_i h, lo + (j_i+1) h) (closed at hi) the value at its centre. Every point
of a cell is within h/2 of its centre in ‖·‖_∞, so for a target that is K-Lipschitz w.r.t.
‖·‖_∞ the error is at most

    ‖f − u‖_{L^∞} ≤ K h / 2 = K (hi − lo) / (2n)         (in every L^p, p ≤ ∞).

It is non-adaptive and deterministic: ``seed`` is accepted for the protocol and unused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from .._errors import InputError
from ._base import Oracle, check_learn_args, query


def n_per_axis(m: int, d: int) -> int:
    """n = ⌊m^{1/d}⌋ exactly (n^d ≤ m < (n+1)^d), corrected in integers after the float root."""
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise InputError(f"`m` must be an integer >= 1 (number of samples), got {m!r}")
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise InputError(f"`d` must be an integer >= 1, got {d!r}")
    n = max(1, int(math.floor(math.exp(math.log(m) / d))))
    while n**d > m:  # float roots can overshoot, e.g. 1000**(1/3) = 9.999...
        n -= 1
    while (n + 1) ** d <= m:
        n += 1
    return n


def error_bound(K: float, n: int, side: float = 1.0) -> float:
    """The proven L^∞ error K·side/(2n) of the centre interpolant for a target that is
    K-Lipschitz w.r.t. ‖·‖_∞ on a cube of side length ``side`` (Lemma B.3)."""
    if not (isinstance(K, (int, float)) and K >= 0):
        raise InputError(f"`K` must be a number >= 0, got {K!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"`n` must be an integer >= 1, got {n!r}")
    if not (isinstance(side, (int, float)) and math.isfinite(side) and side > 0):
        raise InputError(f"`side` must be a number > 0, got {side!r}")
    return K * side / (2 * n)


def cell_centres(n: int, d: int, domain: tuple[float, float]) -> Tensor:
    """The n^d centres lo + (j + ½)h in row-major order of j (last coordinate fastest); (n^d, d)."""
    lo, hi = domain
    axis = lo + (torch.arange(n, dtype=torch.float64) + 0.5) * ((hi - lo) / n)  # (n,)
    grids = torch.meshgrid(*([axis] * d), indexing="ij")
    return torch.stack([g.reshape(-1) for g in grids], dim=1)  # (n^d, d)


class PiecewiseConstant:
    """x ↦ values[cell(x)] on the n^d cells of [lo, hi]^d (cells closed at hi; points outside
    the cube are assigned the nearest cell)."""

    def __init__(self, values: Tensor, n: int, d: int, domain: tuple[float, float]):
        self.values = values  # (n^d,)
        self.n, self.d, self.domain = n, d, domain
        self._strides = torch.tensor([n ** (d - 1 - i) for i in range(d)], dtype=torch.int64)  # (d,)

    def cell_index(self, x: Tensor) -> Tensor:
        """Row-major cell index of each point; (k, d) → (k,)."""
        lo, hi = self.domain
        j = torch.floor((x.to(torch.float64) - lo) * (self.n / (hi - lo))).to(torch.int64)  # (k, d)
        j = j.clamp(0, self.n - 1)  # closed at hi
        return (j * self._strides).sum(dim=1)

    def __call__(self, x: Tensor) -> Tensor:
        return self.values[self.cell_index(x)]


@dataclass(frozen=True)
class GridInterpolationLearner:
    """Lemma B.3 (centre version): n = ⌊m^{1/d}⌋, n^d ≤ m samples at cell centres."""

    # The results-table name of this learner (docs/architecture.md, column `learner`).
    name: str = "grid"

    n_per_axis = staticmethod(n_per_axis)
    error_bound = staticmethod(error_bound)

    def learn(
        self, oracle: Oracle, m: int, *, d: int, domain: tuple[float, float], seed: int = 0
    ) -> PiecewiseConstant:
        m, d, lo, hi = check_learn_args(m, d, domain, seed)
        n = n_per_axis(m, d)
        centres = cell_centres(n, d, (lo, hi))
        return PiecewiseConstant(query(oracle, centres), n, d, (lo, hi))
