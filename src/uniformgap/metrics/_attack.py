"""Lower bounds of sup_x |f(x) − g(x)|: the sampled maximum and a regression attack.

Both return a witness x* and the value |f(x*) − g(x*)| evaluated AT x* in float64, so the
value is a true lower bound of the sup over the box (up to float64 rounding of one forward
pass). A sampled max over uniform points is only a lower *estimate* of the sup: narrow
spikes — exactly the bumps of arXiv:2205.13531, Theorem 2.2 — are missed by random points.

The attack is projected sign-gradient ascent on |f − g| (the regression analogue of PGD),
stepping from the best point x* found so far (a worse step is retried with a shorter one):
    x ← clip_Ω(x* + η_k sign(∇_x |f − g|(x*))),   η_k decaying geometrically,
from many starts (the worst Monte-Carlo points first); the best iterate is the witness.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._errors import InputError
from ..networks import ReLUNetwork
from .._domain import check_box
from ._supcore import Layers, check_pair, forward64, layers64, times, times_t

_CHUNK = 1 << 16  # points per forward pass: bounded memory for any n_points


@dataclass(frozen=True)
class Witness:
    """A point x* of the box and |f(x*) − g(x*)| evaluated there (a lower bound of the sup)."""

    value: float
    argmax: tuple[float, ...]


def abs_diff(F: Layers, G: Layers, x: np.ndarray) -> np.ndarray:
    """|f(x) − g(x)| for x (n, d) → (n,), float64."""
    return np.abs(forward64(F, x) - forward64(G, x))


def sampled_top(
    F: Layers, G: Layers, lo: np.ndarray, hi: np.ndarray, n_points: int, k: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The k largest |f − g| over n_points uniform points of the box: (values (k,), points (k, d)), sorted descending."""
    d = lo.size
    best_v, best_x = np.empty(0), np.empty((0, d))
    done = 0
    while done < n_points:
        n = min(_CHUNK, n_points - done)
        x = lo + (hi - lo) * rng.random((n, d))  # (n, d)
        v = abs_diff(F, G, x)
        keep = np.argsort(v)[::-1][:k]
        best_v, best_x = np.concatenate([best_v, v[keep]]), np.concatenate([best_x, x[keep]])
        order = np.argsort(best_v, kind="stable")[::-1][:k]
        best_v, best_x = best_v[order], best_x[order]
        done += n
    return best_v, best_x


def _value_and_grad(layers: Layers, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R(Φ)(x) (n,) and ∇_x R(Φ)(x) (n, d) by hand-written backpropagation (no autograd overhead)."""
    h, masks = x, []
    for A, b in layers[:-1]:
        z = times_t(h, A) + b
        masks.append(z > 0)
        h = np.where(masks[-1], z, 0.0)
    A_L, b_L = layers[-1]
    a_L = A_L.getrow(0).toarray()[0] if sp.issparse(A_L) else A_L[0]  # (N_{L-1},) output row
    value = h @ a_L + b_L[0]
    grad = np.broadcast_to(a_L, h.shape)  # (n, N_{L-1})
    for (A, _), mask in zip(reversed(layers[:-1]), reversed(masks)):
        grad = times(grad * mask, A)  # (n, N_{ℓ-1})
    return value, grad


def attack(
    F: Layers,
    G: Layers,
    lo: np.ndarray,
    hi: np.ndarray,
    starts: np.ndarray,
    *,
    steps: int = 150,
    step0: float | np.ndarray | None = None,
    step_min_ratio: float = 1e-7,
) -> Witness:
    """Monotone projected sign-gradient ascent on |f − g| from ``starts`` (n, d); returns the best iterate.

    ``step0`` defaults to 5 % of the box width per coordinate; the step decays geometrically
    to ``step_min_ratio`` · step0 so the last iterates settle on a kink of the CPWL |f − g|.
    """
    eta0 = 0.05 * (hi - lo) if step0 is None else np.asarray(step0, dtype=np.float64)
    decay = step_min_ratio ** (1.0 / max(steps - 1, 1))
    x = np.clip(np.asarray(starts, dtype=np.float64), lo, hi)  # (n, d)
    best_v = np.full(x.shape[0], -1.0)
    best_x, best_dir = x.copy(), np.zeros_like(x)
    for k in range(steps):
        vf, gf = _value_and_grad(F, x)
        vg, gg = _value_and_grad(G, x)
        diff = vf - vg
        v = np.abs(diff)  # (n,)
        better = v > best_v
        best_v = np.where(better, v, best_v)
        best_x[better] = x[better]
        best_dir[better] = np.sign(np.sign(diff)[:, None] * (gf - gg))[better]  # sign ∇|f − g|
        # step from the best point so far: a rejected (worse) step is retried shorter, so
        # narrow peaks (support ≪ the first step) are climbed instead of jumped over
        x = np.clip(best_x + eta0 * decay**k * best_dir, lo, hi)
    # the reported value is re-evaluated at the witness (not taken from the loop)
    cand = best_x
    vals = abs_diff(F, G, cand)
    i = int(np.argmax(vals))
    return Witness(float(vals[i]), tuple(float(t) for t in cand[i]))


@dataclass(frozen=True)
class AttackResult:
    """Two lower bounds of sup |f − g|: the sampled max (Monte Carlo) and the attack's."""

    value: float  # the attack's |f − g|(argmax), ≥ mc_max (the attack starts at the MC points)
    argmax: tuple[float, ...]
    mc_max: float  # max over mc_points uniform points: a lower estimate of the sup
    mc_argmax: tuple[float, ...]
    mc_points: int


def regression_attack(
    f: ReLUNetwork, g: ReLUNetwork, domain=(-0.5, 0.5), *, mc_points: int = 1 << 16, n_starts: int = 32, seed: int = 0
) -> AttackResult:
    """Lower bounds of sup_{x ∈ Ω} |f(x) − g(x)|: Monte-Carlo max, then sign-gradient ascent
    from the ``n_starts`` worst Monte-Carlo points (``seed`` drives the points)."""
    F, G = layers64(f, "f"), layers64(g, "g")
    lo, hi = check_box(domain, check_pair(F, G))
    if not (isinstance(mc_points, int) and mc_points >= 1):
        raise InputError(f"`mc_points` must be an integer >= 1, got {mc_points!r}")
    if not (isinstance(n_starts, int) and n_starts >= 1):
        raise InputError(f"`n_starts` must be an integer >= 1, got {n_starts!r}")
    top_v, top_x = sampled_top(F, G, lo, hi, mc_points, n_starts, np.random.default_rng(seed))
    w = attack(F, G, lo, hi, top_x)
    if top_v[0] > w.value:  # never report less than the best sampled point
        w = Witness(float(top_v[0]), tuple(float(t) for t in top_x[0]))
    return AttackResult(w.value, w.argmax, float(top_v[0]), tuple(float(t) for t in top_x[0]), mc_points)
