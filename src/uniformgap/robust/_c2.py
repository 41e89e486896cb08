"""C2: the grid-interpolation network of Theorem 3.3 with its input clamp (docs/robust.md §4).

Box [lo, hi]^d, n intervals, h = (hi − lo)/n, nodes v = lo + h·j, j ∈ {0..n}^d. The hat

    Λ(t) = ReLU(1 − M⁺ − M⁻),  M⁺ = max_k ReLU(t_k),  M⁻ = max_k ReLU(−t_k),  t = (clamp(x) − v)/h

is the nodal P1 basis of the Kuhn triangulation, and the network computes
I_h F(x) = Σ_v F(v) Λ((clamp(x) − v)/h), the piecewise-linear interpolant of the target
F = f* (Prop. 3.2) or g on that triangulation, evaluated at the clamped input. Layers:
clamp c⁰_k = ReLU(x_k − lo), c¹_k = ReLU(x_k − hi); per hat ReLU(±t_k); ⌈log2 d⌉ max levels
(two trees per hat); Λ_v; output Σ_v F(v)Λ_v. Depth ⌈log2 d⌉ + 4.

Margin (docs/robust.md §4): |I_h f* − f*| ≤ s·h/ε (s = 1 for p = ∞, √d for p = 2), and
f* ≥ 1 − c on the cε-balls around A, so n = ⌊s/((1 − c)ε)⌋ + 1 gives L^{p,cε}_P = 0 for every P
on A ∪ B (arXiv:2205.13863, Thm 3.3: Õ(((1 − c)ε)^{−d}) parameters). The clamp is non-expansive
and fixes the box, so the guarantee holds on all of R^d. Hats with F(v) = 0 are dropped.

The subspace network of §5.2 is this construction in dimension m on y = Vᵀ(x − x₀)
(``in_map``): only the clamp layer changes.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np

from .._errors import InputError
from ..networks import SparseReLUNetwork
from ._build import LayerBuilder, max_pair, terms, tree_level
from ._counts import NetworkCounts, c2_counts, grid_intervals

# The largest C2 this tool builds: 2·10^7 non-zero weights (~0.5 GB while building, minutes).
# Larger grids are refused before anything is allocated; `uniformgap robust sizes` prints their
# exact size from the formulas instead.
MAX_NNZ = 2 * 10**7
TARGETS = ("f*", "g")


@dataclass(frozen=True)
class Grid:
    """The interpolation grid: n intervals on [lo, hi]^m, the kept node indices j (H, m) and F(v_j)."""

    lo: float
    hi: float
    n: int
    nodes: np.ndarray  # (H, m) integer indices j of the kept hats (F(v) ≠ 0)
    values: np.ndarray  # (H,) F(v)
    table: np.ndarray  # (n+1,)*m: F at every node (zeros included)

    @property
    def h(self) -> float:
        return (self.hi - self.lo) / self.n


def node_table(F, m: int, n: int, lo: float, hi: float) -> np.ndarray:
    """F at every node v = lo + h·j, j ∈ {0..n}^m, as an array of shape (n+1,)*m (chunked)."""
    axis = lo + (hi - lo) / n * np.arange(n + 1)
    out = np.empty((n + 1) ** m)
    step = 1 << 14
    for i in range(0, out.size, step):
        j = np.stack(np.unravel_index(np.arange(i, min(i + step, out.size)), (n + 1,) * m), axis=1)
        out[i : i + step] = F(axis[j])
    return out.reshape((n + 1,) * m)


def make_grid(F, m: int, n: int, lo: float, hi: float) -> Grid:
    table = node_table(F, m, n, lo, hi)
    flat = table.reshape(-1)
    keep = np.flatnonzero(flat != 0.0)
    nodes = np.stack(np.unravel_index(keep, table.shape), axis=1).astype(np.int64) if keep.size else np.empty((0, m), np.int64)
    return Grid(lo, hi, n, nodes, flat[keep], table)


def build_grid_network(grid: Grid, *, in_map: tuple[np.ndarray, np.ndarray] | None = None, d: int | None = None) -> SparseReLUNetwork:
    """The C2 layers for ``grid`` (docs/robust.md §4, steps 1–5).

    ``in_map = (V, x0)`` with V (d, m): the clamp layer reads y = Vᵀ(x − x₀) (subspace network,
    §5.2): c⁰_k = ReLU(V_kᵀx − V_kᵀx₀ − lo), c¹_k = ReLU(V_kᵀx − V_kᵀx₀ − hi).
    """
    H, m = grid.nodes.shape
    if H == 0:
        raise InputError("the target F vanishes at every grid node: nothing to interpolate (are A and B both non-empty?)")
    lo, hi, h = grid.lo, grid.hi, grid.h
    # 1. clamp layer
    if in_map is None:
        V, shift, n_in = np.eye(m), np.zeros(m), m
    else:
        V, x0 = in_map
        V, shift, n_in = np.asarray(V, np.float64), np.asarray(V, np.float64).T @ np.asarray(x0, np.float64), V.shape[0]
    L1 = LayerBuilder(n_in)
    c0, c1 = [], []
    for k in range(m):
        cols = np.flatnonzero(V[:, k])
        c0.append(L1.row(cols, V[cols, k], -shift[k] - lo))
        c1.append(L1.row(cols, V[cols, k], -shift[k] - hi))
    layers = [L1.finish()]
    # 2. t_k = (c⁰_k − c¹_k − (v_k − lo))/h = (clamp(y_k) − lo)/h − j_k; neurons ReLU(±t_k), one per hat
    L2 = LayerBuilder(L1.n)
    pos, neg = [], []
    for k in range(m):
        a0, a1 = np.full(H, c0[k]), np.full(H, c1[k])
        jk = grid.nodes[:, k].astype(np.float64)
        pos.append([(L2.neurons([(a0, 1.0 / h), (a1, -1.0 / h)], -jk), 1.0)])
        neg.append([(L2.neurons([(a0, -1.0 / h), (a1, 1.0 / h)], jk), 1.0)])
    layers.append(L2.finish())
    n_prev = L2.n
    # 3. max trees M⁺ = max_k ReLU(t_k), M⁻ = max_k ReLU(−t_k)
    while len(pos) > 1:
        layer = LayerBuilder(n_prev)
        pos, neg = tree_level(layer, pos, max_pair), tree_level(layer, neg, max_pair)
        layers.append(layer.finish())
        n_prev = layer.n
    # 4. Λ_v = ReLU(1 − M⁺ − M⁻)
    L4 = LayerBuilder(n_prev)
    lam = L4.neurons(terms(pos[0], -1.0) + terms(neg[0], -1.0), 1.0)
    layers.append(L4.finish())
    # 5. output Σ_v F(v) Λ_v
    out = LayerBuilder(L4.n)
    out.row(lam, grid.values)
    layers.append(out.finish())
    return SparseReLUNetwork(layers)


def simplex_interpolate(y: np.ndarray, grid: Grid) -> np.ndarray:
    """I_h F(clamp(y)) by simplex lookup, independent of the network (docs/robust.md §4 "Checks").

    Cell j = ⌊(y − lo)/h⌋ (n − 1 on the upper face), local s ∈ [0,1]^m sorted descending by π,
    vertices v_0 = j, v_i = v_{i−1} + e_{π(i)}; λ_0 = 1 − s_{π(1)}, λ_i = s_{π(i)} − s_{π(i+1)},
    λ_m = s_{π(m)}.
    """
    u = (np.clip(y, grid.lo, grid.hi) - grid.lo) / grid.h  # (n_pts, m) in [0, n]
    j = np.minimum(np.floor(u), grid.n - 1).astype(np.int64)
    s = u - j
    order = np.argsort(-s, axis=1, kind="stable")  # π
    s_sorted = np.take_along_axis(s, order, axis=1)
    lam = np.concatenate([1.0 - s_sorted[:, :1], s_sorted[:, :-1] - s_sorted[:, 1:], s_sorted[:, -1:]], axis=1)
    rows = np.arange(len(y))
    vertex = j.copy()
    out = lam[:, 0] * grid.table[tuple(vertex.T)]
    for i in range(y.shape[1]):
        vertex[rows, order[:, i]] += 1
        out += lam[:, i + 1] * grid.table[tuple(vertex.T)]
    return out


@dataclass(frozen=True)
class GridCheck:
    """Verification of a grid network (docs/robust.md §4 "Checks")."""

    max_error_simplex: float  # max |net − simplex lookup| (random points around the box, data)
    max_error_target: float  # max |net − F∘clamp| on random points in the box
    error_bound: float  # s·h/ε (f*) or 2·s·h (g): the proven interpolation bound
    ball_points: int  # points checked in the cε-balls around A ∪ B (corners + random)
    flips: int  # of those, points where sgn net ≠ label (must be 0)
    points_with_flip: int  # data points with a flip in their ball: N·L̂^{p,cε}


@dataclass(frozen=True)
class C2Network:
    network: SparseReLUNetwork
    d: int
    n: int
    h: float
    eps: float
    c: float
    p: float
    target: str
    hats: int  # H, kept hats
    log10_hats_full: float  # log10 (n+1)^d
    counts: NetworkCounts
    check: GridCheck
    build_s: float
    verify_s: float


def c2_network(a, b, *, eps: float | None = None, c: float = 0.5, p: float = math.inf, target: str = "f*",
               n_random: int = 512, n_ball: int = 16, seed: int = 0) -> C2Network:
    """Build C2 for A (+1), B (−1) ⊂ [0,1]^d and verify it (docs/robust.md §4).

    ``eps``: half the separation (default d_p(A, B)/2; a larger value is refused: the guarantee
    needs d_p(A, B) ≥ 2ε). ``c`` ∈ [0, 1): radius δ = cε. ``p`` ∈ {2, inf}. ``target``: 'f*' or 'g'.
    Checks: the network against :func:`simplex_interpolate` (≤ 1e-12) on ``n_random`` points of
    [−0.2, 1.2]^d and the data, against F∘clamp (≤ the proven bound), no sign flip at the corners
    and ``n_ball`` random points of every cε-ball; counts equal :func:`c2_counts`.
    """
    from ._geometry import check_point_sets, distance, f_star

    a, b = check_point_sets(a, b)
    p = _check_p(p)
    if target not in TARGETS:
        raise InputError(f"`target` must be 'f*' or 'g', got {target!r}")
    data = np.concatenate([a, b])
    if data.min() < 0.0 or data.max() > 1.0:
        raise InputError(f"C2 needs A, B inside [0,1]^d (Thm 3.3), got coordinates in [{data.min():g}, {data.max():g}]")
    d = a.shape[1]
    if eps is not None:  # refuse a too large grid before the O(|A||B|d) separation
        e, cc = check_eps_c(eps, c, math.inf)
        check_grid_size(d, grid_intervals(e, cc, d=d, p=p), eps=e, c=cc)
    sep = float(distance(a, b, p).min())
    eps, c = check_eps_c(eps, c, sep)
    n = grid_intervals(eps, c, d=d, p=p)
    check_grid_size(d, n, eps=eps, c=c)
    t0 = time.perf_counter()
    F = (lambda v: f_star(v, a, b, p)) if target == "f*" else (lambda v: distance(v, b, p) - distance(v, a, p))
    grid = make_grid(F, d, n, 0.0, 1.0)
    net = build_grid_network(grid)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    H = len(grid.values)
    nonzero_j = int(np.count_nonzero(grid.nodes))
    counts = c2_counts(d, n, hats=H, first_layer_bias_nnz=d, hat_bias_nnz=2 * nonzero_j)
    built = (net.architecture, net.depth, net.nnz_weights, net.nnz_biases)
    expected = (counts.widths, counts.depth, counts.nnz_weights, counts.nnz_biases)
    if built != expected:
        raise RuntimeError(f"C2 structure differs from docs/robust.md §4: built {built}, formulas {expected}")
    s = 1.0 if math.isinf(p) else math.sqrt(d)
    bound = s * grid.h / eps if target == "f*" else 2.0 * s * grid.h
    check = check_grid_network(net, grid, F, a, b, radius=c * eps, p=p, bound=bound, n_random=n_random,
                               n_ball=n_ball, seed=seed)
    return C2Network(net, d, n, grid.h, eps, c, p, target, H, d * math.log10(n + 1), counts, check, build_s,
                     time.perf_counter() - t0)


def check_grid_network(net, grid: Grid, F, a, b, *, radius: float, p: float, bound: float, n_random: int,
                       n_ball: int, seed: int, to_grid=None) -> GridCheck:
    """Verify a grid network; ``to_grid`` maps ambient x to grid coordinates y (default identity)."""
    from ._geometry import evaluate_chunked

    to_grid = (lambda x: x) if to_grid is None else to_grid
    rng = np.random.default_rng(seed)
    d = a.shape[1]
    data = np.concatenate([a, b])
    labels = np.concatenate([np.ones(len(a)), -np.ones(len(b))])
    x = np.concatenate([rng.uniform(-0.2, 1.2, size=(n_random, d)), data])
    net_x = evaluate_chunked(net, x)
    err_simplex = float(np.max(np.abs(net_x - simplex_interpolate(to_grid(x), grid))))
    inside = np.clip(x[:n_random], 0.0, 1.0)
    err_target = float(np.max(np.abs(evaluate_chunked(net, inside) - F(inside)))) if n_random else 0.0
    if err_simplex > 1e-12 * max(1.0, float(np.abs(grid.values).max())):
        raise RuntimeError(f"grid network differs from the simplex-lookup interpolant by {err_simplex:.3g} > 1e-12")
    if err_target > bound * (1 + 1e-9):
        raise RuntimeError(f"grid network misses F by {err_target:.3g} > the proven bound {bound:.3g}")
    offsets = ball_offsets(d, radius, p, n_ball, rng)  # (k, d)
    pts = (data[:, None, :] + offsets[None, :, :]).reshape(-1, d)
    signs = np.sign(evaluate_chunked(net, pts)).reshape(len(data), -1)
    flip = signs != labels[:, None]
    return GridCheck(err_simplex, err_target, bound, int(flip.size), int(flip.sum()), int(flip.any(axis=1).sum()))


def ball_offsets(d: int, radius: float, p: float, n_random: int, rng: np.random.Generator) -> np.ndarray:
    """Offsets in B_p(0, radius): the corners (p = ∞: all 2^d if ≤ 256, else 256 random ones; p = 2:
    ±radius·e_k) and ``n_random`` uniform points of the ball."""
    if math.isinf(p):
        corners = (np.array(list(itertools.product((-1.0, 1.0), repeat=d))) if d <= 8
                   else rng.choice((-1.0, 1.0), size=(256, d)))
        inner = rng.uniform(-1.0, 1.0, size=(n_random, d))
    else:
        corners = np.concatenate([np.eye(d), -np.eye(d)])
        g = rng.standard_normal((n_random, d))
        inner = g / np.linalg.norm(g, axis=1, keepdims=True) * rng.random((n_random, 1)) ** (1.0 / d)
    return radius * np.concatenate([corners, inner])


def _check_p(p) -> float:
    from ._separation import NORMS, parse_norm

    return NORMS[parse_norm(p)]


def check_eps_c(eps, c, separation: float) -> tuple[float, float]:
    """(ε, c) for data whose separation is d_p(A, B): 0 < ε ≤ separation/2, 0 ≤ c < 1."""
    if isinstance(c, bool) or not isinstance(c, (int, float)) or not (0.0 <= c < 1.0):
        raise InputError(f"`c` must be a number in [0, 1) (radius c*eps), got {c!r} (e.g. c=0.5)")
    if separation <= 0.0:
        raise InputError("A and B share a point (separation 0): no eps > 0 separates them")
    if eps is None:
        return separation / 2.0, float(c)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not (eps > 0.0):
        raise InputError(f"`eps` must be a number > 0, got {eps!r} (e.g. eps=0.1)")
    if eps > separation / 2.0 * (1.0 + 1e-9):  # 1e-9: the rounding of computed distances (0.6 − 0.4 < 0.2)
        raise InputError(
            f"`eps` must be <= half the data's separation d(A,B)/2 = {separation / 2:.6g}, got {eps:g}: "
            "the construction's guarantee needs d(A,B) >= 2*eps"
        )
    return float(eps), float(c)


def check_grid_size(m: int, n: int, *, eps: float, c: float) -> None:
    """Refuse grids whose formula size exceeds :data:`MAX_NNZ` before allocating anything."""
    nnz = c2_counts(m, n).nnz_weights
    if nnz > MAX_NNZ:
        log10 = math.log10(nnz) if nnz < 10**300 else m * math.log10(n + 1)
        raise InputError(
            f"the grid for eps = {eps:g}, c = {c:g} in dimension {m} has n = {n} intervals per axis, "
            f"(n+1)^{m} hats and 10^{log10:.2f} non-zero weights, above this tool's build limit "
            f"{MAX_NNZ:.0e} (use a larger --eps or a smaller --c, or `uniformgap robust sizes` for the formulas)"
        )
