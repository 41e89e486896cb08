"""Exact nearest neighbours in ℓ∞ and ℓ2 with bounded memory (docs/robust.md §6.1).

For each query q_i and a reference set R, :func:`nearest` returns d_i = min_j ‖q_i − r_j‖_p and
an index j attaining it. The distances are the float64 brute-force values: ℓ∞ as
max_k |q_k − r_k| (bit for bit what ``np.abs(q - r).max()`` gives); ℓ2 as sqrt(Σ_k (q_k − r_k)²)
summed in float64 by torch (the summation order may differ from numpy's in the last bit).

ℓ∞ (a compiled early-exit scan, exact): for each query the coordinates are visited in order of
decreasing |q_k − mean_k(R)| (where references differ most from it); the scan of a pair stops as
soon as one coordinate gives |q_k − r_k| ≥ u, the best distance found so far, since such a pair
cannot be strictly nearer. A pair scanned to the end with maximum m < u is the new best (u = m).
Nothing is approximated: every distance that is kept is the full float64 maximum. Among equal
distances the smallest index wins. Queries run in blocks (in parallel threads) against tiles of
references that stay in cache; memory is O(1) beyond the data.

ℓ2: squared distances ‖q‖² + ‖r‖² − 2q·r by a float64 matrix product per block; every reference
within 2·e_i of the block minimum, e_i = 4(d+2)·2⁻⁵³·(‖q_i‖² + max_j‖r_j‖²) (a bound on the
product's rounding), is recomputed directly. Tiles of at most ``_TILE`` entries.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

_TILE = 1 << 22  # entries of one pairwise tile or gathered batch (32 MiB in float64)
_U64 = 2.0**-53
_QUERY_BLOCK = 256  # ℓ∞: queries that share one cached tile of references (measured on mnist-5k)
_REF_TILE = 32  # ℓ∞: references per tile, 32 · 784 · 8 B = 200 KiB stays in L2
_CALL = 2048  # ℓ∞: queries per compiled call (progress ticks in between)


def nearest(
    queries: np.ndarray,
    refs: np.ndarray,
    *,
    p: float,
    upper: np.ndarray | float | None = None,
    tick: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(d_i, j_i) for every query row: the exact nearest reference in ℓ_p, p ∈ {2, ∞}.

    ``upper``: known bounds u_i ≥ d_i (e.g. one bound for a minimum over many queries prunes
    hardest); a query with no reference strictly nearer than u_i returns (u_i, −1) in ℓ∞.
    ``tick(n)`` is called after each block of n queries (progress bars). No reference: (inf, −1).
    """
    Q = np.ascontiguousarray(queries, dtype=np.float64)
    R = np.ascontiguousarray(refs, dtype=np.float64)
    nq = len(Q)
    U = np.full(nq, math.inf)
    if upper is not None:
        U = np.minimum(U, np.broadcast_to(np.asarray(upper, dtype=np.float64), (nq,)))
    J = np.full(nq, -1, dtype=np.int64)
    if nq == 0 or len(R) == 0:
        return np.full(nq, math.inf), J
    if math.isinf(p):
        from ._linf_kernel import linf_scan  # compiled on first use (numba, cached on disk)

        mean = R.mean(axis=0)
        for a in range(0, nq, _CALL):
            b = min(nq, a + _CALL)
            order = np.argsort(-np.abs(Q[a:b] - mean), axis=1, kind="stable")
            linf_scan(Q[a:b], R, order, U[a:b], J[a:b], _QUERY_BLOCK, _REF_TILE)
            if tick is not None:
                tick(b - a)
        return U, J
    Qt, Rt = torch.as_tensor(Q), torch.as_tensor(R)
    R2 = (Rt * Rt).sum(dim=1)
    dist, index = torch.empty(nq, dtype=torch.float64), torch.empty(nq, dtype=torch.int64)
    bq = max(1, min(1024, _TILE // len(R)))
    for a in range(0, nq, bq):
        sl = slice(a, min(a + bq, nq))
        dist[sl], index[sl] = _l2_block(Qt, Rt, R2, sl, torch.as_tensor(U[sl]))
        if tick is not None:
            tick(sl.stop - sl.start)
    return dist.numpy(), index.numpy()


def _best(qi: torch.Tensor, rj: torch.Tensor, d: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per query (0..n−1): the smallest d and, among equal d, the first listed rj ((inf, −1) if none)."""
    best = torch.full((n,), math.inf, dtype=torch.float64).scatter_reduce(0, qi, d, "amin")
    at = (d == best[qi]).nonzero(as_tuple=True)[0]
    first = torch.full((n,), len(rj), dtype=torch.int64).scatter_reduce(0, qi[at], at, "amin")
    found = first < len(rj)
    idx = torch.full((n,), -1, dtype=torch.int64)
    idx[found] = rj[first[found]]
    return best, idx


def _exact_l2(Q: torch.Tensor, R: torch.Tensor, qrows: torch.Tensor, rj: torch.Tensor) -> torch.Tensor:
    """Float64 ℓ2 distances of the pairs (qrows[k], rj[k]), in batches of bounded size."""
    out = torch.empty(len(rj), dtype=torch.float64)
    step = max(1, _TILE // Q.shape[1])
    for s in range(0, len(rj), step):
        diff = Q[qrows[s : s + step]] - R[rj[s : s + step]]
        out[s : s + step] = diff.pow(2).sum(dim=1).sqrt()
    return out


def _l2_block(Q: torch.Tensor, R: torch.Tensor, R2: torch.Tensor, sl: slice, U: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Squared distances by one float64 product; every reference within twice its rounding bound
    of the smallest (or of U_i²) is recomputed directly."""
    q, d = Q[sl], Q.shape[1]
    q2 = (q * q).sum(dim=1)
    d2 = q2[:, None] - 2 * q @ R.T + R2
    err = 4 * (d + 2) * _U64 * (q2 + float(R2.max()))
    bound = torch.minimum(d2.min(dim=1).values, U * U + err)
    qi, rj = (d2 <= (bound + 2 * err)[:, None]).nonzero(as_tuple=True)
    return _best(qi, rj, _exact_l2(Q, R, qi + sl.start, rj), sl.stop - sl.start)
