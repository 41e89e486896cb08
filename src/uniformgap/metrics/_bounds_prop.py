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


def _hidden_bounds(layers: Layers, m: np.ndarray, r: np.ndarray, method: str):
    """Pre-activation bounds (l, u), each (B, N_ℓ), of the hidden layers ℓ = 1..L-1.

    Neuron-major layout inside ((N, B), (N, B, d + 1)) so each layer is one GEMM.
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
                up = _concretise_upper(*_backward(layers[:i], prev, ms, rs, lam.copy(), bb.copy()))
                lo = -_concretise_upper(*_backward(layers[:i], prev, ms, rs, -lam, -bb))
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


def _concretise_upper(lam_t: np.ndarray, beta: np.ndarray, mag: np.ndarray) -> np.ndarray:
    """max_{t ∈ [-1,1]^d} Λ_t·t + β, pushed outward."""
    return beta + np.abs(lam_t).sum(-1) + _REL * (mag + np.abs(beta))


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
