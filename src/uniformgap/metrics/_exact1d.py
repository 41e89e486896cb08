"""Exact sup error ‖f − g‖_{L^∞([lo, hi])} for 1-D ReLU networks by breakpoint enumeration.

A ReLU network R(Φ): R → R is continuous piecewise linear (CPWL). Layer by layer, every
pre-activation z_j = A_ℓ[j] h + b_ℓ[j] is affine on each piece of the current partition of
[lo, hi]; splitting the pieces where some z_j crosses 0 and applying ρ keeps every neuron
affine on every piece (THEORY.md §1; the standard region enumeration). The final knots
contain all breakpoints of R(Φ). For two CPWL functions f, g the difference f − g is
linear between consecutive points of the union of their knots, so |f − g| attains its
maximum over [lo, hi] at one of those knots or an endpoint:

    sup_{x ∈ [lo, hi]} |f(x) − g(x)| = max_{t ∈ T_f ∪ T_g ∪ {lo, hi}} |f(t) − g(t)|.

"Exact" means: exact up to float64 rounding of the knot positions (≈ 1e-16 relative) —
unlike a sampled maximum, which is only a lower estimate of the sup and misses narrow
spikes (arXiv:2205.13531, Section 1: the bumps that defeat learning are exactly such spikes).

The same knots give the L^1 and L^2 errors w.r.t. the uniform probability measure exactly
(docs/architecture.md, "Errors of the p-norms"). With t_0 = lo < t_1 < ... < t_n = hi the
merged knots, e = f − g, a = e(t_{i−1}), b = e(t_i), h_i = t_i − t_{i−1}, e is linear on
[t_{i−1}, t_i], and

    ∫ e²  over segment i = h_i (a² + a b + b²) / 3,
    ∫ |e| over segment i = h_i (|a| + |b|) / 2                  if a b ≥ 0,
                         = h_i (a² + b²) / (2 (|a| + |b|))        if a b < 0
                           (split at the zero t_i − h_i |b|/(|a|+|b|): two triangles),

    ‖f − g‖_{L^1} = Σ_i ∫|e| / (hi − lo),    ‖f − g‖_{L^2} = (Σ_i ∫e² / (hi − lo))^{1/2}.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from .._domain import check_domain
from .._errors import InputError
from ..networks import ReLUNetwork, SparseReLUNetwork
from ._supcore import Layers, forward64, layers64, times_t


@dataclass(frozen=True)
class SupResult:
    """sup_x |f(x) − g(x)| on [lo, hi], attained at ``argmax`` (exact up to float64 rounding)."""

    value: float
    argmax: float
    n_candidates: int  # knots and endpoints at which |f − g| was evaluated
    time_s: float


class PiecewiseLinear:
    """A continuous piecewise-linear target x ↦ interp(x; knots, values) on [knots[0], knots[-1]].

    Use it for targets that are not networks (e.g. a hat function given by its corners).
    """

    def __init__(self, knots, values):
        x = np.asarray(knots, dtype=np.float64)
        y = np.asarray(values, dtype=np.float64)
        if x.ndim != 1 or x.shape != y.shape or x.size < 2:
            raise InputError(
                f"`knots` and `values` must be 1-D of equal length >= 2, got shapes {x.shape} and {y.shape}"
            )
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(np.diff(x) > 0)):
            raise InputError("`knots` must be finite and strictly increasing and `values` finite")
        self.knots, self.values = x, y

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(x, dtype=np.float64), self.knots, self.values)

    def breakpoints(self, lo: float, hi: float) -> np.ndarray:
        if self.knots[0] > lo or self.knots[-1] < hi:
            raise InputError(
                f"a PiecewiseLinear target must cover the domain [{lo!r}, {hi!r}], "
                f"got knots from {float(self.knots[0])!r} to {float(self.knots[-1])!r}"
            )
        return self.knots[(self.knots > lo) & (self.knots < hi)]




def _knots(layers: Layers, lo: float, hi: float) -> np.ndarray:
    """All knots (endpoints included) of the partition on which every neuron is affine."""
    knots = np.array([lo, hi])
    a = np.ones((1, 1))  # h = a x + c on each piece: slopes, (K, N_{ℓ-1})
    c = np.zeros((1, 1))  # intercepts, (K, N_{ℓ-1})
    for A, b in layers[:-1]:
        za, zc = times_t(a, A), times_t(c, A) + b  # (K, N_ℓ): z = za x + zc on piece k
        with np.errstate(divide="ignore", invalid="ignore"):
            roots = -zc / za  # where z_j crosses 0 (inf/nan where za = 0)
        inside = (roots > knots[:-1, None]) & (roots < knots[1:, None])  # strictly inside piece k
        old = knots
        knots = np.unique(np.concatenate([old, roots[inside]]))
        mid = 0.5 * (knots[:-1] + knots[1:])  # (K',)
        piece = np.clip(np.searchsorted(old, mid, side="right") - 1, 0, old.size - 2)
        za, zc = za[piece], zc[piece]  # (K', N_ℓ)
        # On a new piece no z_j changes sign, so its sign at the midpoint decides ρ.
        active = za * mid[:, None] + zc > 0
        a, c = np.where(active, za, 0.0), np.where(active, zc, 0.0)
    return knots


def breakpoints_1d(net: ReLUNetwork, domain=(-0.5, 0.5)) -> np.ndarray:
    """The knots of R(Φ) strictly inside ``domain`` (sorted, float64).

    A superset of the breakpoints of R(Φ): every point where some neuron switches on or
    off; R(Φ) is affine between consecutive knots (a knot can be a removable one where
    the switch does not change the output's slope).
    """
    lo, hi = check_domain(domain)
    layers = layers64(net, "net")
    if layers[0][0].shape[1] != 1:
        raise InputError(f"`net` must have input dimension 1, got {layers[0][0].shape[1]} (use sup_error_bracket for d >= 2)")
    k = _knots(layers, lo, hi)
    return k[1:-1]


def _as_cpwl(fn, name: str, lo: float, hi: float):
    """(evaluate, interior knots) for a 1-D ReLUNetwork or a PiecewiseLinear."""
    if isinstance(fn, PiecewiseLinear):
        return fn, fn.breakpoints(lo, hi)
    if isinstance(fn, (ReLUNetwork, SparseReLUNetwork)):
        layers = layers64(fn, name)
        if layers[0][0].shape[1] != 1:
            raise InputError(
                f"`{name}` must have input dimension 1, got {layers[0][0].shape[1]} "
                "(use sup_error_bracket for d >= 2)"
            )
        return (lambda x: forward64(layers, x[:, None])), _knots(layers, lo, hi)[1:-1]
    raise InputError(f"`{name}` must be a ReLUNetwork or a PiecewiseLinear, got {type(fn).__name__}")


def difference_at_knots(f, g, domain=(-0.5, 0.5)) -> tuple[np.ndarray, np.ndarray]:
    """(t, e): the merged knots lo = t_0 < ... < t_n = hi of f and g and e = f(t) − g(t).

    f − g is linear between consecutive t (module docstring). ``g`` may be ``None`` (g = 0).
    """
    lo, hi = check_domain(domain)
    f_eval, f_knots = _as_cpwl(f, "f", lo, hi)
    if g is None:
        g_eval, g_knots = (lambda x: np.zeros(x.shape[0])), np.empty(0)
    else:
        g_eval, g_knots = _as_cpwl(g, "g", lo, hi)
    t = np.unique(np.concatenate([[lo, hi], f_knots, g_knots]))
    return t, f_eval(t) - g_eval(t)


def lp_from_knots(t: np.ndarray, e: np.ndarray) -> tuple[float, float]:
    """(‖e‖_{L^1}, ‖e‖_{L^2}) of the linear interpolant of e at t, uniform probability measure.

    The closed-form segment integrals of the module docstring; a segment on which e changes
    sign is split at its zero for L^1.
    """
    h = np.diff(t)
    a, b = e[:-1], e[1:]
    sq = h * (a * a + a * b + b * b) / 3.0  # ∫ e² per segment
    abs_a, abs_b = np.abs(a), np.abs(b)
    total = abs_a + abs_b
    with np.errstate(invalid="ignore", divide="ignore"):
        split = h * (a * a + b * b) / (2.0 * total)  # two triangles, zero inside
    ab = np.where(a * b >= 0, h * total / 2.0, split)  # ∫ |e| per segment
    width = t[-1] - t[0]
    return float(ab.sum() / width), float(math.sqrt(max(sq.sum(), 0.0) / width))


@dataclass(frozen=True)
class LpResult:
    """‖f − g‖_{L^p([lo, hi])} for p = 1, 2, ∞ w.r.t. the uniform probability measure (exact
    up to float64 rounding) and the argmax of |f − g|."""

    l1: float
    l2: float
    linf: float
    argmax: float
    n_candidates: int
    time_s: float


def lp_error_exact_1d(f, g, domain=(-0.5, 0.5)) -> LpResult:
    """L^1, L^2 and L^∞ errors of 1-D ReLU networks / PiecewiseLinear targets exactly.

    Segment integrals between the merged knots (module docstring), one knot enumeration for
    all three norms. ``g`` may be ``None`` for the norms of f.
    """
    t0 = time.perf_counter()
    t, e = difference_at_knots(f, g, domain)
    l1, l2 = lp_from_knots(t, e)
    i = int(np.argmax(np.abs(e)))
    return LpResult(l1=l1, l2=l2, linf=float(abs(e[i])), argmax=float(t[i]), n_candidates=int(t.size),
                    time_s=time.perf_counter() - t0)


def sup_error_exact_1d(f, g, domain=(-0.5, 0.5)) -> SupResult:
    """sup_{x ∈ [lo, hi]} |f(x) − g(x)| exactly, for 1-D ReLU networks / PiecewiseLinear targets.

    The maximum of the CPWL function |f − g| over the union of both knot sets and the
    endpoints (module docstring). ``g`` may be ``None`` for sup |f|. Returns the value and
    the argmax; ties are broken towards the smallest x.
    """
    t0 = time.perf_counter()
    t, e = difference_at_knots(f, g, domain)
    err = np.abs(e)
    i = int(np.argmax(err))
    return SupResult(
        value=float(err[i]), argmax=float(t[i]), n_candidates=int(t.size), time_s=time.perf_counter() - t0
    )


def linf_exact(student: ReLUNetwork, target, domain=(-0.5, 0.5), budget_s: float | None = None) -> dict:
    """Registry metric: {"linf_exact": sup |student − target|} for d = 1 (``budget_s`` unused: it is fast)."""
    return {"linf_exact": sup_error_exact_1d(student, target, domain).value}


def l1_exact(student: ReLUNetwork, target, domain=(-0.5, 0.5), budget_s: float | None = None) -> dict:
    """Registry metric: {"l1_exact": ‖student − target‖_{L^1}} for d = 1, exact (module docstring)."""
    return {"l1_exact": lp_error_exact_1d(student, target, domain).l1}


def l2_exact(student: ReLUNetwork, target, domain=(-0.5, 0.5), budget_s: float | None = None) -> dict:
    """Registry metric: {"l2_exact": ‖student − target‖_{L^2}} for d = 1, exact (module docstring)."""
    return {"l2_exact": lp_error_exact_1d(student, target, domain).l2}
