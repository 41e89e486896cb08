"""Polynomial least squares: the linear-space baseline where samples = parameters.

docs/theory.md §8: for V = span{φ_1, ..., φ_D} of linearly independent real-analytic functions,
det[φ_j(x_i)] ≠ 0 for Lebesgue-a.e. (x_1, ..., x_D), so D generic samples recover every
u ∈ V exactly. Here V = P_k, the polynomials of total degree ≤ k on [lo, hi]^d, in the
tensor-product Legendre basis

    φ_α(x) = Π_i √(2α_i + 1) P_{α_i}(t_i),   t = 2(x − lo)/(hi − lo) − 1 ∈ [−1, 1]^d,   |α| ≤ k,

(orthonormal for the uniform probability measure, which keeps the design matrix well
conditioned), D = C(k + d, d). The learner draws m i.i.d. uniform points from ``seed`` and
solves min_θ Σ_i (Σ_α θ_α φ_α(x_i) − u(x_i))² with ``torch.linalg.lstsq`` in float64
(driver "gelsd": minimum-norm solution when D > m). A polynomial of total degree ≤ k is
thus recovered exactly (up to rounding) from any m ≥ D random points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations_with_replacement

import torch
from torch import Tensor

from .._errors import InputError
from ._base import Oracle, check_learn_args, generator, query


def basis_dimension(k: int, d: int) -> int:
    """D = C(k + d, d): number of multi-indices α ∈ N^d with |α| ≤ k."""
    return math.comb(k + d, d)


def default_degree(m: int, d: int, max_basis: int) -> int:
    """The largest k with C(k + d, d) ≤ min(m/2, max_basis), at least 0."""
    k = 0
    while basis_dimension(k + 1, d) <= min(m / 2, max_basis):
        k += 1
    return k


def multi_indices(k: int, d: int) -> Tensor:
    """All α ∈ N^d with |α| ≤ k, graded order; (D, d) int64."""
    rows = []
    for total in range(k + 1):
        for combo in combinations_with_replacement(range(d), total):
            alpha = [0] * d
            for i in combo:
                alpha[i] += 1
            rows.append(alpha)
    return torch.tensor(rows, dtype=torch.int64).reshape(-1, d)


def legendre_table(t: Tensor, k: int) -> Tensor:
    """√(2j+1) P_j(t) for j = 0..k by the three-term recurrence; (n, d) → (n, d, k+1)."""
    P = [torch.ones_like(t), t]
    for j in range(1, k):
        # (j+1) P_{j+1} = (2j+1) t P_j − j P_{j−1}
        P.append(((2 * j + 1) * t * P[j] - j * P[j - 1]) / (j + 1))
    scale = torch.sqrt(2.0 * torch.arange(k + 1, dtype=t.dtype) + 1.0)  # (k+1,)
    return torch.stack(P[: k + 1], dim=-1) * scale  # (n, d, k+1)


class LegendreExpansion:
    """x ↦ Σ_α θ_α φ_α(x) on [lo, hi]^d (a Predictor)."""

    def __init__(self, coef: Tensor, alphas: Tensor, domain: tuple[float, float]):
        self.coef = coef  # (D,)
        self.alphas = alphas  # (D, d)
        self.domain = domain
        self.degree = int(alphas.sum(dim=1).max())

    def design(self, x: Tensor) -> Tensor:
        """The matrix [φ_α(x_i)]; (n, d) → (n, D)."""
        lo, hi = self.domain
        t = 2.0 * (x.to(torch.float64) - lo) / (hi - lo) - 1.0  # (n, d)
        table = legendre_table(t, self.degree)  # (n, d, k+1)
        d = x.shape[1]
        cols = table[:, torch.arange(d)[None, :], self.alphas]  # (n, D, d)
        return cols.prod(dim=-1)

    def __call__(self, x: Tensor) -> Tensor:
        return self.design(x) @ self.coef


@dataclass(frozen=True)
class PolynomialLeastSquares:
    """Least squares in P_k (total degree ≤ k) from m uniform random samples (docs/theory.md §8).

    ``degree=None`` picks the largest k with C(k + d, d) ≤ m/2, capped at ``max_basis``
    basis functions.
    """

    # None: choose k per (m, d) so that m ≥ 2D — twice as many samples as unknowns keeps
    # random-design least squares stable for moderate k (exact recovery needs only m ≥ D).
    degree: int | None = None
    # Caps D for the default degree: the design matrix has m·D float64 entries and the solve
    # costs O(m D²); 256 keeps m = 10^5 under 0.25 GB. An explicit `degree` is not capped.
    max_basis: int = 256
    # The results-table name of this learner (docs/architecture.md, column `learner`).
    name: str = "poly"

    def __post_init__(self) -> None:
        k = self.degree
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
            raise InputError(f"`degree` must be an integer >= 0 or None (automatic), got {k!r}")
        b = self.max_basis
        if isinstance(b, bool) or not isinstance(b, int) or b < 1:
            raise InputError(f"`max_basis` must be an integer >= 1, got {b!r}")

    def degree_for(self, m: int, d: int) -> int:
        """The total degree k used for m samples in dimension d."""
        return self.degree if self.degree is not None else default_degree(m, d, self.max_basis)

    def learn(
        self, oracle: Oracle, m: int, *, d: int, domain: tuple[float, float], seed: int
    ) -> LegendreExpansion:
        m, d, lo, hi = check_learn_args(m, d, domain, seed)
        k = self.degree_for(m, d)
        x = lo + (hi - lo) * torch.rand(m, d, generator=generator(seed), dtype=torch.float64)  # (m, d)
        u = query(oracle, x)  # (m,)
        alphas = multi_indices(k, d)  # (D, d)
        model = LegendreExpansion(torch.zeros(alphas.shape[0], dtype=torch.float64), alphas, (lo, hi))
        Phi = model.design(x)  # (m, D)
        model.coef = torch.linalg.lstsq(Phi, u[:, None], driver="gelsd").solution[:, 0]  # (D,)
        return model
