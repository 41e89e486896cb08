"""On-manifold robustness (Li et al., arXiv:2205.13863, Def 5.4; docs/robust.md §5.2, §6.4 E3): the
Theorem 4.3 instance in k intrinsic dimensions embedded into R^d, attacked ON the manifold.

An embedding E: [0,1]^k → M ⊂ [0,1]^d maps intrinsic coordinates u to ambient points x = E(u):

- ``linear`` (M_lin, §5.2 (a)): E(u) = ½·1 + s·U(u − ½·1), U ∈ R^{d×k} orthonormal columns; U = [e_1..e_k]
  with s = 1 (an ℓ∞ isometry: intrinsic and ambient ℓ∞ distances agree) or, ``rotate``, Haar-random U with
  s = 1/√k (‖sU(u−½)‖∞ ≤ s‖u−½‖₂ ≤ ½; ambient ℓ2 distance = s × intrinsic ℓ2 distance);
- ``torus`` (M_tor, §5.2 (b)): E(u) = ½·1 + Vψ(2πu), ψ(θ) = r(cos θ_1, sin θ_1, …, cos θ_k, sin θ_k),
  V ∈ R^{d×2k} = [e_1..e_2k] or Haar-random (``rotate``, needs r√k ≤ ½), r = 1/(2π): every pair
  (cos, sin) is 2πr = 1-Lipschitz, so ‖E(u') − E(u)‖_p ≤ ‖u' − u‖_p for p = ∞ (V = I) and p = 2.

The on-manifold attack is PGD in the intrinsic coordinates through the differentiable embedding: the
classifier f on R^d is attacked as f∘E on [0,1]^k within B_p(u, δ) ∩ [0,1]^k (the very PGD of
``_adversarial``), so every iterate x' = E(u') lies on M. :class:`OnManifold` is f∘E; training
(``train_classifier(..., embedding=E)``) and evaluation use it alike. The threat set
{E(u'): ‖u' − u‖_p ≤ δ} is contained in Def 5.4's {x' ∈ M: ‖x' − x‖_p ≤ δ} (E is non-expansive), with
equality for the axis-aligned linear embedding: its verified witnesses are Def 5.4 witnesses, so the
attacked error is a lower bound on L^{p,δ}_{M,P} (:func:`ambient_distances` re-checks ‖x' − x‖_p ≤ δ).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .._errors import InputError
from ..networks import ReLUNetwork
from ._instances import _orthonormal

KINDS = ("linear", "torus")
TORUS_R = 1 / (2 * math.pi)  # 2πr = 1: the torus chart is 1-Lipschitz per (cos, sin) pair


class Embedding(nn.Module):
    """E: intrinsic u (n, k) ∈ [0,1]^k → ambient x (n, d) ∈ M ⊂ [0,1]^d; no trainable parameters."""

    def __init__(self, kind: str, k: int, d: int, *, rotate: bool = False, seed: int = 0):
        super().__init__()
        if kind not in KINDS:
            raise InputError(f"`manifold` must be 'linear' or 'torus', got {kind!r} (e.g. manifold: linear)")
        m = k if kind == "linear" else 2 * k
        if d < m:
            raise InputError(f"`d` must be >= {m} for the {kind} embedding of k = {k}, got {d} (e.g. d: {m})")
        if kind == "torus" and rotate and TORUS_R * math.sqrt(k) > 0.5:
            raise InputError(f"`k` must be <= 9 for a rotated torus (r*sqrt(k) <= 1/2), got {k} (e.g. rotate: false)")
        self.kind, self.k, self.d, self.rotate = kind, k, d, rotate
        self.scale = 1 / math.sqrt(k) if (kind == "linear" and rotate) else 1.0
        self.register_buffer("basis", torch.as_tensor(_orthonormal(d, m, rotate, np.random.default_rng([seed, 1]))))  # U or V, (d, m) float64

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        B = self.basis.to(u.dtype)
        if self.kind == "linear":
            return 0.5 + self.scale * (u - 0.5) @ B.T
        theta = 2 * math.pi * u
        psi = torch.stack([torch.cos(theta), torch.sin(theta)], dim=-1).flatten(-2) * TORUS_R
        return 0.5 + psi @ B.T

    def embed(self, u: np.ndarray) -> np.ndarray:
        """E(u) in float64 numpy."""
        with torch.no_grad():
            return self(torch.as_tensor(np.asarray(u, dtype=np.float64))).numpy()

    def affine(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(A, b) with E(u) = A u + b for the linear embedding, None for the torus."""
        if self.kind != "linear":
            return None
        A = self.scale * self.basis.numpy()
        return A, 0.5 - A @ np.full(self.k, 0.5)

    @property
    def span_dim(self) -> int:
        """m: M lies in ½·1 + span(basis), m = k (linear) or 2k (torus)."""
        return self.basis.shape[1]


class OnManifold(nn.Module):
    """f∘E: the classifier ``net`` on R^d read in intrinsic coordinates (Def 5.4's adversary on M)."""

    def __init__(self, embedding: Embedding, net: nn.Module):
        super().__init__()
        self.embedding, self.net = embedding, net

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.net(self.embedding(u))

    def folded(self) -> ReLUNetwork | None:
        """f∘E as one ReLUNetwork on [0,1]^k when E is affine (first layer W ↦ WA, b ↦ b + W b_E), else None:
        the same function, so bound propagation certifies it on intrinsic boxes."""
        aff = self.embedding.affine()
        if aff is None or not isinstance(self.net, ReLUNetwork):
            return None
        A, b = aff
        layers = [(W.detach().to(torch.float64), c.detach().to(torch.float64)) for W, c in self.net.layers]
        W0, c0 = layers[0]
        layers[0] = (W0 @ torch.as_tensor(A), c0 + W0 @ torch.as_tensor(b))
        return ReLUNetwork(layers)


def evaluation_model(model: nn.Module) -> nn.Module:
    """The model whose robustness is evaluated: f∘E folded into one ReLUNetwork where E is affine
    (certificates then apply), else the model itself (the torus: attack only, no certificate)."""
    if isinstance(model, OnManifold):
        folded = model.folded()
        return folded if folded is not None else model
    return model


def ambient_distances(embedding: Embedding, u: np.ndarray, u_adv: np.ndarray, norm: str) -> np.ndarray:
    """‖E(u') − E(u)‖_p per row (float64): Def 5.4 asks ≤ δ of an on-manifold witness E(u')."""
    diff = embedding.embed(u_adv) - embedding.embed(u)
    return np.abs(diff).max(1) if norm == "inf" else np.linalg.norm(diff, axis=1)
