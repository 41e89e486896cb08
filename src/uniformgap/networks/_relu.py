"""Fully connected ReLU networks R(Φ) as plain torch modules.

arXiv:2205.13531, Section 2 / THEORY.md §1: an architecture a = (d, N_1, ..., N_{L-1}, 1)
with L affine layers, Φ = ((A_ℓ, b_ℓ))_{ℓ≤L}, A_ℓ ∈ R^{N_ℓ × N_{ℓ-1}}, and

    R(Φ)(x) = A_L ρ(··· ρ(A_1 x + b_1) ···) + b_L,   ρ(z) = max(z, 0),

ReLU between layers, none after the last. The module is an ``nn.Sequential`` of
``nn.Linear`` and ``nn.ReLU`` so that anything torch can do with a Sequential works.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from .._errors import InputError


class ReLUNetwork(nn.Sequential):
    """R(Φ) for Φ = ((A_1, b_1), ..., (A_L, b_L)); input (n, d) → output (n, N_L)
    (N_L = 1 for regression, C for a classifier with C outputs)."""

    def __init__(self, layers: Sequence[tuple[Tensor, Tensor]]):
        if len(layers) < 1:
            raise InputError("`layers` must hold at least one (weight, bias) pair, got none")
        modules: list[nn.Module] = []
        for ell, (A, b) in enumerate(layers, start=1):
            A, b = torch.as_tensor(A), torch.as_tensor(b)
            if A.ndim != 2 or b.ndim != 1 or b.shape[0] != A.shape[0]:
                raise InputError(
                    f"layer {ell}: weight must be (N_l, N_l-1) and bias (N_l,), got "
                    f"{tuple(A.shape)} and {tuple(b.shape)}"
                )
            if modules and A.shape[1] != modules[-2].out_features:
                raise InputError(
                    f"layer {ell}: weight has {A.shape[1]} columns but layer {ell - 1} "
                    f"has {modules[-2].out_features} outputs"
                )
            linear = nn.Linear(A.shape[1], A.shape[0], dtype=A.dtype, device=A.device)
            with torch.no_grad():
                linear.weight.copy_(A)
                linear.bias.copy_(b.to(A.dtype))
            modules += [linear, nn.ReLU()]
        super().__init__(*modules[:-1])  # no activation after the last affine layer

    @property
    def linears(self) -> list[nn.Linear]:
        return [m for m in self if isinstance(m, nn.Linear)]

    @property
    def layers(self) -> list[tuple[Tensor, Tensor]]:
        """The coefficients Φ as detached (A_ℓ, b_ℓ) pairs."""
        return [(m.weight.detach(), m.bias.detach()) for m in self.linears]

    @property
    def architecture(self) -> tuple[int, ...]:
        """a = (d, N_1, ..., N_{L-1}, N_L)."""
        lin = self.linears
        return (lin[0].in_features, *(m.out_features for m in lin))

    @property
    def depth(self) -> int:
        """L, the number of affine layers."""
        return len(self.linears)

    @property
    def input_dim(self) -> int:
        return self.linears[0].in_features

    @property
    def n_params(self) -> int:
        """W = Σ_ℓ (N_{ℓ-1} + 1) N_ℓ."""
        return sum(p.numel() for p in self.parameters())

    @property
    def nnz_weights(self) -> int:
        """Σ_ℓ nnz(A_ℓ): non-zero connections (the size of docs/robust.md §1)."""
        return sum(int(torch.count_nonzero(m.weight)) for m in self.linears)

    @property
    def nnz_biases(self) -> int:
        """Σ_ℓ nnz(b_ℓ)."""
        return sum(int(torch.count_nonzero(m.bias)) for m in self.linears)

    @property
    def dense_weights(self) -> int:
        """Σ_ℓ N_{ℓ-1} N_ℓ."""
        return sum(m.weight.numel() for m in self.linears)

    def coefficient_norm(self, q: float = math.inf) -> float:
        """‖Φ‖_q = max_ℓ max(‖A_ℓ‖_{ℓ^q}, ‖b_ℓ‖_{ℓ^q}), entrywise norms (THEORY.md §1)."""
        return max(
            max(_entrywise_norm(A, q), _entrywise_norm(b, q)) for A, b in self.layers
        )

    @classmethod
    def from_arrays(cls, layers, dtype: torch.dtype = torch.float64) -> "ReLUNetwork":
        """Build from nested lists / numpy arrays of (weight, bias)."""
        return cls([(torch.as_tensor(A, dtype=dtype), torch.as_tensor(b, dtype=dtype)) for A, b in layers])


def _entrywise_norm(t: Tensor, q: float) -> float:
    flat = t.detach().reshape(-1).to(torch.float64)
    if flat.numel() == 0:
        return 0.0
    return float(torch.linalg.vector_norm(flat, ord=q))
