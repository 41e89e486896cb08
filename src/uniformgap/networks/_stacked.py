"""K ReLU networks of one architecture, stored stacked and evaluated with batched matmuls.

For an architecture a = (d, N_1, ..., N_L) and K coefficient tuples Φ^(k) = ((A_ℓ^(k), b_ℓ^(k)))_ℓ
(arXiv:2205.13531, Section 2; docs/theory.md §1) the stack holds

    weights[ℓ-1]: (K, N_ℓ, N_{ℓ-1}),   biases[ℓ-1]: (K, N_ℓ),

and evaluates all realisations R(Φ^(k))(x) = A_L ρ(··· ρ(A_1 x + b_1) ···) + b_L at once with
``torch.baddbmm`` — one kernel per layer instead of K. This is the evaluation engine behind the
gradient ensembles (:mod:`uniformgap.learners`) and the Monte-Carlo metrics.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from .._errors import InputError
from ._relu import ReLUNetwork

# Activations per evaluation chunk (K · n · N entries). On CPU a chunk that stays in cache was
# measured ~2.5x faster than 2^16-point chunks (K=40, N=32: ~800 points); accelerators want big
# kernels, so there the budget only bounds memory (2^25 float64 = 256 MiB per activation).
CHUNK_ELEMENTS = {"cpu": 2**20, "other": 2**25}


class StackedReLU:
    """K networks of one architecture; ``__call__`` maps (n, d) or (K, n, d) to (K, n)."""

    def __init__(self, weights: Sequence[Tensor], biases: Sequence[Tensor]):
        if len(weights) < 1 or len(weights) != len(biases):
            raise InputError(
                f"`weights` and `biases` must be non-empty lists of equal length, got "
                f"{len(weights)} and {len(biases)}"
            )
        K = weights[0].shape[0]
        for ell, (W, b) in enumerate(zip(weights, biases), start=1):
            if W.ndim != 3 or b.ndim != 2 or W.shape[0] != K or b.shape != W.shape[:2]:
                raise InputError(
                    f"layer {ell}: weight must be (K, N_l, N_l-1) and bias (K, N_l) with K={K}, got "
                    f"{tuple(W.shape)} and {tuple(b.shape)}"
                )
            if ell > 1 and W.shape[2] != weights[ell - 2].shape[1]:
                raise InputError(
                    f"layer {ell}: weight has {W.shape[2]} columns but layer {ell - 1} has "
                    f"{weights[ell - 2].shape[1]} outputs"
                )
        if weights[-1].shape[1] != 1:
            raise InputError(f"the last layer must have 1 output, got {weights[-1].shape[1]}")
        self.weights: list[Tensor] = list(weights)
        self.biases: list[Tensor] = list(biases)

    @property
    def K(self) -> int:
        """The number of stacked networks."""
        return self.weights[0].shape[0]

    @property
    def architecture(self) -> tuple[int, ...]:
        """a = (d, N_1, ..., N_L), shared by all K networks."""
        return (self.weights[0].shape[2], *(W.shape[1] for W in self.weights))

    @property
    def depth(self) -> int:
        """L, the number of affine layers."""
        return len(self.weights)

    @property
    def dtype(self) -> torch.dtype:
        return self.weights[0].dtype

    @property
    def device(self) -> torch.device:
        return self.weights[0].device

    @classmethod
    def from_networks(cls, nets: Sequence[ReLUNetwork]) -> "StackedReLU":
        """Stack networks that share one architecture (their coefficients are copied)."""
        if len(nets) < 1:
            raise InputError("`nets` must hold at least one ReLUNetwork, got none")
        arch = nets[0].architecture
        for k, net in enumerate(nets):
            if net.architecture != arch:
                raise InputError(
                    f"`nets` must share one architecture, got {arch} for net 0 and "
                    f"{net.architecture} for net {k}"
                )
        layers = [net.layers for net in nets]
        weights = [torch.stack([ls[i][0] for ls in layers]) for i in range(len(arch) - 1)]
        biases = [torch.stack([ls[i][1] for ls in layers]) for i in range(len(arch) - 1)]
        return cls(weights, biases)

    def to_networks(self) -> list[ReLUNetwork]:
        """The K networks as independent :class:`ReLUNetwork` objects (copies)."""
        return [
            ReLUNetwork([(W[k].detach().clone(), b[k].detach().clone()) for W, b in zip(self.weights, self.biases)])
            for k in range(self.K)
        ]

    def tensors(self) -> dict[str, Tensor]:
        """Flat name → tensor dict (``weight_<ℓ>`` (K, N_ℓ, N_{ℓ-1}), ``bias_<ℓ>`` (K, N_ℓ), ℓ = 1..L).

        Contiguous, non-aliased copies, so it can be passed to ``safetensors.torch.save_file``.
        """
        out: dict[str, Tensor] = {}
        for ell, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            out[f"weight_{ell}"] = W.detach().contiguous().clone()
            out[f"bias_{ell}"] = b.detach().contiguous().clone()
        return out

    @classmethod
    def from_tensors(cls, tensors: dict[str, Tensor]) -> "StackedReLU":
        """Inverse of :meth:`tensors`."""
        L = sum(1 for name in tensors if name.startswith("weight_"))
        try:
            weights = [tensors[f"weight_{ell}"] for ell in range(1, L + 1)]
            biases = [tensors[f"bias_{ell}"] for ell in range(1, L + 1)]
        except KeyError as exc:
            raise InputError(
                f"`tensors` must hold weight_1..weight_L and bias_1..bias_L, missing {exc.args[0]!r}"
            ) from None
        return cls(weights, biases)

    def to(self, device=None, dtype=None) -> "StackedReLU":
        """A copy on ``device`` / in ``dtype`` (like ``Tensor.to``)."""
        return StackedReLU(
            [W.to(device=device, dtype=dtype) for W in self.weights],
            [b.to(device=device, dtype=dtype) for b in self.biases],
        )

    def chunk_points(self) -> int:
        """Points per internal evaluation chunk: about ``CHUNK_ELEMENTS[device]`` activations K·n·N."""
        budget = CHUNK_ELEMENTS.get(self.device.type, CHUNK_ELEMENTS["other"])
        return max(64, budget // (self.K * max(self.architecture)))

    def __call__(self, x: Tensor, *, chunk_size: int | None = None) -> Tensor:
        """R(Φ^(k))(x) for all k: x (n, d) shared by all models, or (K, n, d) per model → (K, n).

        Evaluated ``chunk_size`` points at a time (default :meth:`chunk_points`), so memory stays
        bounded for any n; the chunking changes the values only by floating-point rounding
        (GEMM kernels may sum in a different order for different sizes).
        """
        d = self.architecture[0]
        shared = x.ndim == 2 and x.shape[1] == d
        if not shared and not (x.ndim == 3 and x.shape[0] == self.K and x.shape[2] == d):
            raise InputError(
                f"`x` must have shape (n, {d}) or ({self.K}, n, {d}), got {tuple(x.shape)}"
            )
        n = x.shape[-2]
        step = chunk_size or self.chunk_points()
        if n <= step:
            return self._forward(x, shared)
        # one preallocated output: collecting chunk results for a torch.cat interleaves small kept
        # blocks with the freed activations and fragments the heap (measured: +8 MB RSS per chunk)
        out = torch.empty(self.K, n, dtype=torch.result_type(x, self.weights[0]), device=self.device)
        for i in range(0, n, step):
            out[:, i : i + step] = self._forward(x[..., i : i + step, :], shared)
        return out

    def _forward(self, x: Tensor, shared: bool) -> Tensor:
        if shared:
            # (n, d) @ (K, d, N_1) broadcasts to (K, n, N_1) without copying x K times
            h = torch.matmul(x, self.weights[0].transpose(1, 2)) + self.biases[0].unsqueeze(1)
        else:
            h = torch.baddbmm(self.biases[0].unsqueeze(1), x, self.weights[0].transpose(1, 2))
        for W, b in zip(self.weights[1:], self.biases[1:]):
            h = torch.baddbmm(b.unsqueeze(1), h.relu_(), W.transpose(1, 2))  # (K, n, N_ℓ)
        return h.squeeze(-1)  # (K, n)
