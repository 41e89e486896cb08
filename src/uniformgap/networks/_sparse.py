"""ReLU networks with sparse weight matrices, evaluated without ever densifying a layer.

The same function as :class:`ReLUNetwork` (THEORY.md §1, docs/robust.md §1),

    R(Φ)(x) = W_L ρ(··· ρ(W_1 x + b_1) ···) + b_L,   ρ(z) = max(z, 0),

with each W_ℓ ∈ R^{n_ℓ × n_{ℓ-1}} held as a ``scipy.sparse`` CSR matrix (float64). The
constructions of docs/robust.md §3–§5 have Σ nnz(W_ℓ) = O(Nd) non-zeros while their dense
shapes reach 10^16 entries, so a dense ``nn.Linear`` cannot hold them.

Evaluation multiplies W_ℓ (CSR) by the activations (held column-major, (n_ℓ, n)); the input gradient (for attacks)
multiplies by W_ℓᵀ. Both are sparse-times-dense products (scipy; torch's own sparse
kernels were ~5x slower on CPU when measured side by side). The module computes in float64 on
the CPU; inputs of another dtype/device are converted and the output is returned on theirs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor, nn

from .._errors import InputError


class _SparseAffineT(torch.autograd.Function):
    """hᵀ ↦ W hᵀ + b for a fixed CSR matrix W, on column-major activations hᵀ (n_{ℓ-1}, n).

    scipy's CSR product is several times faster on a C-contiguous dense right factor than on a
    transposed view, so activations are kept as (width, n). Gradient w.r.t. hᵀ only: Wᵀ g.
    """

    @staticmethod
    def forward(ctx, hT: Tensor, W: sp.csr_matrix, b: np.ndarray) -> Tensor:  # type: ignore[override]
        ctx.W = W
        out = W @ np.ascontiguousarray(hT.detach().numpy())  # (n_ℓ, n)
        out += b[:, None]
        return torch.from_numpy(out)

    @staticmethod
    def backward(ctx, g: Tensor):  # type: ignore[override]
        grad = ctx.W.T @ np.ascontiguousarray(g.detach().numpy())  # (n_{ℓ-1}, n)
        return torch.from_numpy(np.ascontiguousarray(grad)), None, None


class SparseReLUNetwork(nn.Module):
    """R(Φ) with sparse W_ℓ; input (n, d) → output (n, n_L) (n_L = C outputs for classifiers).

    ``layers``: pairs (W_ℓ, b_ℓ); W_ℓ may be any scipy.sparse matrix, a dense numpy array or a
    torch tensor (dense or sparse); stored as float64 CSR with explicit zeros removed.
    Sizes: :attr:`nnz_weights` = Σ nnz(W_ℓ) (the paper's "size", docs/robust.md §1),
    :attr:`nnz_biases`, :attr:`dense_weights` = Σ n_{ℓ-1} n_ℓ and :attr:`n_params` =
    Σ (n_{ℓ-1} + 1) n_ℓ (the dense parameter count, as for :class:`ReLUNetwork`).
    """

    def __init__(self, layers: Sequence[tuple[object, object]]):
        super().__init__()
        if len(layers) < 1:
            raise InputError("`layers` must hold at least one (weight, bias) pair, got none")
        weights: list[sp.csr_matrix] = []
        biases: list[np.ndarray] = []
        for ell, (W, b) in enumerate(layers, start=1):
            W, b = _as_csr(W), _as_vector(b)
            if b.ndim != 1 or b.shape[0] != W.shape[0]:
                raise InputError(
                    f"layer {ell}: weight must be (N_l, N_l-1) and bias (N_l,), got "
                    f"{tuple(W.shape)} and {tuple(b.shape)}"
                )
            if weights and W.shape[1] != weights[-1].shape[0]:
                raise InputError(
                    f"layer {ell}: weight has {W.shape[1]} columns but layer {ell - 1} "
                    f"has {weights[-1].shape[0]} outputs"
                )
            weights.append(W)
            biases.append(b)
        self._weights, self._biases = weights, biases

    # -- evaluation -----------------------------------------------------------------------
    def forward(self, x: Tensor) -> Tensor:
        x = torch.as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise InputError(f"input must have shape (n, {self.input_dim}), got {tuple(x.shape)}")
        hT = x.to("cpu", torch.float64).T  # (d, n); differentiable: attacks need ∇_x
        last = len(self._weights) - 1
        for ell, (W, b) in enumerate(zip(self._weights, self._biases)):
            hT = _SparseAffineT.apply(hT, W, b)
            if ell < last:
                hT = torch.relu(hT)
        return hT.T.contiguous().to(x.device, x.dtype if x.is_floating_point() else torch.float64)

    # -- structure ------------------------------------------------------------------------
    @property
    def sparse_layers(self) -> list[tuple[sp.csr_matrix, np.ndarray]]:
        """The coefficients as (W_ℓ CSR float64, b_ℓ numpy float64) pairs (shared, do not modify)."""
        return list(zip(self._weights, self._biases))

    @property
    def layers(self) -> list[tuple[Tensor, Tensor]]:
        """(W_ℓ as a torch sparse CSR tensor, b_ℓ) pairs (values and biases share memory with the network)."""
        return [
            (
                torch.sparse_csr_tensor(
                    torch.from_numpy(W.indptr.astype(np.int64)),
                    torch.from_numpy(W.indices.astype(np.int64)),
                    torch.from_numpy(W.data),
                    W.shape,
                ),
                torch.from_numpy(b),
            )
            for W, b in zip(self._weights, self._biases)
        ]

    @property
    def architecture(self) -> tuple[int, ...]:
        """a = (d, n_1, ..., n_L)."""
        return (self._weights[0].shape[1], *(W.shape[0] for W in self._weights))

    @property
    def depth(self) -> int:
        """L, the number of affine layers."""
        return len(self._weights)

    @property
    def input_dim(self) -> int:
        return self._weights[0].shape[1]

    @property
    def nnz_weights(self) -> int:
        """Σ_ℓ nnz(W_ℓ): the paper's size ("non-zero connections", docs/robust.md §1)."""
        return sum(int(W.nnz) for W in self._weights)

    @property
    def nnz_biases(self) -> int:
        """Σ_ℓ nnz(b_ℓ)."""
        return sum(int(np.count_nonzero(b)) for b in self._biases)

    @property
    def dense_weights(self) -> int:
        """Σ_ℓ n_{ℓ-1} n_ℓ: the entries a dense storage of the weights would need."""
        a = self.architecture
        return sum(a[i] * a[i + 1] for i in range(len(a) - 1))

    @property
    def n_params(self) -> int:
        """W = Σ_ℓ (n_{ℓ-1} + 1) n_ℓ, the dense parameter count (same meaning as ReLUNetwork)."""
        a = self.architecture
        return sum((a[i] + 1) * a[i + 1] for i in range(len(a) - 1))

    def coefficient_norm(self, q: float = math.inf) -> float:
        """‖Φ‖_q = max_ℓ max(‖W_ℓ‖_{ℓ^q}, ‖b_ℓ‖_{ℓ^q}), entrywise norms (zeros do not count)."""
        out = 0.0
        for W, b in zip(self._weights, self._biases):
            for v in (W.data, b):
                if v.size:
                    out = max(out, float(np.linalg.norm(v, ord=q)))
        return out

    @classmethod
    def from_dense(cls, net: nn.Module) -> "SparseReLUNetwork":
        """The sparse copy of a dense :class:`ReLUNetwork` (the same function)."""
        return cls([(A.detach().double().cpu().numpy(), b.detach().double().cpu().numpy()) for A, b in net.layers])

    def to_dense(self, max_entries: int = 10**8):
        """The dense :class:`ReLUNetwork` (refused when Σ n_{ℓ-1} n_ℓ > ``max_entries``)."""
        from ._relu import ReLUNetwork

        if self.dense_weights > max_entries:
            raise InputError(
                f"`max_entries` must be >= the dense size {self.dense_weights} of this sparse network "
                f"to densify it, got {max_entries}"
            )
        return ReLUNetwork(
            [(torch.from_numpy(W.toarray()), torch.from_numpy(b.copy())) for W, b in self.sparse_layers]
        )

    def extra_repr(self) -> str:
        return f"architecture={list(self.architecture)}, nnz_weights={self.nnz_weights}"


def _as_csr(W: object) -> sp.csr_matrix:
    if isinstance(W, Tensor):
        W = W.detach().to("cpu", torch.float64)
        W = W.to_dense().numpy() if W.layout != torch.strided else W.numpy()
    if sp.issparse(W):
        M = sp.csr_matrix(W, dtype=np.float64, copy=True)
    else:
        A = np.asarray(W, dtype=np.float64)
        if A.ndim != 2:
            raise InputError(f"a weight must be a 2-D matrix (N_l, N_l-1), got shape {A.shape}")
        M = sp.csr_matrix(A)
    M.eliminate_zeros()
    M.sum_duplicates()
    M.sort_indices()
    return M


def _as_vector(b: object) -> np.ndarray:
    if isinstance(b, Tensor):
        b = b.detach().to("cpu", torch.float64).numpy()
    return np.array(b, dtype=np.float64)
