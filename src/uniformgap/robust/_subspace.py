"""The subspace network for data on a manifold inside an affine subspace (docs/robust.md §5.2, [ours]).

If M ⊂ x₀ + span(V), V ∈ R^{d×m} orthonormal, C2 runs in dimension m on the chart
coordinates y = Vᵀ(x − x₀) ∈ [−a, a]^m with target F(y) = f*(x₀ + Vy) (ambient l∞ distances).
On M, ‖V(y − y')‖∞ ≤ ‖y − y'‖₂ ≤ √m‖y − y'‖∞, so |I_hF − F| ≤ h√m/ε and
n = ⌊2a√m/((1 − c)ε)⌋ + 1 gives L^{∞,cε}_{M,P} = 0 (Def 5.4: the adversary stays on M). Size
2·nnz(V) + H(4m + 2C(m) + 5), H ≤ (n + 1)^m: exponential in m, linear in d — not the paper's
construction (App. E.1), whose rate Õ(((1−c)ε/√d)^{−k̃}) (Thm 5.5) is a rate only.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .._errors import InputError
from ._c2 import GridCheck, build_grid_network, check_eps_c, check_grid_size, make_grid, simplex_interpolate
from ._counts import NetworkCounts, grid_intervals, subspace_counts
from ._geometry import check_point_sets, evaluate_chunked, f_star, linf_distance


@dataclass(frozen=True)
class SubspaceNetwork:
    network: object  # SparseReLUNetwork
    d: int
    m: int
    n: int
    h: float
    a: float
    eps: float
    c: float
    hats: int
    counts: NetworkCounts
    check: GridCheck
    build_s: float
    verify_s: float


def subspace_network(a_set, b_set, basis, origin, half_width: float, *, eps: float | None = None, c: float = 0.5,
                     n_random: int = 256, n_ball: int = 16, seed: int = 0) -> SubspaceNetwork:
    """Build and verify the subspace network for A (+1), B (−1) ⊂ x₀ + V[−a, a]^m (docs/robust.md §5.2).

    ``basis`` V (d, m) with orthonormal columns, ``origin`` x₀ (d,), ``half_width`` a. ``eps``
    defaults to d_∞(A, B)/2. Checks: the network equals the simplex-lookup interpolant on the
    chart coordinates (≤ 1e-12) and F within h√m/ε on random points of M; no sign flip at points
    of M within l∞ distance cε of the data (chart offsets ±cε·e_k and random offsets of l2 norm
    ≤ cε, kept inside the chart box).
    """
    a_set, b_set = check_point_sets(a_set, b_set)
    d = a_set.shape[1]
    V = np.asarray(basis, dtype=np.float64)
    x0 = np.asarray(origin, dtype=np.float64)
    if V.ndim != 2 or V.shape[0] != d or not np.allclose(V.T @ V, np.eye(V.shape[1]), atol=1e-10):
        raise InputError(f"`basis` must be a ({d}, m) matrix with orthonormal columns, got shape {V.shape}")
    if x0.shape != (d,):
        raise InputError(f"`origin` must have shape ({d},), got {x0.shape}")
    if not (isinstance(half_width, (int, float)) and half_width > 0):
        raise InputError(f"`half_width` must be a number > 0 (the chart box [-a, a]^m), got {half_width!r}")
    m, lo, hi = V.shape[1], -float(half_width), float(half_width)
    data = np.concatenate([a_set, b_set])
    y_data = (data - x0) @ V
    if np.abs(data - x0 - y_data @ V.T).max() > 1e-9 or np.abs(y_data).max() > hi * (1 + 1e-12):
        raise InputError("A and B must lie in origin + basis·[-a, a]^m (the manifold's subspace and chart box)")
    if eps is not None:  # refuse a too large grid before the separation
        e, cc = check_eps_c(eps, c, math.inf)
        check_grid_size(m, grid_intervals(e, cc, d=m, p=2, width=hi - lo), eps=e, c=cc)
    sep = float(linf_distance(a_set, b_set).min())
    eps, c = check_eps_c(eps, c, sep)
    n = grid_intervals(eps, c, d=m, p=2, width=hi - lo)  # s = √m: ‖V(y − y')‖∞ ≤ √m ‖y − y'‖∞
    check_grid_size(m, n, eps=eps, c=c)
    t0 = time.perf_counter()
    F = lambda y: f_star(x0 + y @ V.T, a_set, b_set)  # noqa: E731
    grid = make_grid(F, m, n, lo, hi)
    net = build_grid_network(grid, in_map=(V, x0))
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    H = len(grid.values)
    counts = subspace_counts(d, m, n, int(np.count_nonzero(V)), hats=H)
    if (net.architecture, net.depth, net.nnz_weights) != (counts.widths, counts.depth, counts.nnz_weights):
        raise RuntimeError(
            f"subspace network differs from docs/robust.md §5.2: built {(net.architecture, net.depth, net.nnz_weights)}, "
            f"formulas {(counts.widths, counts.depth, counts.nnz_weights)}"
        )
    rng = np.random.default_rng(seed)
    y_rand = rng.uniform(lo, hi, size=(n_random, m))
    x_rand = np.concatenate([x0 + y_rand @ V.T, data])  # points of M (and the data)
    net_x = evaluate_chunked(net, x_rand)
    err_simplex = float(np.max(np.abs(net_x - simplex_interpolate((x_rand - x0) @ V, grid))))
    err_target = float(np.max(np.abs(net_x[:n_random] - F(y_rand)))) if n_random else 0.0
    bound = grid.h * math.sqrt(m) / eps
    if err_simplex > 1e-12 * max(1.0, float(np.abs(grid.values).max())):
        raise RuntimeError(f"subspace network differs from the simplex-lookup interpolant by {err_simplex:.3g}")
    if err_target > bound * (1 + 1e-9):
        raise RuntimeError(f"subspace network misses F by {err_target:.3g} > the proven bound {bound:.3g}")
    # on-manifold cε-balls: offsets w with ‖Vw‖∞ ≤ ‖w‖₂ ≤ cε, kept inside the chart box
    g = rng.standard_normal((n_ball, m))
    w = np.concatenate([np.eye(m), -np.eye(m), g / np.linalg.norm(g, axis=1, keepdims=True) * rng.random((n_ball, 1)) ** (1 / m)])
    y_ball = y_data[:, None, :] + c * eps * w[None, :, :]  # (N, k, m)
    inside = np.all((y_ball >= lo) & (y_ball <= hi), axis=2)
    labels = np.concatenate([np.ones(len(a_set)), -np.ones(len(b_set))])
    pts = x0 + y_ball[inside] @ V.T
    signs = np.sign(evaluate_chunked(net, pts))
    flip = signs != np.broadcast_to(labels[:, None], inside.shape)[inside]
    owner = np.broadcast_to(np.arange(len(data))[:, None], inside.shape)[inside]
    check = GridCheck(err_simplex, err_target, bound, int(flip.size), int(flip.sum()), int(np.unique(owner[flip]).size))
    return SubspaceNetwork(net, d, m, n, grid.h, hi, eps, c, H, counts, check, build_s, time.perf_counter() - t0)
