"""Sound bounds of a ReLU network, and of the difference f − g of two, on a batch of boxes.

Boxes are X_k = m_k + diag(r_k)[-1, 1]^d (centre m, radius r), written x = m + r ⊙ t.

- ``"ibp"`` (interval bound propagation): z ∈ [μ − ρ, μ + ρ] with μ' = A μ + b,
  ρ' = |A| ρ, then ρ clips the interval at 0.
- ``"forward"`` (linear relaxation): pre-activation bounds l ≤ z ≤ u of the hidden
  neurons by forward-mode linear propagation (each neuron gets a lower and an upper affine
  function of t; cheap because d ≤ 3), intersected with IBP; then the output by one
  backward pass with the relaxations (Zhang et al. 2018, "CROWN")
      ρ(z) ≤ u (z − l) / (u − l),   ρ(z) ≥ α z,   α = 1[u > −l]       (l < 0 < u).
- ``"crown"`` (default): as "forward", plus a backward pass to the input for every hidden
  neuron (full CROWN) on the boxes where many neurons are unstable — much tighter on large
  boxes, and skipped on small ones where it costs ~10x for the same bound.
For f − g the backward passes of f (objective +1) and g (objective −1) give affine bounds
in t that are added *before* concretisation — the same as a backward pass through the
difference network [f ; g] with last layer (A_L^f, −A_L^g), so the shared part of f and g
cancels instead of being bounded twice.

Floating point: every bound is pushed outward by ``_REL`` times the magnitude of the
terms it was summed from (the same computation with absolute values), which dominates
the float64 rounding error γ_n ≈ n · 1.1e-16 of the n ≤ a few thousand operations.
"""

from __future__ import annotations

import numpy as np

from .._errors import InputError
from ..networks import ReLUNetwork
from ._supcore import Layers, check_pair, layers64, require_dense

# 1e-10 ≫ γ_n for n ~ 1e3 float64 operations (≈ 1e-13), yet invisible at 1 % brackets.
_REL = 1e-10
METHODS = ("crown", "forward", "ibp")
# "crown": backward passes for the hidden layers of boxes with more than this fraction of
# unstable neurons (measured: a win on large boxes, a 10x cost for nothing on small ones)
_BACKWARD_IF_UNSTABLE = 0.1


_WHAT = "CROWN/interval bound propagation"


def _boxes(lo, hi, d: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.atleast_2d(np.asarray(lo, dtype=np.float64))
    hi = np.atleast_2d(np.asarray(hi, dtype=np.float64))
    if lo.shape != hi.shape or lo.shape[1] != d or not np.all(lo <= hi):
        raise InputError(f"`lo`, `hi` must be (n, {d}) arrays with lo <= hi, got shapes {lo.shape} and {hi.shape}")
    return 0.5 * (lo + hi), 0.5 * (hi - lo)


def _hidden_bounds(layers: Layers, m: np.ndarray, r: np.ndarray, method: str, ball: "_Ball | None" = None):
    """Pre-activation bounds (l, u), each (B, N_ℓ), of the hidden layers ℓ = 1..L-1.

    Neuron-major layout inside ((N, B), (N, B, d + 1)) so each layer is one GEMM. With ``ball``
    the input set is the box ∩ B_2(x0, ε): every affine bound is also concretised over the ball
    (:func:`_ball_upper`) and the tighter value kept.
    """
    B, d = m.shape
    out = []
    h_lo, h_hi = (m - r).T, (m + r).T  # (N, B): interval of the current layer input h
    if method in ("crown", "forward"):
        # affine bounds of h in t; last column: constant, (N, B, d + 1)
        U = np.zeros((d, B, d + 1))
        U[np.arange(d), :, np.arange(d)] = r.T
        U[:, :, -1] = m.T
        L = U.copy()
    for i, (A, b) in enumerate(layers[:-1]):
        Aabs, bc = np.abs(A), b[:, None]
        mid, rad = 0.5 * (h_lo + h_hi), 0.5 * (h_hi - h_lo)
        z_mid, z_rad = A @ mid + bc, Aabs @ rad  # (N_ℓ, B)
        # rounding of this layer only: earlier layers' errors are inside their own slack
        mag = Aabs @ (np.abs(mid) + rad) + np.abs(bc)
        if method in ("crown", "forward"):
            mag = np.maximum(mag, Aabs @ np.maximum(np.abs(U).sum(-1), np.abs(L).sum(-1)) + np.abs(bc))
        slack = _REL * mag
        l, u = z_mid - z_rad - slack, z_mid + z_rad + slack
        if ball is not None and i == 0:
            # first layer, exact over the ball: a_j·x0 + b_j ± ε‖a_j‖₂ (CROWN Thm 3.2 with q = 2)
            z0 = A @ ball.x0.T + bc
            dev = ball.eps * np.linalg.norm(A, axis=1)[:, None]
            s0 = _REL * (Aabs @ np.abs(ball.x0.T) + np.abs(bc) + dev)
            l, u = np.maximum(l, z0 - dev - s0), np.minimum(u, z0 + dev + s0)
        if method == "crown" and i > 0:
            # full CROWN (a backward pass to the input for every neuron of this layer) where
            # the relaxations so far are many — there it is much tighter; elsewhere forward
            # mode is as tight and ~10x cheaper
            unstable = sum(((pl < 0) & (pu > 0)).sum(1) for pl, pu in out)  # (B,)
            sel = np.flatnonzero(unstable > _BACKWARD_IF_UNSTABLE * sum(pl.shape[1] for pl, _ in out))
            if sel.size:
                n_sel = sel.size
                lam = np.broadcast_to(A, (n_sel, *A.shape))  # (B', N_ℓ, N_{ℓ-1})
                prev = [(pl[sel], pu[sel]) for pl, pu in out]
                ms, rs = m[sel], r[sel]
                bb = np.broadcast_to(b, (n_sel, b.size))
                sub = None if ball is None else ball.select(sel)
                up = _concretise_upper(*_backward(layers[:i], prev, ms, rs, lam.copy(), bb.copy()), ball=sub)
                lo = -_concretise_upper(*_backward(layers[:i], prev, ms, rs, -lam, -bb), ball=sub)
                u[:, sel] = np.minimum(u[:, sel], up.T)
                l[:, sel] = np.maximum(l[:, sel], lo.T)
        if method in ("crown", "forward"):
            N, k = A.shape[0], d + 1
            Ap, An = np.maximum(A, 0.0), np.minimum(A, 0.0)
            U2, L2 = U.reshape(U.shape[0], B * k), L.reshape(L.shape[0], B * k)
            zU = (Ap @ U2 + An @ L2).reshape(N, B, k)
            zL = (Ap @ L2 + An @ U2).reshape(N, B, k)
            zU[..., -1] += bc + slack
            zL[..., -1] += bc - slack
            u = np.minimum(u, zU[..., -1] + np.abs(zU[..., :-1]).sum(-1) + slack)
            l = np.maximum(l, zL[..., -1] - np.abs(zL[..., :-1]).sum(-1) - slack)
            if ball is not None:
                u = np.minimum(u, _ball_upper(zU[..., :-1], zU[..., -1], ball.t0[None], ball.inv_r[None], ball.eps) + slack)
                l = np.maximum(l, -_ball_upper(-zL[..., :-1], -zL[..., -1], ball.t0[None], ball.inv_r[None], ball.eps) - slack)
            # relaxations of h = ρ(z), applied to the affine bounds of z
            unstable = (l < 0) & (u > 0)
            active = (l >= 0).astype(np.float64)
            s = np.where(unstable, u / np.where(unstable, u - l, 1.0), active)
            alpha = np.where(unstable, (u > -l).astype(np.float64), active)
            relax_slack = _REL * (np.maximum(np.abs(zU).sum(-1), np.abs(zL).sum(-1)) + np.abs(l) + np.abs(u))
            U = zU * s[..., None]
            U[..., -1] += np.where(unstable, -s * l, 0.0) + relax_slack * (s > 0)
            L = zL * alpha[..., None]
            L[..., -1] -= relax_slack * alpha
        out.append((l.T, u.T))
        h_lo, h_hi = np.maximum(l, 0.0), np.maximum(u, 0.0)
    return out, (h_lo.T, h_hi.T)


def _backward(layers: Layers, bounds, m: np.ndarray, r: np.ndarray, lam: np.ndarray, beta: np.ndarray):
    """Affine upper bounds of the K objectives λ_k · h_J + β_k, h_J = ρ(z_J) the output of the
    J = len(layers) affine layers given (h_0 = x when J = 0), by one backward pass with the
    CROWN relaxations of ``bounds`` (pre-activation (l, u) of those layers).

    lam: (B, K, N_J), beta: (B, K). Returns (Λ_t (B, K, d), β (B, K), mag (B, K)) meaning
    λ·h_J + β ≤ Λ_t·t + β for x = m + r ⊙ t; ``mag`` is the same pass in absolute values
    (the scale of the rounding error).
    """
    B, K = beta.shape
    lam_abs, beta_abs = np.abs(lam), np.abs(beta)
    for (A, b), (l, u) in zip(reversed(layers), reversed(bounds)):
        l, u = l[:, None, :], u[:, None, :]  # (B, 1, N)
        unstable = (l < 0) & (u > 0)
        active = (l >= 0).astype(np.float64)
        sU = np.where(unstable, u / np.where(unstable, u - l, 1.0), active)
        oU = np.where(unstable, -sU * l, 0.0)  # ρ(z) ≤ sU z + oU
        sL = np.where(unstable, (u > -l).astype(np.float64), active)  # ρ(z) ≥ sL z
        pos = lam > 0
        lam_z = np.where(pos, lam * sU, lam * sL)  # (B, K, N)
        beta = beta + np.where(pos, lam * oU, 0.0).sum(-1)
        beta_abs = beta_abs + (lam_abs * (np.abs(oU) + np.where(unstable, np.abs(l) + np.abs(u), 0.0))).sum(-1)
        lam_z_abs = lam_abs * np.maximum(sU, sL)
        beta = beta + lam_z @ b
        beta_abs = beta_abs + lam_z_abs @ np.abs(b)
        n_in = A.shape[1]  # one GEMM over all boxes and objectives
        lam = (lam_z.reshape(B * K, -1) @ A).reshape(B, K, n_in)
        lam_abs = (lam_z_abs.reshape(B * K, -1) @ np.abs(A)).reshape(B, K, n_in)
    beta = beta + (lam * m[:, None, :]).sum(-1)
    mag = beta_abs + (lam_abs * (np.abs(m) + r)[:, None, :]).sum(-1)
    return lam * r[:, None, :], beta, mag


def _backward_upper(layers: Layers, bounds, m: np.ndarray, r: np.ndarray, sign: float):
    """Affine upper bound of sign · R(Φ) on the boxes: returns (Λ_t (B, d), β (B,), mag (B,))."""
    B = m.shape[0]
    A_L, b_L = layers[-1]
    lam = np.broadcast_to(sign * A_L[0], (B, 1, A_L.shape[1])).copy()  # coefficient of h_{L-1}
    beta = np.full((B, 1), sign * b_L[0])
    lam_t, beta, mag = _backward(layers[:-1], bounds, m, r, lam, beta)
    return lam_t[:, 0], beta[:, 0], mag[:, 0]


class _Ball:
    """The ℓ2 ball B_2(x0, ε) in the coordinates t of its boxes x = m + r ⊙ t (m ± r ⊇ ball ∩ [0,1]^d):
    centre t0 = (x0 − m)/r and 1/r, both 0 where r = 0 (there x = m on the box: no freedom)."""

    def __init__(self, x0: np.ndarray, eps: float, m: np.ndarray, r: np.ndarray):
        self.x0, self.eps = x0, float(eps)
        pos = r > 0
        self.inv_r = np.where(pos, 1.0 / np.where(pos, r, 1.0), 0.0)
        self.t0 = (x0 - m) * self.inv_r

    def select(self, rows) -> "_Ball":
        out = _Ball.__new__(_Ball)
        out.x0, out.eps, out.inv_r, out.t0 = self.x0[rows], self.eps, self.inv_r[rows], self.t0[rows]
        return out


def _ball_upper(lam_t: np.ndarray, beta: np.ndarray, t0: np.ndarray, inv_r: np.ndarray, eps: float) -> np.ndarray:
    """max over x ∈ B_2(x0, ε) of the affine bound Λ_t·t + β, t = (x − m)/r, pushed outward.

    In x the bound is Λ_x·x + c with Λ_x = Λ_t/r; its maximum over the ball is attained at
    x0 + ε Λ_x/‖Λ_x‖₂ (Cauchy–Schwarz; Zhang et al. 2018, "CROWN", Theorem 3.2 with the dual
    norm q = 2 of p = 2): β + Λ_t·t0 + ε ‖Λ_t/r‖₂. Valid for the box's points of the ball, a
    superset of ball ∩ [0,1]^d, because the affine bound holds on the box.
    """
    centre = (lam_t * t0).sum(-1)
    dev = eps * np.sqrt(((lam_t * inv_r) ** 2).sum(-1))
    return beta + centre + dev + _REL * (np.abs(beta) + np.abs(lam_t * t0).sum(-1) + dev)


def _concretise_upper(lam_t: np.ndarray, beta: np.ndarray, mag: np.ndarray, ball: _Ball | None = None) -> np.ndarray:
    """max_{t ∈ [-1,1]^d} Λ_t·t + β, pushed outward; with ``ball`` the smaller of that and the
    maximum over the ball (:func:`_ball_upper`): both are sound on box ∩ ball."""
    box = beta + np.abs(lam_t).sum(-1) + _REL * (mag + np.abs(beta))
    if ball is None:
        return box
    t0, inv_r = (ball.t0, ball.inv_r) if lam_t.ndim == 2 else (ball.t0[:, None, :], ball.inv_r[:, None, :])
    return np.minimum(box, _ball_upper(lam_t, beta, t0, inv_r, ball.eps) + _REL * mag)


def _net_bounds(layers: Layers, m, r, method: str):
    bounds, (h_lo, h_hi) = _hidden_bounds(layers, m, r, method)
    A, b = layers[-1]
    if method == "ibp":
        mid, rad = 0.5 * (h_lo + h_hi), 0.5 * (h_hi - h_lo)
        z_mid, z_rad = mid @ A[0] + b[0], rad @ np.abs(A[0])
        slack = _REL * ((np.abs(mid) + rad) @ np.abs(A[0]) + abs(b[0]))
        return z_mid - z_rad - slack, z_mid + z_rad + slack, bounds
    up = _concretise_upper(*_backward_upper(layers, bounds, m, r, +1.0))
    lo = -_concretise_upper(*_backward_upper(layers, bounds, m, r, -1.0))
    return lo, up, bounds


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise InputError(f"`method` must be one of {', '.join(METHODS)}, got {method!r}")
    return method


def relu_bounds(net: ReLUNetwork, lo, hi, *, method: str = "crown") -> tuple[np.ndarray, np.ndarray]:
    """Sound (lower, upper), each (n,), with lower ≤ R(Φ)(x) ≤ upper for x in box [lo_k, hi_k].

    ``lo``, ``hi``: (n, d) arrays (or (d,) for one box). ``method``: "crown", "forward" or "ibp".
    """
    layers = require_dense(layers64(net, "net"), "net", _WHAT)
    m, r = _boxes(lo, hi, layers[0][0].shape[1])
    low, up, _ = _net_bounds(layers, m, r, _check_method(method))
    return low, up


def diff_bounds_layers(F: Layers, G: Layers, m: np.ndarray, r: np.ndarray, method: str = "crown"):
    """(lower, upper, split score (B, d)) of f − g on boxes m ± r; layers already validated."""
    if method == "ibp":
        lf, uf, _ = _net_bounds(F, m, r, "ibp")
        lg, ug, _ = _net_bounds(G, m, r, "ibp")
        return lf - ug, uf - lg, r.copy()
    bf, _ = _hidden_bounds(F, m, r, method)
    bg, _ = _hidden_bounds(G, m, r, method)
    lam_u = []
    ub_parts, lb_parts = [], []
    for sign, parts in ((+1.0, ub_parts), (-1.0, lb_parts)):
        lf, betaf, magf = _backward_upper(F, bf, m, r, sign)
        lg, betag, magg = _backward_upper(G, bg, m, r, -sign)
        lam = lf + lg  # the difference network's coefficients: shared parts cancel here
        parts.append(_concretise_upper(lam, betaf + betag, magf + magg))
        lam_u.append(lam)
    upper, lower = ub_parts[0], -lb_parts[0]
    # split where the active side of |f − g| varies most (|Λ_t,i| already scales with r_i)
    score = np.where((upper >= -lower)[:, None], np.abs(lam_u[0]), np.abs(lam_u[1])) + 1e-3 * r
    return lower, upper, score


def difference_bounds(f: ReLUNetwork, g: ReLUNetwork, lo, hi, *, method: str = "crown"):
    """Sound (lower, upper), each (n,), with lower ≤ f(x) − g(x) ≤ upper on each box [lo_k, hi_k]."""
    F, G = (require_dense(layers64(n, k), k, _WHAT) for n, k in ((f, "f"), (g, "g")))
    d = check_pair(F, G)
    m, r = _boxes(lo, hi, d)
    lower, upper, _ = diff_bounds_layers(F, G, m, r, _check_method(method))
    return lower, upper


# -- classifiers: margins of several outputs ---------------------------------------------------
MARGIN_METHODS = ("crown", "crown-ibp", "ibp")
# forward-mode hidden bounds hold (N, B, d + 1) affine coefficients: beyond this d they cost
# more memory and time than they gain, and "auto" switches to IBP hidden bounds (CROWN-IBP)
_FORWARD_MAX_D = 64


def margin_bounds(
    net: ReLUNetwork, lo, hi, y, *, method: str = "auto", chunk: int = 256, ball: tuple | None = None
) -> np.ndarray:
    """Sound lower bounds, (n,), of the margin min_{j≠y_k} (f_{y_k}(x) − f_j(x)) over the boxes
    x ∈ [lo_k, hi_k] of a classifier f = R(Φ) with C ≥ 2 outputs (logits).

    ``ball = (x0, eps)``, x0 (n, d): the set is [lo_k, hi_k] ∩ B_2(x0_k, ε) instead (pass the box
    [max(x0 − ε, 0), min(x0 + ε, 1)] around it). Every linear bound a·x + c is then also minimised
    exactly over the ℓ2 ball, at a·x0 + c − ε‖a‖₂ (Zhang et al. 2018, "Efficient neural network
    robustness certification with general activation functions" (CROWN), Theorem 3.2 with q = 2),
    and the tighter of the ball and box values kept; the final bound is the larger of this and
    the box-only bound (both sound; the adaptive relaxations are not monotone in their inputs), so
    it is never looser than the box alone (the cost: two passes).

    A bound > 0 certifies that every x in the box is classified y_k (docs/robust.md §6.3: the
    certified side of the sandwich). For each j the objective (A_L[j] − A_L[y]) h_{L−1} +
    b_L[j] − b_L[y] is bounded above by interval arithmetic on h_{L−1} and by one backward
    pass with the CROWN relaxations (Zhang et al. 2018) through the hidden layers, the
    smaller bound kept. Hidden pre-activation bounds: ``"crown"`` as in :func:`relu_bounds`
    (forward mode and backward passes, cheap for small d), ``"crown-ibp"`` interval bounds (Zhang et al. 2020),
    ``"ibp"`` interval bounds and no backward pass; ``"auto"``: crown for d ≤ 64, else crown-ibp.
    """
    layers = require_dense(layers64(net, "net", scalar=False), "net", "margin_bounds")
    d, C = layers[0][0].shape[1], layers[-1][0].shape[0]
    if method == "auto":
        method = "crown" if d <= _FORWARD_MAX_D else "crown-ibp"
    if method not in MARGIN_METHODS:
        raise InputError(f"`method` must be one of auto, {', '.join(MARGIN_METHODS)}, got {method!r}")
    m, r = _boxes(lo, hi, d)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    if y.shape[0] != m.shape[0] or C < 2 or y.min(initial=0) < 0 or y.max(initial=0) >= C:
        raise InputError(f"`y` must hold {m.shape[0]} class ids in 0..{C - 1} (C = {C} >= 2 outputs), got shape {y.shape}")
    full = None
    if ball is not None:
        x0, eps = np.atleast_2d(np.asarray(ball[0], dtype=np.float64)), float(ball[1])
        if x0.shape != m.shape or not (eps >= 0 and np.isfinite(eps)):
            raise InputError(f"`ball` must be (x0, eps) with x0 of shape {m.shape} and eps >= 0, got shape {x0.shape} "
                             f"and eps {eps} (e.g. ball=(x, 0.5))")
        full = _Ball(x0, eps, m, r)
    out = np.empty(m.shape[0])
    for s in range(0, m.shape[0], chunk):
        sl = slice(s, s + chunk)
        out[sl] = _margin_lower(layers, m[sl], r[sl], y[sl], method)
        if full is not None:
            # the relaxations adapt to the bounds (slopes, which neurons get backward passes), so the
            # ball run is not monotonically tighter: both are sound, the larger lower bound is kept
            out[sl] = np.maximum(out[sl], _margin_lower(layers, m[sl], r[sl], y[sl], method, full.select(sl)))
    return out


def _margin_lower(layers: Layers, m: np.ndarray, r: np.ndarray, y: np.ndarray, method: str, ball: _Ball | None = None) -> np.ndarray:
    bounds, (h_lo, h_hi) = _hidden_bounds(layers, m, r, "crown" if method == "crown" else "ibp", ball)
    A, b = layers[-1]
    lam = A[None, :, :] - A[y][:, None, :]  # (B, C, N_{L-1}): objective f_j − f_y
    beta = b[None, :] - b[y][:, None]  # (B, C)
    mid, rad = 0.5 * (h_lo + h_hi), 0.5 * (h_hi - h_lo)  # (B, N)
    up = (
        np.einsum("bcn,bn->bc", lam, mid) + np.einsum("bcn,bn->bc", np.abs(lam), rad) + beta
        + _REL * (np.einsum("bcn,bn->bc", np.abs(lam), np.abs(mid) + rad) + np.abs(beta))
    )
    if method != "ibp":
        up = np.minimum(up, _concretise_upper(*_backward(layers[:-1], bounds, m, r, lam, beta), ball=ball))
    up[np.arange(y.size), y] = -np.inf
    return -up.max(1)
