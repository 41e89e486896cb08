"""Synthetic labelled sets of Li et al. (arXiv:2205.13863): the Theorem 4.3 instance and the
manifold examples (docs/robust.md §5.1–§5.2).

All points lie in [0,1]^d; labels are ±1 (A = +1, B = −1, docs/robust.md §1). Randomness is
explicit (``seed=``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._errors import InputError


@dataclass(frozen=True)
class Theorem43Instance:
    """The hard instance of Theorem 4.3 (arXiv:2205.13863; docs/robust.md §5.1).

    K = ⌊1/(2ε)⌋ grid steps per axis, M = K^{d−1} columns i ∈ {1..K}^{d−1},
    ``support[i]`` = s_i = (i/K, ½ + ε0·φ(i)), ``labels[i]`` = φ(i) ∈ {±1} i.i.d. uniform,
    ``shifted[i]`` = s̃_i = (i/K, ½), at distance ε0 ≤ cε from s_i in every ℓ_p.
    Distinct columns differ by ≥ 1/K ≥ 2ε in a coordinate: A = {φ = +1}, B = {φ = −1} are
    2ε-separated in ℓ∞ and ℓ2, and x_d = ½ separates them linearly with margin ε0.
    """

    d: int
    eps: float
    c: float
    eps0: float
    seed: int
    K: int
    M: int
    columns: np.ndarray  # (M, d-1) int64, the column indices i ∈ {1..K}^{d-1}
    support: np.ndarray  # (M, d) float64, s_i
    labels: np.ndarray  # (M,) int64 in {+1, -1}, φ(i)
    shifted: np.ndarray  # (M, d) float64, s̃_i


def _check(name: str, ok: bool, value: object, allowed: str, example: str) -> None:
    if not ok:
        raise InputError(f"`{name}` must be {allowed}, got {value!r} (e.g. {example})")


def theorem43_instance(
    d: int, eps: float, c: float, *, eps0: float | None = None, seed: int = 0
) -> Theorem43Instance:
    """Sample the Theorem 4.3 instance (docs/robust.md §5.1, steps 1–4).

    ``eps0`` defaults to cε/10 (the paper's "arbitrarily small"; any 0 < ε0 ≤ cε is allowed).
    φ is drawn i.i.d. uniform from ``seed`` (the theorem's φ is existential; a random φ is hard
    with high probability by counting).
    """
    example = "theorem43_instance(d=3, eps=0.25, c=0.5)"
    _check("d", isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 2, d, "an integer >= 2", example)
    _check("eps", isinstance(eps, (int, float)) and 0 < eps <= 0.5, eps, "a number in (0, 0.5]", example)
    _check("c", isinstance(c, (int, float)) and 0 < c < 1, c, "a number in (0, 1)", example)
    if eps0 is None:
        eps0 = c * eps / 10
    _check("eps0", isinstance(eps0, (int, float)) and 0 < eps0 <= c * eps, eps0, f"a number in (0, c*eps] = (0, {c * eps:g}]", example)
    d, K = int(d), math.floor(1 / (2 * eps))
    log10_M = (d - 1) * math.log10(K)
    _check("d", log10_M <= 7, d, f"small enough that M = K^(d-1) <= 1e7 (K = {K}, M = 10^{log10_M:.1f})", example)
    M = K ** (d - 1)
    grids = np.meshgrid(*([np.arange(1, K + 1)] * (d - 1)), indexing="ij")
    columns = np.stack([g.ravel() for g in grids], axis=1).astype(np.int64)
    labels = np.where(np.random.default_rng(seed).integers(0, 2, size=M) == 1, 1, -1).astype(np.int64)
    shifted = np.concatenate([columns / K, np.full((M, 1), 0.5)], axis=1)
    support = shifted.copy()
    support[:, -1] += eps0 * labels
    return Theorem43Instance(
        d=d, eps=float(eps), c=float(c), eps0=float(eps0), seed=seed, K=K, M=M,
        columns=columns, support=support, labels=labels, shifted=shifted,
    )


@dataclass(frozen=True)
class ManifoldSet:
    """A finite labelled set on a k-dimensional manifold M ⊂ [0,1]^d (docs/robust.md §5.2).

    ``points`` (n, d) on M, ``labels`` (n,) ±1, ``chart`` (n, k) its chart coordinates (w for the
    linear manifold, θ for the torus), ``origin`` x_0 and ``basis`` V (d, m) with M ⊂ x_0 + span(V)
    (m = k, resp. 2k), ``eps`` = d_∞(A,B)/2 computed from the points.
    """

    kind: str
    k: int
    d: int
    points: np.ndarray
    labels: np.ndarray
    chart: np.ndarray
    origin: np.ndarray
    basis: np.ndarray
    eps: float


def _orthonormal(d: int, m: int, rotate: bool, rng: np.random.Generator) -> np.ndarray:
    """[e_1..e_m] or the first m columns of a Haar-random Q ∈ O(d)."""
    if not rotate:
        return np.eye(d)[:, :m]
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return (q * np.sign(np.diag(r)))[:, :m]


def _half_separation_inf(points: np.ndarray, labels: np.ndarray) -> float:
    """d_∞(A,B)/2 by brute force (the sets here are small)."""
    a, b = points[labels == 1], points[labels == -1]
    if len(a) == 0 or len(b) == 0:
        return math.inf
    return float(min(np.abs(x - b).max(axis=1).min() for x in a)) / 2


def manifold_linear(k: int, d: int, *, eps: float = 0.25, c: float = 0.5, rotate: bool = False, seed: int = 0) -> ManifoldSet:
    """The §5.1 instance in dimension k placed on M_lin = {½·1 + Uw : w ∈ [−a,a]^k} ⊂ [0,1]^d.

    docs/robust.md §5.2 (a): U ∈ R^{d×k} orthonormal; U = [e_1..e_k] with a = ½ (ℓ∞ distances
    preserved) or, with ``rotate``, Haar-random U with a = 1/(2√k) (‖Uw‖∞ ≤ ‖w‖2 ≤ ½). The support s
    of ``theorem43_instance(k, eps, c, seed=seed)`` ⊂ [0,1]^k is mapped by w = 2a(s − ½).
    """
    example = "manifold_linear(k=2, d=8)"
    _check("k", isinstance(k, (int, np.integer)) and k >= 2, k, "an integer >= 2 (the Theorem 4.3 instance needs k >= 2)", example)
    _check("d", isinstance(d, (int, np.integer)) and d >= k, d, f"an integer >= k = {k}", example)
    inst = theorem43_instance(k, eps, c, seed=seed)
    a = 1 / (2 * math.sqrt(k)) if rotate else 0.5
    U = _orthonormal(d, k, rotate, np.random.default_rng([seed, 1]))
    w = 2 * a * (inst.support - 0.5)
    origin = np.full(d, 0.5)
    points = np.clip(origin + w @ U.T, 0.0, 1.0)  # clip: rounding only, ‖Uw‖∞ ≤ ½
    return ManifoldSet("linear", k, d, points, inst.labels, w, origin, U, _half_separation_inf(points, inst.labels))


def manifold_torus(
    k: int, d: int, *, m: int = 8, r: float | None = None, rotate: bool = False, seed: int = 0
) -> ManifoldSet:
    """Random labels on a θ-grid of the flat torus M_tor = {½·1 + Qψ(θ)} (docs/robust.md §5.2 (b)).

    ψ(θ) = r(cos θ_1, sin θ_1, …, cos θ_k, sin θ_k, 0, …, 0), θ_j ∈ {2πi/m : i = 0..m−1}
    (m^k points), d ≥ 2k, Q = I (r ≤ ½, default ½) or Haar-random (r ≤ 1/(2√k), the default).
    Labels ±1 i.i.d. uniform from ``seed``; ε = d_∞(A,B)/2 is computed.
    """
    example = "manifold_torus(k=1, d=4, m=8)"
    _check("k", isinstance(k, (int, np.integer)) and k >= 1, k, "an integer >= 1", example)
    _check("d", isinstance(d, (int, np.integer)) and d >= 2 * k, d, f"an integer >= 2k = {2 * k}", example)
    _check("m", isinstance(m, (int, np.integer)) and m >= 2 and m**k <= 10**6, m, "an integer >= 2 with m^k <= 1e6", example)
    r_max = 1 / (2 * math.sqrt(k)) if rotate else 0.5
    r = r_max if r is None else r
    _check("r", isinstance(r, (int, float)) and 0 < r <= r_max, r, f"a number in (0, {r_max:g}]", example)
    rng = np.random.default_rng(seed)
    grids = np.meshgrid(*([2 * np.pi * np.arange(m) / m] * k), indexing="ij")
    theta = np.stack([g.ravel() for g in grids], axis=1)
    psi = np.zeros((len(theta), 2 * k))
    psi[:, 0::2], psi[:, 1::2] = r * np.cos(theta), r * np.sin(theta)
    V = _orthonormal(d, 2 * k, rotate, np.random.default_rng([seed, 1]))
    origin = np.full(d, 0.5)
    points = np.clip(origin + psi @ V.T, 0.0, 1.0)  # clip: rounding only
    labels = np.where(rng.integers(0, 2, size=len(theta)) == 1, 1, -1).astype(np.int64)
    return ManifoldSet("torus", k, d, points, labels, theta, origin, V, _half_separation_inf(points, labels))
