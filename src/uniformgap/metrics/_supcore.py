"""Shared pieces of the sup-error metrics: domain validation and float64 evaluation.

Convention (docs/theory.md §1, docs/architecture.md): a network R(Φ) is evaluated on a box
Ω = [lo_1, hi_1] × ... × [lo_d, hi_d]; a scalar pair (lo, hi) means the cube [lo, hi]^d
(the experiments' default is [-1/2, 1/2]^d). All sup-error computations run in float64
on a copy of the coefficients, whatever dtype the network was trained in.
"""

from __future__ import annotations

import math

import numpy as np

from .._errors import InputError
import scipy.sparse as sp

from ..networks import ReLUNetwork, SparseReLUNetwork

# A_ℓ is a dense (N_ℓ, N_{ℓ-1}) array or, for a SparseReLUNetwork, a scipy CSR matrix
Layers = list[tuple[np.ndarray | sp.csr_matrix, np.ndarray]]


def layers64(net: ReLUNetwork | SparseReLUNetwork, name: str = "network", *, scalar: bool = True) -> Layers:
    """The coefficients ((A_ℓ, b_ℓ))_ℓ in float64 (numpy, or scipy CSR for a sparse network,
    never densified); with ``scalar`` the output must be scalar (regression), otherwise any
    number of outputs (classifier logits)."""
    if isinstance(net, SparseReLUNetwork):
        layers = [(W, b) for W, b in net.sparse_layers]
    elif isinstance(net, ReLUNetwork):
        layers = [(A.double().cpu().numpy().copy(), b.double().cpu().numpy().copy()) for A, b in net.layers]
    else:
        raise InputError(
            f"`{name}` must be a uniformgap.networks.ReLUNetwork or SparseReLUNetwork, got {type(net).__name__}"
        )
    if scalar and layers[-1][0].shape[0] != 1:
        raise InputError(f"`{name}` must have output dimension 1, got {layers[-1][0].shape[0]}")
    return layers


def require_dense(layers: Layers, name: str, what: str) -> Layers:
    """``layers`` unchanged, or an InputError when they are sparse (``what`` needs dense weights)."""
    if any(sp.issparse(A) for A, _ in layers):
        raise InputError(
            f"`{name}` is a sparse network: {what} needs dense weight matrices and is not available for it "
            "(use the Monte-Carlo or exact 1-D metrics, or SparseReLUNetwork.to_dense() for a small network)"
        )
    return layers


def times_t(h: np.ndarray, A: np.ndarray | sp.csr_matrix) -> np.ndarray:
    """h Aᵀ for h (n, N_{ℓ-1}): a dense product, or sparse-times-dense for a CSR A."""
    return np.asarray((A @ h.T).T) if sp.issparse(A) else h @ A.T


def times(g: np.ndarray, A: np.ndarray | sp.csr_matrix) -> np.ndarray:
    """g A for g (n, N_ℓ) (backpropagation through a layer), sparse-aware."""
    return np.asarray((A.T @ g.T).T) if sp.issparse(A) else g @ A


def forward64(layers: Layers, x: np.ndarray, *, scalar: bool = True) -> np.ndarray:
    """R(Φ)(x) for x of shape (n, d) → (n,) (``scalar``) or all outputs (n, N_L), in float64
    numpy (ReLU between layers only)."""
    h = x
    for ell, (A, b) in enumerate(layers):
        h = times_t(h, A) + b
        if ell < len(layers) - 1:
            np.maximum(h, 0.0, out=h)
    return h[:, 0] if scalar else h


def check_pair(F: Layers, G: Layers, names: tuple[str, str] = ("f", "g")) -> int:
    """The common input dimension d of two networks (an InputError if they differ)."""
    d_f, d_g = F[0][0].shape[1], G[0][0].shape[1]
    if d_f != d_g:
        raise InputError(
            f"networks must have the same input dimension, got d={d_f} ({names[0]}) and d={d_g} ({names[1]})"
        )
    return d_f


def check_positive(name: str, value) -> float:
    """A finite number > 0 (tolerances, time budgets)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and v > 0):
        raise InputError(f"`{name}` must be a number > 0, got {value!r}")
    return v
