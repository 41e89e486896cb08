"""C1: the exact l∞ nearest-neighbour network of Theorem 2.2 (docs/robust.md §3).

For labelled sets A (label +1) and B (label −1) of N = |A| + |B| points in R^d it computes

    g(x) = d_∞(x, B) − d_∞(x, A)

exactly (arXiv:2205.13863, Thm 2.2; docs/robust.md §3), with layers

    1. u±_{p,j} = ReLU(±(x_j − p_j))                       |x_j − p_j| = u⁺ + u⁻      (2Nd neurons)
    2. ⌈log2 d⌉ max levels per point p                      D_p = ‖x − p‖_∞
    3. T = ⌈log2 max(|A|, |B|)⌉ min levels over (D_p)_{p∈A}, (D_p)_{p∈B} side by side
    4. g = m_B − m_A                                          m_S = d_∞(x, S)

sgn g is the l∞ 1-nearest-neighbour classifier; g is 2-Lipschitz in l∞, so sgn g is constant on
the open ball of radius |g(x)|/2 (a certified radius) and L̂^{∞,δ}(g) = 0 for all δ < ε when
d_∞(A, B) ≥ 2ε. Size 8Nd + O(N log d) non-zero weights (:func:`c1_counts`), independent of δ, ε.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._errors import InputError
from ..networks import SparseReLUNetwork
from ._build import LayerBuilder, max_pair, min_pair, terms, tree_level
from ._counts import NetworkCounts, c1_counts
from ._geometry import check_point_sets, evaluate_chunked, linf_distance


@dataclass(frozen=True)
class C1Network:
    """The built C1 and its verification (values and counts checked when built)."""

    network: SparseReLUNetwork
    n_a: int
    n_b: int
    d: int
    counts: NetworkCounts  # the docs/robust.md §3 formulas; equal to the built network's
    max_error_random: float  # max |net − g| on random x ∈ [−0.2, 1.2]^d
    max_error_data: float  # max |net − g| on A ∪ B
    n_random: int
    g_data: np.ndarray  # network values at A then B, (N,)
    build_s: float
    verify_s: float


def closed_form_g(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """g(x) = d_∞(x, B) − d_∞(x, A), (n,), by brute force (docs/robust.md §2)."""
    return linf_distance(x, b) - linf_distance(x, a)


def build_c1(a: np.ndarray, b: np.ndarray) -> SparseReLUNetwork:
    """The C1 network of A (label +1) and B (label −1), without verification (docs/robust.md §3)."""
    a, b = check_point_sets(a, b)
    P = np.concatenate([a, b])  # (N, d): A first
    N, d = P.shape
    layers = []
    # 1. u⁺ = ReLU(x_j − p_j), u⁻ = ReLU(p_j − x_j); value |x_j − p_j| = u⁺ + u⁻
    L1 = LayerBuilder(d)
    values = []
    for j in range(d):
        col = np.full(N, j)
        up = L1.neurons([(col, 1.0)], -P[:, j])
        um = L1.neurons([(col, -1.0)], P[:, j])
        values.append([(up, 1.0), (um, 1.0)])
    layers.append(L1.finish())
    n_prev = L1.n
    # 2. max levels: D_p = max_j |x_j − p_j| (vectorised over the N points)
    while len(values) > 1:
        layer = LayerBuilder(n_prev)
        values = tree_level(layer, values, max_pair)
        layers.append(layer.finish())
        n_prev = layer.n
    (D,) = values  # value of D_p, ids (N,)
    # 3. min levels on the two lists side by side; a finished list is carried
    lists = [[[(ids[i : i + 1], s) for ids, s in D] for i in idx] for idx in (range(len(a)), range(len(a), N))]
    while max(len(vals) for vals in lists) > 1:  # T = ⌈log2 max(|A|, |B|)⌉ levels
        layer = LayerBuilder(n_prev)
        lists = [tree_level(layer, vals, min_pair) for vals in lists]
        layers.append(layer.finish())
        n_prev = layer.n
    (m_a,), (m_b,) = lists
    # 4. output g = m_B − m_A
    out = LayerBuilder(n_prev)
    out.neurons(terms(m_b) + terms(m_a, -1.0), G=1)
    layers.append(out.finish())
    return SparseReLUNetwork(layers)


def c1_network(a, b, *, n_random: int = 256, seed: int = 0) -> C1Network:
    """Build C1 for A (label +1) and B (label −1) and verify it (docs/robust.md §3 "Checks").

    Values: |net − g| ≤ 1e-9 (observed ~1e-15) on ``n_random`` uniform x ∈ [−0.2, 1.2]^d
    (``seed``) and on every point of A ∪ B; structure: depth, widths, nnz(W), nnz(b) equal to
    :func:`c1_counts`. A failed check raises RuntimeError (a construction bug, not a user error).
    """
    a, b = check_point_sets(a, b)
    if isinstance(n_random, bool) or not isinstance(n_random, int) or n_random < 0:
        raise InputError(f"`n_random` must be an integer >= 0, got {n_random!r}")
    t0 = time.perf_counter()
    net = build_c1(a, b)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    d = a.shape[1]
    counts = c1_counts(len(a), len(b), d, nonzero_coords=int(np.count_nonzero(a)) + int(np.count_nonzero(b)))
    built = (net.architecture, net.depth, net.nnz_weights, net.nnz_biases)
    expected = (counts.widths, counts.depth, counts.nnz_weights, counts.nnz_biases)
    if built != expected:
        raise RuntimeError(f"C1 structure differs from docs/robust.md §3: built {built}, formulas {expected}")
    x = np.random.default_rng(seed).uniform(-0.2, 1.2, size=(n_random, d))
    data = np.concatenate([a, b])
    err_r = _max_err(evaluate_chunked(net, x), closed_form_g(x, a, b))
    g_data = evaluate_chunked(net, data)
    err_d = _max_err(g_data, closed_form_g(data, a, b))
    if not (err_r <= 1e-9 and err_d <= 1e-9):
        raise RuntimeError(f"C1 differs from g = d(x,B) - d(x,A): max error {max(err_r, err_d):.3g} > 1e-9")
    return C1Network(net, len(a), len(b), d, counts, err_r, err_d, n_random, g_data, build_s, time.perf_counter() - t0)


def _max_err(u: np.ndarray, v: np.ndarray) -> float:
    return float(np.max(np.abs(u - v))) if u.size else 0.0
