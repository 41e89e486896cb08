"""A certified bracket lower ≤ sup_{x ∈ Ω} |f(x) − g(x)| ≤ upper for ReLU networks, d ≥ 2.

- lower: |f − g| evaluated at a witness point (Monte-Carlo points, the regression attack
  of :mod:`._attack`, centres of the worst boxes) — a true lower bound of the sup.
- upper: branch and bound over sub-boxes of Ω. Each box X gets a sound bound
  U(X) ≥ max_X |f − g| (:mod:`._bounds_prop`, linear relaxation of the difference
  network); then sup_Ω |f − g| ≤ max(lower, max_{open X} U(X)), since a box with
  U(X) ≤ lower cannot hold a larger value (it is pruned). The boxes with the largest U are
  bisected (along the coordinate where the bound's linear part varies most) until
      (upper − lower) / upper ≤ tol     or the time budget is spent.
The result says honestly which happened (``tol_reached``). Target sizes: d ≤ 3, depth ≤ 6,
width ≤ 64 (the number of boxes grows like (K/(tol·sup))^d for Lipschitz constant K).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._errors import InputError
from ..networks import ReLUNetwork
from ._attack import abs_diff, attack, sampled_top
from ._bounds_prop import _check_method, diff_bounds_layers
from .._domain import check_box
from ._supcore import check_pair, check_positive, layers64, require_dense

# Boxes bisected per step: large enough to amortise numpy overhead, small enough to keep
# the refinement focused on the worst boxes.
_BATCH = 256
# Attack restarts (worst Monte-Carlo points, then the centres of the worst boxes).
_STARTS = 32
# Hard cap on open boxes: memory stays below ~100 MB (d ≤ 3).
_MAX_OPEN = 2_000_000


@dataclass(frozen=True)
class SupBracket:
    """lower ≤ sup_{x ∈ Ω} |f(x) − g(x)| ≤ upper, with lower = |f − g|(argmax)."""

    lower: float
    upper: float
    gap: float  # upper − lower
    rel_gap: float  # (upper − lower) / upper (0 when upper = 0)
    tol: float
    tol_reached: bool
    argmax: tuple[float, ...]  # the witness of `lower`
    boxes_processed: int  # boxes whose bound was computed
    open_boxes: int  # boxes still undecided at the end
    time_s: float
    mc_max: float  # max over `mc_points` uniform points: a lower ESTIMATE, for comparison
    mc_argmax: tuple[float, ...]
    mc_points: int
    attack_value: float  # the regression attack's value before branch and bound
    method: str


def sup_error_bracket(
    f: ReLUNetwork,
    g: ReLUNetwork,
    domain=(-0.5, 0.5),
    *,
    tol: float = 0.01,
    budget_s: float = 10.0,
    seed: int = 0,
    mc_points: int = 1 << 16,
    method: str = "crown",
    progress: bool = False,
    max_boxes: int | None = None,
) -> SupBracket:
    """Certified bracket of sup_{x ∈ Ω} |f(x) − g(x)| on the box Ω = ``domain``.

    ``domain``: (lo, hi) with scalars (the cube [lo, hi]^d) or length-d sequences.
    ``tol``: target relative gap (upper − lower)/upper. ``budget_s``: wall-clock budget of
    branch and bound, after the Monte-Carlo points and the attack (the bracket is valid
    whenever it stops; ``time_s`` reports the total). ``seed`` drives
    the Monte-Carlo points; ``method``: "crown" (default), "forward" or "ibp" bounds per box.
    ``max_boxes``: a work budget besides ``budget_s`` — stop once this many boxes were bounded
    (reproducible on any machine, unlike a time budget); None: no limit.
    """
    t0 = time.perf_counter()
    what = "the certified bracket (CROWN bound propagation)"
    F, G = (require_dense(layers64(n, k), k, what) for n, k in ((f, "f"), (g, "g")))
    d = check_pair(F, G)
    lo, hi = check_box(domain, d)
    tol = check_positive("tol", tol)
    budget_s = check_positive("budget_s", budget_s)
    method = _check_method(method)
    if not (isinstance(mc_points, int) and mc_points >= 1):
        raise InputError(f"`mc_points` must be an integer >= 1, got {mc_points!r}")
    if max_boxes is not None and (isinstance(max_boxes, bool) or not isinstance(max_boxes, int) or max_boxes < 1):
        raise InputError(f"`max_boxes` must be an integer >= 1 or None, got {max_boxes!r}")
    rng = np.random.default_rng(seed)

    top_v, top_x = sampled_top(F, G, lo, hi, mc_points, _STARTS, rng)
    mc_max = float(top_v[0])
    best = attack(F, G, lo, hi, top_x)
    attack_value = best.value
    lower, argmax = best.value, np.asarray(best.argmax)
    if mc_max > lower:
        lower, argmax = mc_max, top_x[0]

    t_bab = time.perf_counter()  # the budget is for branch and bound
    # open boxes as centre/radius arrays; ub = sound bound of max |f − g| on the box
    m, r = (0.5 * (lo + hi))[None, :], (0.5 * (hi - lo))[None, :]
    if _identical(F, G):  # f − g ≡ 0, which relaxations of f and g separately never prove
        m, r, ub, score = np.empty((0, d)), np.empty((0, d)), np.empty(0), np.empty((0, d))
    else:
        bl, bu, score = diff_bounds_layers(F, G, m, _cover(m, r), method)
        ub = np.maximum(bu, -bl)
    processed, steps, pruned_below = 1, 0, 0.0
    bar = _progress(progress)
    try:
        while True:
            keep = ub > lower
            pruned_below = lower  # boxes dropped here hold no value above this
            m, r, ub, score = m[keep], r[keep], ub[keep], score[keep]
            upper = max(lower, float(ub.max())) if ub.size else lower
            if upper == 0.0 or upper - lower <= tol * upper:
                break
            if time.perf_counter() - t_bab > budget_s or ub.size > _MAX_OPEN:
                break
            if max_boxes is not None and processed >= max_boxes:
                break
            k = min(_BATCH, ub.size)
            pick = np.argpartition(-ub, k - 1)[:k] if k < ub.size else np.arange(ub.size)
            rest = np.ones(ub.size, bool)
            rest[pick] = False
            cm, cr = _bisect(m[pick], r[pick], score[pick])  # (2k, d) each
            bl, bu, cs = diff_bounds_layers(F, G, cm, _cover(cm, cr), method)
            cub = np.maximum(bu, -bl)
            # cheap lower-bound improvement: the children's centres
            cv = abs_diff(F, G, cm)
            i = int(np.argmax(cv))
            if cv[i] > lower:
                lower, argmax = float(cv[i]), cm[i].copy()
            steps += 1
            if steps % 16 == 0:  # attack from the worst boxes, steps sized to them
                worst = np.argsort(-cub)[:_STARTS]
                w = attack(F, G, lo, hi, cm[worst], steps=60, step0=cr[worst].max(0))
                if w.value > lower:
                    lower, argmax = w.value, np.asarray(w.argmax)
            m = np.concatenate([m[rest], cm])
            r = np.concatenate([r[rest], cr])
            ub = np.concatenate([ub[rest], cub])
            score = np.concatenate([score[rest], cs])
            processed += cm.shape[0]
            if bar is not None:
                bar.update(cm.shape[0])
                bar.set_postfix(lower=f"{lower:.4g}", upper=f"{upper:.4g}", open=ub.size, refresh=False)
    finally:
        if bar is not None:
            bar.close()
    # `lower` was evaluated at `argmax` by abs_diff when it was found (MC, attack or centre)
    argmax = np.asarray(argmax, dtype=np.float64)
    open_ub = ub[ub > lower]
    upper = max(lower, pruned_below, float(open_ub.max()) if open_ub.size else 0.0)
    rel_gap = (upper - lower) / upper if upper > 0 else 0.0
    return SupBracket(
        lower=lower,
        upper=upper,
        gap=upper - lower,
        rel_gap=rel_gap,
        tol=tol,
        tol_reached=bool(upper - lower <= tol * upper),
        argmax=tuple(float(t) for t in argmax),
        boxes_processed=processed,
        open_boxes=int(open_ub.size),
        time_s=time.perf_counter() - t0,
        mc_max=mc_max,
        mc_argmax=tuple(float(t) for t in top_x[0]),
        mc_points=mc_points,
        attack_value=attack_value,
        method=method,
    )


def _bisect(m: np.ndarray, r: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Halve each box along its highest-score coordinate: (2k, d) centres and radii."""
    k = m.shape[0]
    j = np.argmax(score, axis=1)  # (k,)
    rows = np.arange(k)
    r2 = r.copy()
    r2[rows, j] *= 0.5
    m_lo, m_hi = m.copy(), m.copy()
    m_lo[rows, j] -= r2[rows, j]
    m_hi[rows, j] += r2[rows, j]
    return np.concatenate([m_lo, m_hi]), np.concatenate([r2, r2])


def _identical(F, G) -> bool:
    return len(F) == len(G) and all(
        A.shape == C.shape and np.array_equal(A, C) and np.array_equal(b, e) for (A, b), (C, e) in zip(F, G)
    )


def _cover(m: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Radii grown by the float64 rounding of m ± r, so the bounded boxes cover Ω without gaps."""
    return r + 1e-15 * (np.abs(m) + r)


def _progress(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc="branch and bound", unit=" boxes", leave=False, dynamic_ncols=True)


def linf_bracket(student: ReLUNetwork, target: ReLUNetwork, domain=(-0.5, 0.5), budget_s: float = 10.0, **kw) -> dict:
    """Registry metric: {"linf_lower": ..., "linf_upper": ...} (d ≥ 2, per-model time budget)."""
    b = sup_error_bracket(student, target, domain, budget_s=budget_s, **kw)
    return {"linf_lower": b.lower, "linf_upper": b.upper}
