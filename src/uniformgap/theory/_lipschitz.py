"""Lipschitz bounds of a given network, from its weights.

THEORY.md §5 (arXiv:2205.13531, Lemmas B.1/B.2). ρ is 1-Lipschitz coordinatewise, hence
non-expansive in every monotone norm (ℓ², ℓ^∞), so for R(Φ)(x) = A_L ρ(··· ρ(A_1 x + b_1) ···) + b_L

    sup_{x ≠ x'} |R(Φ)(x) − R(Φ)(x')| / ‖x − x'‖ ≤ Π_{ℓ=1}^{L} ‖A_ℓ‖_{op},

with the operator norm ‖A‖_{2→2} (largest singular value) for ``norm=2`` and
‖A‖_{∞→∞} = max_j Σ_k |A[j, k]| (largest absolute row sum) for ``norm=inf`` (inputs in
‖·‖_∞; the scalar output in |·|). The class bounds of Lemma B.2 (NetworkClass.log10_lip2,
log10_lip_inf) bound these products over all of H^q_{a,c}; this is the bound of one network
and is never larger.
"""

from __future__ import annotations

import math

import torch

from .._errors import InputError
from ..networks import ReLUNetwork


def _norm_arg(norm: object) -> float:
    if isinstance(norm, str) and norm.strip().lower() in ("inf", "infinity"):
        return math.inf
    if isinstance(norm, (int, float)) and not isinstance(norm, bool) and norm in (2, math.inf):
        return float(norm)
    raise InputError(f"`norm` must be 2 or inf (math.inf or 'inf'), got {norm!r}")


def layer_operator_norms(net: ReLUNetwork, norm: float | str = 2) -> list[float]:
    """‖A_ℓ‖_{2→2} (``norm=2``) or ‖A_ℓ‖_{∞→∞} (``norm=inf``) for ℓ = 1..L."""
    from ..networks import SparseReLUNetwork

    if isinstance(net, SparseReLUNetwork):
        return _sparse_operator_norms(net, _norm_arg(norm))
    if not isinstance(net, ReLUNetwork):
        raise InputError(f"`net` must be a ReLUNetwork or SparseReLUNetwork, got {type(net).__name__}")
    p = _norm_arg(norm)
    ops = []
    for A, _ in net.layers:
        A = A.to(torch.float64)
        if p == 2:
            ops.append(float(torch.linalg.matrix_norm(A, ord=2)))  # largest singular value
        else:
            ops.append(float(A.abs().sum(dim=1).max()))  # largest absolute row sum
    return ops


def _sparse_operator_norms(net, p: float) -> list[float]:
    """The same norms on CSR weights, never densified (largest singular value by ARPACK)."""
    import numpy as np
    from scipy.sparse.linalg import svds

    ops = []
    for W, _ in net.sparse_layers:
        if W.nnz == 0:
            ops.append(0.0)
        elif p == math.inf:
            ops.append(float(np.asarray(abs(W).sum(axis=1)).max()))
        elif min(W.shape) <= 2:  # svds needs k < min(shape)
            ops.append(float(np.linalg.norm(W.toarray(), ord=2)))
        else:
            ops.append(float(svds(W, k=1, return_singular_vectors=False, random_state=0)[0]))
    return ops


def log10_lipschitz_bound(net: ReLUNetwork, norm: float | str = 2) -> float:
    """log10 of :func:`lipschitz_bound`, finite even where the product overflows float64
    (-inf when some layer is zero)."""
    ops = layer_operator_norms(net, norm)
    if min(ops) == 0.0:
        return -math.inf
    return math.fsum(math.log10(op) for op in ops)


def lipschitz_bound(net: ReLUNetwork, norm: float | str = 2) -> float:
    """Upper bound Π_ℓ ‖A_ℓ‖_{op} of sup |f(x) − f(x')| / ‖x − x'‖ for f = R(Φ) on R^d.

    ``norm=2``: spectral norms, Lipschitz w.r.t. ‖·‖₂; ``norm=inf``: absolute row sums,
    Lipschitz w.r.t. ‖·‖_∞ (THEORY.md §5, Lemma B.2). Returns ``inf`` if the product
    overflows float64 (then use :func:`log10_lipschitz_bound`).
    """
    return math.prod(layer_operator_norms(net, norm))
